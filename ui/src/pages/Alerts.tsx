// Alert rules and their state (GET /api/v1/alerts): what fires now is at the
// top and red; rules made here can be changed or removed, rules of the
// --alerts file only read.
import { useEffect, useState } from "react";
import { api } from "../api/client";
import type { AlertItem, AlertRule } from "../api/types";
import { ago, Empty, ErrorBox, PageHeader, useLoad } from "../components/ui";
import { Link } from "../router";

const KINDS: { kind: string; label: string; needs: "workflow" | "connection" | "none"; threshold: string }[] = [
  { kind: "failures", label: "Failures of a workflow", needs: "workflow", threshold: "failed executions in the window" },
  { kind: "error_rate", label: "Error rate of a workflow", needs: "workflow", threshold: "share 0–1 (0.2 = 20 %)" },
  { kind: "p95_latency", label: "p95 latency of a workflow", needs: "workflow", threshold: "seconds" },
  { kind: "trigger_silent", label: "Trigger silent", needs: "workflow", threshold: "— (the window is the silence)" },
  { kind: "deliveries_failing", label: "Outbound deliveries failing", needs: "none", threshold: "failed deliveries in the window" },
  { kind: "circuit_open", label: "Connection circuit open", needs: "connection", threshold: "—" },
  { kind: "ai_budget", label: "AI budget crossed", needs: "workflow", threshold: "share spent 0–1" },
];

const STATE_CLASS: Record<string, string> = { firing: "st-failed", ok: "st-succeeded", pending: "st-queued" };

function subject(r: AlertRule): string {
  return r.workflow ?? r.connection ?? r.credential ?? "all deliveries";
}

function Row({ a, onDelete }: { a: AlertItem; onDelete: (name: string) => void }) {
  const r = a.rule;
  const s = a.status;
  return (
    <tr data-alert={r.name} className={s.state === "firing" ? "row-bad" : undefined}>
      <td>
        <span className={`badge ${STATE_CLASS[s.state] ?? "st-queued"}`} data-testid="alert-state">
          {s.state}
        </span>
      </td>
      <td>
        <strong>{r.name}</strong>
        <div className="muted small">{r.source === "file" ? "from the alerts file" : "made here"}</div>
      </td>
      <td className="small">
        <span className="tag">{r.kind}</span> {r.workflow ? <Link to={`/workflows/${encodeURIComponent(r.workflow)}`}>{r.workflow}</Link> : subject(r)}
        {r.window && <div className="muted">window {r.window}</div>}
      </td>
      <td className="small mono" data-testid="alert-value">
        {s.state === "pending" ? "—" : s.value}
        {r.threshold !== undefined && r.threshold > 0 && <span className="muted"> / {r.threshold}</span>}
      </td>
      <td className="small nowrap" title={s.since}>
        {s.since && s.state !== "pending" ? ago(s.since) : <span className="muted">—</span>}
      </td>
      <td className="small">
        <Link to={`/workflows/${encodeURIComponent(r.notify)}`}>{r.notify}</Link>
        {r.repeat && <div className="muted">every {r.repeat} while firing</div>}
      </td>
      <td>
        {r.source !== "file" && (
          <button className="btn small" onClick={() => onDelete(r.name)} aria-label={`Delete alert ${r.name}`}>
            Delete
          </button>
        )}
      </td>
    </tr>
  );
}

