// Every webhook trigger's URL and verification scheme, and the delivery log
// (GET /api/v1/webhooks/deliveries): verified or why not, duplicates, the
// execution each started, and replay; and each webhook's registration at
// its provider (GET /api/v1/webhooks/registrations).
import { useEffect, useState } from "react";
import { api, webhookURL } from "../api/client";
import type { Delivery, Registration, WorkflowRecord } from "../api/types";
import { ago, CopyButton, Empty, ErrorBox, PageHeader, StatusBadge, useLoad } from "../components/ui";
import { Link, navigate } from "../router";

/** The verify scheme of a workflow's webhook (on.webhook.verify), read from its source. */
async function schemes(items: WorkflowRecord[]): Promise<Record<string, string>> {
  const { parse } = await import("yaml");
  const out: Record<string, string> = {};
  for (const w of items) {
    try {
      const hook = (parse(w.source) as { on?: { webhook?: { verify?: unknown; preset?: unknown } } })?.on?.webhook;
      const v = hook?.verify;
      const preset = hook?.preset;
      if (!v && preset) {
        // preset: stripe or {app: stripe}: the app's own scheme.
        out[w.name] = typeof preset === "string" ? preset : String((preset as Record<string, unknown>).app ?? "");
        continue;
      }
      out[w.name] = !v ? "" : typeof v === "string" ? v : typeof v === "object" ? String((v as Record<string, unknown>).scheme ?? (v as Record<string, unknown>).type ?? Object.keys(v as object)[0] ?? "custom") : String(v);
    } catch {
      out[w.name] = "";
    }
  }
  return out;
}

const REG_CLASS: Record<string, string> = { registered: "st-succeeded", pending: "st-waiting", error: "st-failed" };

/** The registration cell: state, the provider's endpoint id, and the last error. */
function RegistrationCell({ reg }: { reg?: Registration }) {
  if (!reg) return <span className="muted">—</span>;
  return (
    <div data-testid="registration" data-state={reg.state}>
      <span className={`badge ${REG_CLASS[reg.state] ?? "st-failed"}`}>{reg.state}</span> <span className="small muted">{reg.provider}</span>
      {reg.endpoint_id && <div className="mono small" title={reg.url}>{reg.endpoint_id}</div>}
      {reg.last_error && (
        <div className="small clip err-text" title={reg.last_error} data-testid="registration-error">
          {reg.last_error}
        </div>
      )}
      <div className="small muted" title={reg.updated_at}>
        updated {ago(reg.updated_at)}
      </div>
    </div>
  );
}

const OUTCOME_CLASS: Record<string, string> = { accepted: "st-succeeded", replayed: "st-succeeded", duplicate: "st-waiting", challenge: "st-skipped" };

