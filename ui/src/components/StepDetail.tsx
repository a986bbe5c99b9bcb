// One step run in detail: its attempts (how each ended, the error, the wait
// before the next), the request it made and the response it got (HTTP
// steps), the model, tokens and cost of AI steps with an agent's turns, and
// the raw input and output.
import type { Attempt, ErrorInfo, PriorRun, StepRun } from "../api/types";
import { Link } from "../router";
import { toolKinds } from "./toolKinds";
import { ago, duration, fmtGoDuration, fmtMs, Json, shownStepStatus, StatusBadge } from "./ui";

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj | undefined => (v && typeof v === "object" && !Array.isArray(v) ? (v as Obj) : undefined);
const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : undefined);
const fmtInt = (n?: number) => (n === undefined ? "—" : n.toLocaleString("en-US"));
export const fmtUSD = (n?: number) => (n === undefined ? "—" : n === 0 ? "$0" : n < 0.01 ? `$${n.toFixed(6).replace(/0+$/, "")}` : `$${n.toFixed(4)}`);

/** Why a waiting step waits, from the reason of its last history entry. */
export function waitingReason(run: StepRun): string | undefined {
  if (run.status !== "waiting") return undefined;
  const r = run.history?.[run.history.length - 1]?.reason ?? "";
  if (r.startsWith("event:")) return `Waiting for event ${r.slice(6)}`;
  if (r === "resume_url") return "Waiting for a call of its resume URL";
  if (r === "approval") return "Waiting for an approval (see Approvals)";
  if (r === "poll") return "Polling until its condition holds";
  if (r === "child") return "Waiting for the workflow it called";
  if (r.startsWith("rate_limit:")) return `Waiting for the connection's rate limit (${r.slice(11)})`;
  return r ? `Waiting (${r})` : "Waiting";
}

/** An approval step's recorded decision: who, when, why. */
function DecisionLine({ out }: { out: Obj }) {
  const ok = out.approved === true;
  return (
    <div className={ok ? "decision approved" : "decision rejected"} data-testid="approval-decision">
      <strong>{ok ? "Approved" : "Rejected"}</strong> by {String(out.by ?? "?")}
      {typeof out.at === "string" && out.at && <span className="muted"> at {new Date(out.at).toLocaleString()}</span>}
      {typeof out.comment === "string" && out.comment && <div className="decision-comment">“{out.comment}”</div>}
    </div>
  );
}

/** This step's runs in earlier runs of the execution (before a retry). */
export function earlierRunsOf(retries: PriorRun[] | undefined, stepId: string): { prior: PriorRun; run: StepRun }[] {
  const out: { prior: PriorRun; run: StepRun }[] = [];
  for (const p of retries ?? []) for (const r of p.steps ?? []) if (r.step_id === stepId && r.item < 0) out.push({ prior: p, run: r });
  return out;
}