function NewAlert({ onSaved }: { onSaved: () => void }) {
  const [name, setName] = useState("");
  const [kind, setKind] = useState("failures");
  const [target, setTarget] = useState("");
  const [window, setWindow] = useState("5m");
  const [threshold, setThreshold] = useState("");
  const [repeat, setRepeat] = useState("");
  const [notify, setNotify] = useState("");
  const [error, setError] = useState<unknown>(null);
  const k = KINDS.find((x) => x.kind === kind) ?? KINDS[0];
  const save = async () => {
    setError(null);
    const rule: Omit<AlertRule, "name" | "source"> = { kind, notify };
    if (k.needs === "workflow") rule.workflow = target;
    if (k.needs === "connection") rule.connection = target;
    if (window && kind !== "circuit_open" && kind !== "ai_budget") rule.window = window;
    if (threshold) rule.threshold = Number(threshold);
    if (repeat) rule.repeat = repeat;
    try {
      await api.putAlert(name, rule);
      setName("");
      onSaved();
    } catch (e) {
      setError(e);
    }
  };
  return (
    <form
      className="form card"
      aria-label="New alert"
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      <h3>New alert</h3>
      <ErrorBox error={error} />
      <label className="field">
        <span className="field-label">name</span>
        <input name="name" value={name} onChange={(e) => setName(e.target.value)} placeholder="orders-failing" required />
      </label>
      <label className="field">
        <span className="field-label">watch</span>
        <select name="kind" value={kind} onChange={(e) => setKind(e.target.value)}>
          {KINDS.map((x) => (
            <option key={x.kind} value={x.kind}>
              {x.label}
            </option>
          ))}
        </select>
      </label>
      {k.needs !== "none" && (
        <label className="field">
          <span className="field-label">{k.needs}</span>
          <input name="target" value={target} onChange={(e) => setTarget(e.target.value)} required />
        </label>
      )}
      {kind !== "circuit_open" && kind !== "ai_budget" && (
        <label className="field">
          <span className="field-label">window</span>
          <input name="window" value={window} onChange={(e) => setWindow(e.target.value)} placeholder="5m" />
        </label>
      )}
      <label className="field">
        <span className="field-label">threshold</span>
        <input name="threshold" value={threshold} onChange={(e) => setThreshold(e.target.value)} inputMode="decimal" placeholder="default" />
        <span className="field-help">{k.threshold}</span>
      </label>
      <label className="field">
        <span className="field-label">repeat</span>
        <input name="repeat" value={repeat} onChange={(e) => setRepeat(e.target.value)} placeholder="1h (empty: notify once)" />
      </label>
      <label className="field">
        <span className="field-label">notify workflow</span>
        <input name="notify" value={notify} onChange={(e) => setNotify(e.target.value)} required />
        <span className="field-help">Runs with alert, state (firing, resolved), value, threshold and since as its trigger.</span>
      </label>
      <div>
        <button className="btn primary" type="submit">
          Create alert
        </button>
      </div>
    </form>
  );
}

export function Alerts() {
  const list = useLoad(() => api.alerts());
  const [creating, setCreating] = useState(false);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    const id = setInterval(list.reload, 5000);
    return () => clearInterval(id);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);
  const items = [...(list.data?.items ?? [])].sort((a, b) => Number(b.status.state === "firing") - Number(a.status.state === "firing"));
  const firing = items.filter((a) => a.status.state === "firing").length;
  const remove = async (name: string) => {
    setError(null);
    try {
      await api.deleteAlert(name);
      list.reload();
    } catch (e) {
      setError(e);
    }
  };
  return (
    <>
      <PageHeader title="Alerts">
        {list.data && (
          <span className={`badge ${firing > 0 ? "st-failed" : "st-succeeded"}`} data-testid="alerts-summary">
            {firing > 0 ? `${firing} firing` : "none firing"}
          </span>
        )}
        <button className="btn small" onClick={() => setCreating((c) => !c)}>
          {creating ? "Close" : "New alert"}
        </button>
        <button className="btn small" onClick={list.reload}>
          Refresh
        </button>
      </PageHeader>
      <ErrorBox error={list.error ?? error} />
      {creating && (
        <NewAlert
          onSaved={() => {
            setCreating(false);
            list.reload();
          }}
        />
      )}
      {list.data && items.length === 0 ? (
        <Empty title="No alert rules">
          <p className="muted">
            Create one here, or list rules in a file given to <code>weft serve --alerts</code>: failures, error rate or p95 latency of a workflow, a silent
            trigger, failing deliveries, an open circuit, an AI budget.
          </p>
        </Empty>
      ) : (
        <table className="table">
          <thead>
            <tr>
              <th>State</th>
              <th>Alert</th>
              <th>Watches</th>
              <th>Value</th>
              <th>Since</th>
              <th>Notifies</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {items.map((a) => (
              <Row key={a.rule.name} a={a} onDelete={remove} />
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

/** Alerts firing now, polled for the navigation badge and the dashboard. */
export function useFiringAlerts(): AlertItem[] {
  const list = useLoad(() => api.alerts().catch(() => ({ items: [] as AlertItem[] })));
  useEffect(() => {
    const id = setInterval(list.reload, 10000);
    return () => clearInterval(id);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);
  return (list.data?.items ?? []).filter((a) => a.status.state === "firing");
}
