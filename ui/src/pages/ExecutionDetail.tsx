import { useEffect, useState } from "react";
import { api } from "../api/client";
import { follow, type Live } from "../api/follow";
import { finished } from "../api/types";
import { earlierRunsOf, fmtUSD, StepDetail, waitingReason } from "../components/StepDetail";
import { Timeline } from "../components/Timeline";
import { ago, duration, ErrorBox, Json, PageHeader, StatusBadge } from "../components/ui";
import { EarlierRuns, ExecutionError } from "../components/Runs";
import { Link, navigate } from "../router";

export function ExecutionDetail({ id }: { id: string }) {
  const [live, setLive] = useState<Live>();
  const [selected, setSelected] = useState<string>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const [gen, setGen] = useState(0);
  const [now, setNow] = useState(Date.now());

  useEffect(() => follow(id, setLive), [id, gen]);
  const running = live && !finished(live.execution.status);
  useEffect(() => {
    if (!running) return;
    const t = setInterval(() => setNow(Date.now()), 500);
    return () => clearInterval(t);
  }, [running]);

  const e = live?.execution;
  const steps = Object.values(live?.steps ?? {}).sort(
    (a, b) => (a.started_at ?? "9").localeCompare(b.started_at ?? "9") || a.step_id.localeCompare(b.step_id),
  );
  const failedStep = steps.find((s) => s.status === "failed");
  const ai = aiTotals(steps.map((s) => s.output));
  const sel = selected ?? failedStep?.step_id;

  const act = async (f: () => Promise<unknown>) => {
    setBusy(true);
    setError(undefined);
    try {
      const r = (await f()) as { id?: string } | undefined;
      // A retry may continue the same execution or start a new one.
      if (r && r.id && r.id !== id) navigate(`/executions/${r.id}`);
      else setGen((g) => g + 1);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <PageHeader
        title={
          <>
            <Link to="/executions" className="muted">
              Executions
            </Link>{" "}
            / <span className="mono">{id}</span>
          </>
        }
      >
        {e && (e.status === "failed" || e.status === "canceled") && (
          <button className="btn primary" disabled={busy} onClick={() => act(() => api.retry(id))}>
            Retry from failed step
          </button>
        )}
        {e && !finished(e.status) && (
          <button className="btn danger" disabled={busy || e.cancel_requested} onClick={() => act(() => api.cancel(id))}>
            {e.cancel_requested ? "Canceling…" : "Cancel"}
          </button>
        )}
      </PageHeader>
      <ErrorBox error={error} />
      {!e ? (
        <div className="loading">Loading…</div>
      ) : (
        <>
          <div className="card summary">
            <div>
              <div className="label">Status</div>
              <StatusBadge status={e.status} />
              {running && <span className="pulse" role="img" aria-label="live" />}
              {e.status === "waiting" &&
                steps
                  .map((r) => waitingReason(r))
                  .filter(Boolean)
                  .slice(0, 3)
                  .map((why) => (
                    <div key={why} className="waiting-reason" data-testid="execution-waiting-reason">
                      {why}
                    </div>
                  ))}
            </div>
            <div>
              <div className="label">Workflow</div>
              <Link to={`/workflows/${encodeURIComponent(e.workflow)}`}>{e.workflow}</Link>
              <span className="muted small"> v{e.workflow_version}</span>
            </div>
            <div>
              <div className="label">Trigger</div>
              {e.trigger}
            </div>
            <div>
              <div className="label">Started</div>
              <span title={e.started_at ?? e.created_at}>{ago(e.started_at ?? e.created_at)}</span>
            </div>
            <div>
              <div className="label">{e.retries?.length ? "This run took" : "Duration"}</div>
              {e.started_at ? duration(e.started_at, e.finished_at) : "not started"}
            </div>
            {!!e.retries?.length && (
              <div data-testid="execution-run">
                <div className="label">Run</div>
                {e.retries.length + 1}{" "}
                <span className="muted small">
                  · retried{e.retries[e.retries.length - 1].retried_by ? ` by ${e.retries[e.retries.length - 1].retried_by}` : ""}{" "}
                  {ago(e.retries[e.retries.length - 1].retried_at)}
                </span>
              </div>
            )}
            {ai && (
              <div data-testid="execution-ai">
                <div className="label">AI</div>
                {ai.tokens.toLocaleString("en-US")} tokens <span className="muted small">· {fmtUSD(ai.cost)}</span>
              </div>
            )}
          </div>
          {e.error && <ExecutionError error={e.error} failedStep={failedStep} onSelect={setSelected} />}
          <div className="split">
            <section className="card">
              <h3>Steps</h3>
              {steps.length ? (
                <Timeline steps={steps} selected={sel} onSelect={setSelected} now={now} executionFinished={finished(e.status)} />
              ) : (
                <div className="muted">No step has run yet.</div>
              )}
            </section>
            <section className="card">
              <StepDetail run={sel ? live.steps[sel] : undefined} executionFinished={finished(e.status)} earlier={sel ? earlierRunsOf(e.retries, sel) : []} />
            </section>
          </div>
          {!!e.retries?.length && <EarlierRuns runs={e.retries} onSelect={setSelected} />}
          <div className="split">
            <section className="card">
              <h3>Input</h3>
              <Json value={e.input} testId="execution-input" />
            </section>
            <section className="card">
              <h3>Output</h3>
              <Json value={e.output} empty={finished(e.status) ? "No output" : "Not finished yet"} testId="execution-output" />
            </section>
          </div>
        </>
      )}
    </>
  );
}

/** Tokens and cost over the AI steps of an execution (outputs with usage and model). */
function aiTotals(outputs: unknown[]): { tokens: number; cost: number } | undefined {
  let found = false;
  let tokens = 0;
  let cost = 0;
  for (const o of outputs) {
    const out = o as { usage?: { input_tokens?: number; output_tokens?: number }; model?: unknown; cost_usd?: number } | undefined;
    if (!out || typeof out !== "object" || !out.usage || typeof out.model !== "string") continue;
    found = true;
    tokens += (out.usage.input_tokens ?? 0) + (out.usage.output_tokens ?? 0);
    cost += typeof out.cost_usd === "number" ? out.cost_usd : 0;
  }
  return found ? { tokens, cost } : undefined;
}