export function StepDetail({ run, executionFinished = false, earlier = [] }: { run?: StepRun; executionFinished?: boolean; earlier?: { prior: PriorRun; run: StepRun }[] }) {
  if (!run) return <div className="muted pad">Select a step to see its input, output and error.</div>;
  const out = obj(run.output);
  const isAI = !!out && !!obj(out.usage) && typeof out.model === "string";
  const isHTTP = run.type.startsWith("http.");
  const status = shownStepStatus(run.status, executionFinished);
  return (
    <div className="step-detail" data-testid="step-detail">
      <div className="row gap">
        <strong>{run.step_id}</strong>
        <StatusBadge status={status} />
        <span className="muted small">
          {run.type} · {run.attempts} attempt{run.attempts === 1 ? "" : "s"} · {executionFinished && !run.finished_at ? "—" : duration(run.started_at, run.finished_at)}
        </span>
      </div>
      {status === "not run" && <div className="muted small">The execution ended before this step could start.</div>}
      {status === "stopped" && <div className="muted small">The execution ended while this step was {run.status}; it will not go on.</div>}
      {run.error && (
        <div className="error-box" data-testid="step-error">
          <strong>{run.error.code}</strong>: {run.error.message}
        </div>
      )}
      {run.status === "waiting" && !executionFinished && (
        <div className="waiting-reason" data-testid="waiting-reason">
          {waitingReason(run)}
        </div>
      )}
      {run.type === "approval" && out && typeof out.decision === "string" && <DecisionLine out={out} />}
      {run.history && run.history.length > 0 && <Attempts history={run.history} final={run.error} />}
      {earlier.length > 0 && (
        <div data-testid="step-earlier-runs">
          {earlier.map(({ prior, run: r }) => (
            <div key={prior.run} className="earlier-run">
              <h4>
                Run {prior.run} <span className="muted small">(before the retry {prior.retried_by ? `by ${prior.retried_by} ` : ""}{ago(prior.retried_at)})</span>
              </h4>
              <Attempts history={r.history ?? []} final={r.error} title={null} />
              {!(r.history ?? []).length && r.error && (
                <div className="attempt-error mono small">
                  <strong>{r.error.code}: </strong>
                  {r.error.message}
                </div>
              )}
            </div>
          ))}
        </div>
      )}
      {isHTTP && (
        <Exchange input={obj(run.input)} output={out} error={run.error ?? lastError(run.history)} running={!executionFinished && (run.status === "running" || run.status === "waiting")} />
      )}
      {isAI && <AIUsage out={out!} input={obj(run.input)} />}
      <h4>Input</h4>
      <Json value={run.input} testId="step-input" />
      <h4>Output</h4>
      <Json value={run.output} empty="No output" testId="step-output" />
    </div>
  );
}

function lastError(h?: Attempt[]): ErrorInfo | undefined {
  const a = [...(h ?? [])].reverse().find((x) => x.error);
  return a ? { code: a.code ?? "", message: a.error! } : undefined;
}

/**
 * The attempts, one line each. An error is written out once: an attempt
 * whose error is the step's error (shown above) or the one before says so
 * instead of repeating it.
 */
function Attempts({ history, final, title = "Attempts" }: { history: Attempt[]; final?: ErrorInfo; title?: string | null }) {
  return (
    <>
      {title && <h4>{title}</h4>}
      <ol className="attempts small" data-testid="step-attempts">
        {history.map((h, i) => {
          const prev = history.slice(0, i).reverse().find((x) => x.error)?.error;
          // The last attempt's error ends with "(gave up after n attempts)"; the rest is the same error.
          const bare = (m?: string) => m?.replace(/ \(gave up after \d+ attempts\)$/, "");
          const same = h.error && bare(h.error) === bare(prev);
          const asAbove = h.error && title && final && h.error === final.message;
          return (
            <li key={`${h.attempt}/${h.at}/${i}`} data-outcome={h.outcome}>
              <StatusBadge status={h.outcome} /> <span className="muted">#{h.attempt}</span>
              {h.duration_ms !== undefined && h.duration_ms > 0 && <span className="muted"> · {fmtMs(h.duration_ms)}</span>}
              {h.wait && (
                <span className="muted">
                  {" "}
                  · then waited {fmtGoDuration(h.wait)}
                  {h.reason && ` (${h.reason})`}
                </span>
              )}
              {!h.wait && h.reason && <span className="muted"> · {h.reason}</span>}
              {h.error && (same || asAbove) ? (
                <span className="muted" data-testid="attempt-same-error">
                  {" "}
                  · {same ? "same error" : "the error above"}
                </span>
              ) : (
                h.error && (
                  <div className="attempt-error mono">
                    {h.code && <strong>{h.code}: </strong>}
                    {h.error}
                  </div>
                )
              )}
            </li>
          );
        })}
      </ol>
    </>
  );
}

/**
 * The status and body of a refused HTTP answer, read from the step's
 * error: http.request says "… answered 404 Not Found: <first 512 bytes of
 * the body>" (connectors/http StatusError) and records no output.
 */
