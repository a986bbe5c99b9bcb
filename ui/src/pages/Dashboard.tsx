// Counts from the executions list. The server has no metrics API for the UI
// yet (GET /metrics is Prometheus text), so this page shows what the list
// gives: executions by status and by workflow over the last 200 runs.
import { api } from "../api/client";
import { EXECUTION_STATUSES, type Execution } from "../api/types";
import { ErrorBox, PageHeader, useLoad } from "../components/ui";
import { Link } from "../router";

function Bars({ data, label }: { data: { key: string; value: number; cls?: string }[]; label: string }) {
  const max = Math.max(1, ...data.map((d) => d.value));
  return (
    <div className="bars" role="img" aria-label={label}>
      {data.map((d) => (
        <div className="bar-row" key={d.key}>
          <span className="bar-key">{d.key}</span>
          <span className="bar-track">
            <span className={`bar-fill ${d.cls ?? ""}`} style={{ width: `${(d.value / max) * 100}%` }} />
          </span>
          <span className="bar-value">{d.value}</span>
        </div>
      ))}
    </div>
  );
}

function perMinute(items: Execution[]) {
  const now = Date.now();
  const buckets = Array.from({ length: 30 }, () => ({ ok: 0, bad: 0 }));
  for (const e of items) {
    const m = Math.floor((now - new Date(e.created_at).getTime()) / 60000);
    if (m >= 0 && m < 30) {
      if (e.status === "failed" || e.status === "canceled") buckets[29 - m].bad++;
      else buckets[29 - m].ok++;
    }
  }
  return buckets;
}

export function Dashboard() {
  const ex = useLoad(() => api.executions({ limit: 200 }));
  const items = ex.data?.items ?? [];
  const by = (f: (e: Execution) => string) => {
    const m = new Map<string, number>();
    for (const e of items) m.set(f(e), (m.get(f(e)) ?? 0) + 1);
    return m;
  };
  const status = by((e) => e.status);
  const failing = [...by((e) => (e.status === "failed" ? e.workflow : "")).entries()].filter(([k]) => k).sort((a, b) => b[1] - a[1]).slice(0, 5);
  const done = (status.get("succeeded") ?? 0) + (status.get("failed") ?? 0);
  const errRate = done ? Math.round((100 * (status.get("failed") ?? 0)) / done) : 0;
  const pm = perMinute(items);
  const pmMax = Math.max(1, ...pm.map((b) => b.ok + b.bad));

  return (
    <>
      <PageHeader title="Dashboard" />
      <ErrorBox error={ex.error} />
      <div className="stats">
        <div className="card stat">
          <div className="label">Recent executions</div>
          <div className="num">{items.length}</div>
        </div>
        <div className="card stat">
          <div className="label">Succeeded</div>
          <div className="num ok">{status.get("succeeded") ?? 0}</div>
        </div>
        <div className="card stat">
          <div className="label">Failed</div>
          <div className="num bad">{status.get("failed") ?? 0}</div>
        </div>
        <div className="card stat">
          <div className="label">Error rate</div>
          <div className="num">{errRate}%</div>
        </div>
      </div>
      <div className="split">
        <section className="card">
          <h3>By status</h3>
          <Bars label="Executions by status" data={EXECUTION_STATUSES.map((s) => ({ key: s, value: status.get(s) ?? 0, cls: `st-${s}` }))} />
        </section>
        <section className="card">
          <h3>Per minute, last 30 minutes</h3>
          <div className="spark" role="img" aria-label="Executions per minute">
            {pm.map((b, i) => (
              <span key={i} className="spark-col" title={`${b.ok} ok, ${b.bad} failed`}>
                <span className="spark-bad" style={{ height: `${(b.bad / pmMax) * 100}%` }} />
                <span className="spark-ok" style={{ height: `${(b.ok / pmMax) * 100}%` }} />
              </span>
            ))}
          </div>
          <div className="muted small">green: succeeded or running · red: failed or canceled</div>
        </section>
      </div>
      <section className="card">
        <h3>Top failing workflows</h3>
        {failing.length ? (
          <Bars label="Failures by workflow" data={failing.map(([k, v]) => ({ key: k, value: v, cls: "st-failed" }))} />
        ) : (
          <div className="muted">No failures in the recent executions.</div>
        )}
        {failing.length > 0 && (
          <Link to="/executions?status=failed" className="small">
            See failed executions
          </Link>
        )}
      </section>
      <p className="muted small note">Step latency by type and AI token usage need server-side metrics that the API does not expose yet.</p>
    </>
  );
}
