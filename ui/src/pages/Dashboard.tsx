// The dashboard: GET /api/v1/stats (aggregated from the database, so every
// process shows the same numbers) and GET /api/v1/usage for AI tokens and
// cost. The charts are small hand-written SVG: four simple shapes do not
// need a chart library's 100+ kB.
import { useState } from "react";
import { api } from "../api/client";
import type { Stats, Usage } from "../api/types";
import { ErrorBox, PageHeader, useLoad } from "../components/ui";
import { useFiringAlerts } from "./Alerts";
import { Link } from "../router";

const RANGES = [
  { key: "1h", label: "Last hour" },
  { key: "24h", label: "Last 24 hours" },
  { key: "7d", label: "Last 7 days" },
];
const SERIES = ["succeeded", "failed", "canceled", "running", "waiting", "queued"] as const;
const COLOR: Record<string, string> = {
  succeeded: "#16a34a",
  failed: "#dc2626",
  canceled: "#9aa1b1",
  running: "#2563eb",
  waiting: "#d97706",
  queued: "#93c5fd",
};

const pct = (r: number) => `${(r * 100).toFixed(r > 0 && r < 0.1 ? 1 : 0)}%`;
const ms = (v: number) => (v >= 1000 ? `${(v / 1000).toFixed(v >= 10000 ? 0 : 1)} s` : v > 0 && v < 0.1 ? "<0.1 ms" : `${v < 10 ? v.toFixed(1) : Math.round(v)} ms`);
const usd = (v: number) => (v >= 1 ? `$${v.toFixed(2)}` : v > 0 ? `$${v.toFixed(4)}` : "$0");