export function responseFromError(e?: ErrorInfo): { status: number; body?: unknown } | undefined {
  if (!e || e.code !== "http_status") return undefined;
  const m = /answered (\d{3})(?: [^:]*)?(?:: ([\s\S]*?))?(?: \(gave up after \d+ attempts\))?$/.exec(e.message);
  if (!m) return undefined;
  let body: unknown = m[2];
  if (typeof body === "string") {
    try {
      body = JSON.parse(body);
    } catch {
      // text, or a JSON body cut at 512 bytes: shown as it is
    }
  }
  return { status: Number(m[1]), body };
}

/** The request an HTTP step made (from its resolved input) and the response it got (its output). */
function Exchange({ input, output, error, running }: { input?: Obj; output?: Obj; error?: ErrorInfo; running: boolean }) {
  if (!input) return null;
  const method = String(input.method ?? "GET").toUpperCase();
  const reqBody = input.json ?? input.form ?? input.body;
  const status = num(output?.status);
  const refused = status === undefined ? responseFromError(error) : undefined;
  return (
    <div className="exchange" data-testid="step-exchange">
      <h4>Request</h4>
      <div className="mono small exch-line">
        <span className="method">{method}</span> {String(input.url ?? "")}
      </div>
      {obj(input.headers) && <Headers h={obj(input.headers)!} />}
      {reqBody !== undefined && <Json value={reqBody} />}
      <h4>Response</h4>
      {refused ? (
        <div data-testid="refused-response">
          <div className="mono small exch-line">
            <span className={`http-status s${String(refused.status)[0]}`}>{refused.status}</span>
            <span className="muted"> · not accepted; the body as recorded in the error (at most 512 bytes)</span>
          </div>
          <Json value={refused.body} empty="Empty body" />
        </div>
      ) : status === undefined ? (
        <div className="muted small">{running ? "Waiting for the response…" : output ? "No HTTP status in the output." : "No response recorded: the attempts above say what went wrong."}</div>
      ) : (
        <>
          <div className="mono small exch-line">
            <span className={`http-status s${String(status)[0]}`}>{status}</span>
            {typeof output?.duration_ms === "number" && <span className="muted"> · {fmtMs(output.duration_ms)}</span>}
          </div>
          {obj(output?.headers) && <Headers h={obj(output!.headers)!} />}
          <Json value={output?.body} empty="Empty body" />
        </>
      )}
    </div>
  );
}

function Headers({ h }: { h: Obj }) {
  const entries = Object.entries(h);
  if (!entries.length) return null;
  return (
    <details className="headers small">
      <summary className="muted">
        {entries.length} header{entries.length === 1 ? "" : "s"}
      </summary>
      <dl className="mono">
        {entries.map(([k, v]) => (
          <div key={k}>
            <dt>{k}</dt>
            <dd>{Array.isArray(v) ? v.join(", ") : String(v)}</dd>
          </div>
        ))}
      </dl>
    </details>
  );
}

interface Turn {
  n?: number;
  text?: string;
  finish_reason?: string;
  model?: string;
  provider?: string;
  usage?: { input_tokens?: number; output_tokens?: number; cached_tokens?: number };
  cost_usd?: number;
  latency_ms?: number;
  cache_hit?: boolean;
  /** child: the execution a workflow tool (workflow.call) started. */
  tool_calls?: { id?: string; name: string; arguments?: unknown; done?: boolean; output?: unknown; error?: string; child?: string }[];
}

type ToolCallRecord = NonNullable<Turn["tool_calls"]>[number];

/** One tool call of an agent: where the tool comes from, its name, the arguments the model gave and the result it got. */
function ToolCall({ call: c, kind }: { call: ToolCallRecord; kind?: string }) {
  let args = c.arguments;
  if (typeof args === "string") {
    try {
      args = JSON.parse(args);
    } catch {
      // not JSON: shown as the model sent it
    }
  }
  return (
    <div className="tool-call small" data-testid="tool-call" data-tool={c.name}>
      <div className="tool-head">
        <span className="muted">tool call</span>
        <strong className="mono" data-testid="tool-name">
          {c.name}
        </strong>
        {kind && <span className="tool-kind">{kind}</span>}
        {c.child && (
          <Link to={`/executions/${c.child}`} className="mono" data-testid="tool-child">
            child execution {c.child}
          </Link>
        )}
      </div>
      <div className="tool-part">
        <div className="label">Arguments</div>
        <Json value={args ?? {}} testId="tool-arguments" />
      </div>
      <div className="tool-part">
        <div className="label">Result</div>
        {c.error ? (
          <div className="attempt-error mono" data-testid="tool-result">
            {c.error}
          </div>
        ) : c.done ? (
          <Json value={c.output} empty="no output" testId="tool-result" />
        ) : (
          <span className="muted" data-testid="tool-result">
            waiting
          </span>
        )}
      </div>
    </div>
  );
}