function Deliveries() {
  const list = useLoad(() => api.deliveries({ limit: 50 }));
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState("");
  // The log is written just after each answer (on SQLite it shares the next
  // commit, at most a quarter second later): keep the list live.
  useEffect(() => {
    const id = setInterval(list.reload, 5000);
    return () => clearInterval(id);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);
  if (list.error && (list.error as { status?: number }).status === 404) return null; // a server without the delivery log
  const items: Delivery[] = list.data?.items ?? [];
  return (
    <section className="card deliveries">
      <div className="row gap">
        <h3 className="grow">Recent deliveries</h3>
        <button className="btn small" onClick={list.reload}>
          Refresh
        </button>
      </div>
      <ErrorBox error={error ?? list.error} />
      {list.data && items.length === 0 ? (
        <div className="muted">No requests yet. Each call to a webhook URL is logged here, accepted or not.</div>
      ) : (
        <table className="table inner">
          <thead>
            <tr>
              <th>Received</th>
              <th>Workflow</th>
              <th>Request</th>
              <th>Answer</th>
              <th>Outcome</th>
              <th>Execution</th>
              <th aria-label="Actions" />
            </tr>
          </thead>
          <tbody>
            {items.map((d) => (
              <tr key={d.id} data-delivery={d.id}>
                <td className="nowrap small" title={d.received_at}>
                  {ago(d.received_at)}
                </td>
                <td>{d.workflow ? <Link to={`/workflows/${encodeURIComponent(d.workflow)}`}>{d.workflow}</Link> : <span className="muted">—</span>}</td>
                <td className="mono small nowrap">
                  {d.method} /hooks/{d.path}
                  {d.source_ip && <div className="muted">{d.source_ip}</div>}
                </td>
                <td className="mono small">{d.status}</td>
                <td>
                  <span className={`badge ${OUTCOME_CLASS[d.outcome] ?? "st-failed"}`}>{d.outcome.replace("_", " ")}</span>
                  {d.execution_id && d.execution_status && (
                    // "accepted" only says the request was stored: say what its execution did.
                    <span className="exec-outcome" data-testid="delivery-execution-status">
                      {" → "}
                      <Link to={`/executions/${d.execution_id}`} className="plain" title={d.execution_error ? `${d.execution_error.code}: ${d.execution_error.message}` : undefined}>
                        <StatusBadge status={d.execution_status} />
                      </Link>
                    </span>
                  )}
                  {d.scheme && <span className="muted small"> {d.scheme}</span>}
                  {d.reason && <div className="small muted clip" title={d.reason}>{d.reason}</div>}
                </td>
                <td className="mono small">{d.execution_id ? <Link to={`/executions/${d.execution_id}`}>{d.execution_id.slice(-8)}</Link> : <span className="muted">—</span>}</td>
                <td>
                  {(d.outcome === "accepted" || d.outcome === "duplicate" || d.outcome === "replayed") && (
                    <button
                      className="btn small"
                      disabled={busy !== ""}
                      title="Start a new execution with this request's input (no verification, no dedupe)"
                      onClick={async () => {
                        // A replay runs the workflow again, with its side effects: ask first.
                        if (!confirm(`Replay this ${d.method} to /hooks/${d.path}? It starts a new execution of “${d.workflow ?? d.path}” with the same input, without verification or dedupe.`)) return;
                        setBusy(d.id);
                        setError(undefined);
                        try {
                          const r = await api.replay(d.id);
                          navigate(`/executions/${r.execution_id}`);
                        } catch (e) {
                          setError(e);
                          setBusy("");
                        }
                      }}
                    >
                      {busy === d.id ? "Replaying…" : "Replay"}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

export function Webhooks() {
  const wf = useLoad(() => api.workflows());
  const hooks = (wf.data?.items ?? []).filter((w) => w.webhook_path);
  const sch = useLoad(() => schemes(hooks), [hooks.map((w) => `${w.name}@${w.version}`).join()]);
  const regs = useLoad(() => api.registrations().catch(() => ({ items: [] as Registration[] })));
  const byWorkflow: Record<string, Registration> = {};
  for (const r of regs.data?.items ?? []) byWorkflow[r.workflow] = r;
  return (
    <>
      <PageHeader title="Webhooks">
        <button className="btn small" onClick={regs.reload}>
          Refresh registrations
        </button>
      </PageHeader>
      <ErrorBox error={wf.error} />
      {wf.data && hooks.length === 0 ? (
        <Empty title="No webhook triggers yet">
          <p className="muted">
            Give a workflow an <code>on.webhook</code> trigger and its URL shows up here.
          </p>
        </Empty>
      ) : (
        <table className="table">
          <thead>
            <tr>
              <th>Workflow</th>
              <th>URL</th>
              <th>Verification</th>
              <th>Enabled</th>
              <th title="on.webhook.register: the subscription Weft keeps at the provider">Registration</th>
              <th aria-label="Copy" />
            </tr>
          </thead>
          <tbody>
            {hooks.map((w) => (
              <tr key={w.name} data-workflow={w.name}>
                <td>
                  <Link to={`/workflows/${encodeURIComponent(w.name)}`}>{w.name}</Link>
                </td>
                <td className="mono small" data-testid="webhook-url">
                  {webhookURL(w.webhook_path!)}
                </td>
                <td className="small">{sch.data?.[w.name] ? <span className="tag">{sch.data[w.name]}</span> : <span className="muted">none</span>}</td>
                <td>{w.enabled ? "yes" : <span className="muted">disabled</span>}</td>
                <td>
                  <RegistrationCell reg={byWorkflow[w.name]} />
                </td>
                <td>
                  <CopyButton text={webhookURL(w.webhook_path!)} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Deliveries />
    </>
  );
}