function timeLabel(t: Date, spanH: number) {
  return spanH > 24 ? t.toLocaleDateString([], { month: "short", day: "numeric" }) : t.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

/** Every bucket of the window (the API leaves empty ones out). */
function series(s: Stats) {
  const start = new Date(s.since).getTime();
  const step = s.bucket_seconds * 1000;
  const n = Math.max(1, Math.round((new Date(s.until).getTime() - start) / step));
  const out = Array.from({ length: n }, (_, i) => ({ t: new Date(start + i * step), counts: {} as Record<string, number> }));
  for (const b of s.per_bucket) {
    const i = Math.round((new Date(b.start).getTime() - start) / step);
    if (i >= 0 && i < n) out[i].counts = b.counts;
  }
  return out;
}

const W = 640;
const H = 180;
const PAD = { l: 34, r: 8, t: 8, b: 22 };

function Axis({ n, max, labels, unit = "" }: { n: number; max: number; labels: { i: number; text: string }[]; unit?: string }) {
  const ih = H - PAD.t - PAD.b;
  const bw = (W - PAD.l - PAD.r) / n;
  return (
    <g className="axis">
      {[0, 0.5, 1].map((f) => (
        <g key={f}>
          <line x1={PAD.l} x2={W - PAD.r} y1={PAD.t + ih * (1 - f)} y2={PAD.t + ih * (1 - f)} />
          <text x={PAD.l - 4} y={PAD.t + ih * (1 - f) + 4} textAnchor="end">
            {unit === "%" ? `${Math.round(max * f * 100)}%` : Math.round(max * f * 10) / 10}
          </text>
        </g>
      ))}
      {labels.map((l) => (
        <text key={l.i} x={PAD.l + bw * (l.i + 0.5)} y={H - 6} textAnchor="middle">
          {l.text}
        </text>
      ))}
    </g>
  );
}

function ticks(pts: { t: Date }[], spanH: number) {
  const every = Math.max(1, Math.ceil(pts.length / 6));
  return pts.map((p, i) => ({ i, text: timeLabel(p.t, spanH) })).filter((_, i) => i % every === 0);
}

function StackedColumns({ s }: { s: Stats }) {
  const pts = series(s);
  const max = Math.max(1, ...pts.map((p) => SERIES.reduce((a, k) => a + (p.counts[k] ?? 0), 0)));
  const ih = H - PAD.t - PAD.b;
  const bw = (W - PAD.l - PAD.r) / pts.length;
  const spanH = (pts.length * s.bucket_seconds) / 3600;
  return (
    <svg viewBox={`0 0 ${W} ${H}`} className="chart" role="img" aria-label="Executions per bucket by status">
      <Axis n={pts.length} max={max} labels={ticks(pts, spanH)} />
      {pts.map((p, i) => {
        let y = PAD.t + ih;
        return (
          <g key={i}>
            <title>{`${timeLabel(p.t, spanH)}: ${SERIES.filter((k) => p.counts[k]).map((k) => `${p.counts[k]} ${k}`).join(", ") || "none"}`}</title>
            {SERIES.map((k) => {
              const v = p.counts[k] ?? 0;
              if (!v) return null;
              const h = (v / max) * ih;
              y -= h;
              return <rect key={k} x={PAD.l + i * bw + bw * 0.12} y={y} width={Math.max(1, bw * 0.76)} height={h} fill={COLOR[k]} />;
            })}
            <rect x={PAD.l + i * bw} y={PAD.t} width={bw} height={ih} fill="transparent" />
          </g>
        );
      })}
    </svg>
  );
}

function ErrorRateLine({ s }: { s: Stats }) {
  const pts = series(s);
  const ih = H - PAD.t - PAD.b;
  const bw = (W - PAD.l - PAD.r) / pts.length;
  const spanH = (pts.length * s.bucket_seconds) / 3600;
  const rates = pts.map((p) => {
    const f = p.counts.failed ?? 0;
    const done = f + (p.counts.succeeded ?? 0);
    return done ? f / done : undefined;
  });
  const max = Math.max(0.1, ...rates.map((r) => r ?? 0));
  const dots = rates.map((r, i) => (r === undefined ? undefined : { x: PAD.l + bw * (i + 0.5), y: PAD.t + ih * (1 - r / max), r, i })).filter((d) => d !== undefined);
  return (
    <svg viewBox={`0 0 ${W} ${H}`} className="chart" role="img" aria-label="Error rate per bucket">
      <Axis n={pts.length} max={max} labels={ticks(pts, spanH)} unit="%" />
      <polyline points={dots.map((d) => `${d.x},${d.y}`).join(" ")} fill="none" stroke={COLOR.failed} strokeWidth={1.5} />
      {dots.map((d) => (
        <circle key={d.i} cx={d.x} cy={d.y} r={2.5} fill={COLOR.failed}>
          <title>{`${timeLabel(pts[d.i].t, spanH)}: ${pct(d.r)} failed`}</title>
        </circle>
      ))}
    </svg>
  );
}

function Latency({ rows }: { rows: Stats["step_latency"] }) {
  const max = Math.max(1, ...rows.map((r) => r.p95_ms));
  return (
    <div className="latency" role="table" aria-label="Step latency by type">
      <div className="lat-row head" role="row">
        <span role="columnheader">step type</span>
        <span role="columnheader" />
        <span role="columnheader">p50</span>
        <span role="columnheader">p95</span>
        <span role="columnheader">runs</span>
      </div>
      {rows.map((r) => (
        <div className="lat-row" role="row" key={r.type} data-type={r.type}>
          <span className="mono" role="cell">
            {r.type}
          </span>
          <span className="lat-track" role="cell" title={`p50 ${ms(r.p50_ms)}, p95 ${ms(r.p95_ms)}, max ${ms(r.max_ms)}`}>
            <span className="lat-p95" style={{ width: `${(r.p95_ms / max) * 100}%` }} />
            <span className="lat-p50" style={{ width: `${(r.p50_ms / max) * 100}%` }} />
          </span>
          <span role="cell">{ms(r.p50_ms)}</span>
          <span role="cell">{ms(r.p95_ms)}</span>
          <span role="cell" className="muted">
            {r.count}
            {r.failed ? <span className="bad"> · {r.failed} failed</span> : null}
          </span>
        </div>
      ))}
    </div>
  );
}

/** AI tokens and cost for each of the last 7 days (one usage query per day). */
async function usagePerDay(): Promise<{ day: Date; u: Usage }[]> {
  const today = new Date();
  today.setHours(0, 0, 0, 0);
  const days = Array.from({ length: 7 }, (_, i) => new Date(today.getTime() - (6 - i) * 86400000));
  return Promise.all(days.map(async (d) => ({ day: d, u: await api.usage({ from: d.toISOString(), to: new Date(d.getTime() + 86400000).toISOString(), group_by: "model" }) })));
}

function UsageDays({ days }: { days: { day: Date; u: Usage }[] }) {
  if (!days.some((d) => d.u.total.calls > 0))
    return (
      <div className="muted">
        No AI calls in the last 7 days. ai.* steps record their tokens and cost; see <Link to="/usage">Usage</Link>.
      </div>
    );
  const max = Math.max(1, ...days.map((d) => d.u.total.input_tokens + d.u.total.output_tokens));
  const cost = days.reduce((a, d) => a + d.u.total.cost_usd, 0);
  return (
    <>
      <div className="spark" role="img" aria-label="AI tokens per day">
        {days.map((d) => {
          const t = d.u.total;
          return (
            <span key={d.day.toISOString()} className="spark-col" title={`${d.day.toLocaleDateString()}: ${t.input_tokens} in, ${t.output_tokens} out, ${usd(t.cost_usd)}`}>
              <span className="spark-in" style={{ height: `${(t.input_tokens / max) * 100}%` }} />
              <span className="spark-out" style={{ height: `${(t.output_tokens / max) * 100}%` }} />
            </span>
          );
        })}
      </div>
      <div className="row small muted spread">
        {days.map((d) => (
          <span key={d.day.toISOString()}>{d.day.toLocaleDateString([], { weekday: "short" })}</span>
        ))}
      </div>
      <div className="small muted">
        input and output tokens · {usd(cost)} over 7 days · <Link to="/usage">details</Link>
      </div>
    </>
  );
}

function Legend() {
  return (
    <div className="legend small">
      {SERIES.map((k) => (
        <span key={k}>
          <i style={{ background: COLOR[k] }} />
          {k}
        </span>
      ))}
    </div>
  );
}

export function Dashboard() {
  const [range, setRange] = useState("1h");
  const st = useLoad(() => api.stats(range), [range]);
  const usage = useLoad(() => usagePerDay().catch(() => undefined));
  const firing = useFiringAlerts();
  const s = st.data;
  const total = s?.total ?? 0;
  return (
    <>
      <PageHeader title="Dashboard">
        <div className="segmented" role="group" aria-label="Time range">
          {RANGES.map((r) => (
            <button key={r.key} className={r.key === range ? "active" : ""} aria-pressed={r.key === range} onClick={() => setRange(r.key)}>
              {r.label}
            </button>
          ))}
        </div>
      </PageHeader>
      <ErrorBox error={st.error} />
      {firing.length > 0 && (
        <div className="card alerts-firing" role="status" data-testid="dashboard-alerts">
          <strong>
            {firing.length} alert{firing.length === 1 ? "" : "s"} firing:
          </strong>{" "}
          {firing.map((a, i) => (
            <span key={a.rule.name}>
              {i > 0 && ", "}
              <Link to="/alerts">{a.rule.name}</Link> <span className="muted">({a.status.value})</span>
            </span>
          ))}
        </div>
      )}
      {!s ? (
        <div className="loading">Loading…</div>
      ) : (
        <>
          <div className="stats">
            <div className="card stat">
              <div className="label">Executions</div>
              <div className="num">{total}</div>
            </div>
            <div className="card stat">
              <div className="label">Succeeded</div>
              <div className="num ok">{s.by_status.succeeded ?? 0}</div>
            </div>
            <div className="card stat">
              <div className="label">Failed</div>
              <div className="num bad">{s.by_status.failed ?? 0}</div>
            </div>
            <div className="card stat">
              <div className="label">Error rate</div>
              <div className="num" data-testid="error-rate">
                {pct(s.error_rate)}
              </div>
            </div>
          </div>
          <div className="split">
            <section className="card">
              <h3>Executions per {s.bucket_seconds >= 3600 ? `${s.bucket_seconds / 3600} h` : `${Math.round(s.bucket_seconds / 60)} min`} by status</h3>
              {total ? <StackedColumns s={s} /> : <div className="muted chart-empty">No executions in this window.</div>}
              <Legend />
            </section>
            <section className="card">
              <h3>Error rate</h3>
              {(s.by_status.failed ?? 0) + (s.by_status.succeeded ?? 0) ? <ErrorRateLine s={s} /> : <div className="muted chart-empty">Nothing finished in this window.</div>}
              <div className="small muted">failed ÷ (succeeded + failed) per bucket</div>
            </section>
          </div>
          <div className="split">
            <section className="card">
              <h3>Step latency by type</h3>
              {s.step_latency.length ? <Latency rows={s.step_latency} /> : <div className="muted">No finished steps in this window.</div>}
              <div className="small muted">
                bar: p50 (dark) and p95 · from {s.step_sample.step_runs} step runs{s.step_sample.truncated ? " (the newest executions')" : ""}
              </div>
            </section>
            <section className="card">
              <h3>Top failing workflows</h3>
              {s.top_failing.length ? (
                <div className="bars" role="list" aria-label="Failures by workflow">
                  {s.top_failing.slice(0, 6).map((f) => (
                    <div className="bar-row" role="listitem" key={f.workflow} data-workflow={f.workflow}>
                      <Link to={`/executions?workflow=${encodeURIComponent(f.workflow)}&status=failed`} className="bar-key mono">
                        {f.workflow}
                      </Link>
                      <span className="bar-track">
                        <span className="bar-fill st-failed" style={{ width: `${(f.failed / s.top_failing[0].failed) * 100}%` }} />
                      </span>
                      <span className="bar-value">
                        {f.failed} <span className="muted small">({pct(f.error_rate)})</span>
                      </span>
                    </div>
                  ))}
                </div>
              ) : (
                <div className="muted">No failures in this window.</div>
              )}
            </section>
          </div>
          {usage.data && (
            <section className="card">
              <h3>AI tokens and cost per day</h3>
              <UsageDays days={usage.data} />
            </section>
          )}
        </>
      )}
    </>
  );
}