/** Model, tokens, cost and latency of an AI step; an agent's turns one by one with their tool calls. */
function AIUsage({ out, input }: { out: Obj; input?: Obj }) {
  const kindOf = toolKinds(input);
  const u = obj(out.usage)!;
  const turns = Array.isArray(out.turns) ? (out.turns as Turn[]) : [];
  const fallbacks = Array.isArray(out.fallbacks) ? (out.fallbacks as Obj[]) : [];
  return (
    <div className="ai-usage" data-testid="ai-usage">
      <h4>AI</h4>
      <div className="ai-stats">
        <Stat label="model" wide value={String(out.model)} sub={typeof out.provider === "string" ? out.provider : undefined} />
        <Stat label="input" value={fmtInt(num(u.input_tokens))} sub={num(u.cached_tokens) ? `${fmtInt(num(u.cached_tokens))} cached` : "tokens"} />
        <Stat label="output" value={fmtInt(num(u.output_tokens))} sub="tokens" />
        <Stat label="cost" value={fmtUSD(num(out.cost_usd))} sub={out.cache_hit === true ? "cache hit" : typeof out.cost_note === "string" ? "unpriced" : undefined} />
        {num(out.latency_ms) !== undefined && <Stat label="latency" value={`${fmtInt(num(out.latency_ms))} ms`} sub={num(out.calls) && num(out.calls)! > 1 ? `${out.calls} calls` : undefined} />}
        {typeof out.finish_reason === "string" && <Stat label="finish" value={out.finish_reason} />}
      </div>
      {typeof out.cost_note === "string" && <div className="muted small">{out.cost_note}</div>}
      {fallbacks.length > 0 && (
        <div className="small">
          <span className="muted">Fallbacks tried: </span>
          {fallbacks.map((f, i) => (
            <span key={i} className="mono">
              {i > 0 && ", "}
              {String(f.model ?? f.provider ?? "?")} {f.error ? `(${String(f.error)})` : ""}
            </span>
          ))}
        </div>
      )}
      {turns.length > 0 && (
        <>
          <h4>
            Turns <span className="muted small">({turns.length})</span>
          </h4>
          <ol className="turns" data-testid="ai-turns">
            {turns.map((t, i) => (
              <li key={t.n ?? i} className="turn">
                <div className="row gap small">
                  <strong>#{t.n ?? i + 1}</strong>
                  <span className="mono">{t.model}</span>
                  <span className="muted">
                    {fmtInt(t.usage?.input_tokens)} in · {fmtInt(t.usage?.output_tokens)} out · {fmtUSD(t.cost_usd)}
                    {t.latency_ms !== undefined && ` · ${fmtMs(t.latency_ms)}`}
                    {t.cache_hit && " · cache hit"}
                    {t.finish_reason && ` · ${t.finish_reason}`}
                  </span>
                </div>
                {t.text && <div className="turn-text">{t.text}</div>}
                {(t.tool_calls ?? []).map((c, j) => (
                  <ToolCall key={c.id ?? j} call={c} kind={kindOf(c.name)} />
                ))}
              </li>
            ))}
          </ol>
        </>
      )}
    </div>
  );
}

function Stat({ label, value, sub, wide }: { label: string; value: string; sub?: string; wide?: boolean }) {
  return (
    <div className={`ai-stat ${wide ? "wide" : ""}`} data-stat={label}>
      <div className="label">{label}</div>
      <div className="value mono" title={value}>
        {value}
      </div>
      {sub && <div className="muted small">{sub}</div>}
    </div>
  );
}
