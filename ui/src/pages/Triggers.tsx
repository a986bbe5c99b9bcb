// Queue triggers and their health (GET /api/v1/triggers): a trigger that lost
// its broker, or cannot store what it receives, is red at a glance — the
// silent consumer is the failure peers are known for.
import { useEffect } from "react";
import { api } from "../api/client";
import type { PollHealth, TriggerHealth } from "../api/types";
import { ago, Empty, ErrorBox, PageHeader, useLoad } from "../components/ui";
import { Link } from "../router";

const STATUS_CLASS: Record<string, string> = { ok: "st-succeeded", connecting: "st-waiting", error: "st-failed" };
const STATUS_LABEL: Record<string, string> = { ok: "healthy", connecting: "connecting", error: "unhealthy" };

function counts(m: Record<string, number>): string {
  const parts = Object.entries(m)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${n.toLocaleString()} ${k.replace("_", " ")}`);
  return parts.length ? parts.join(", ") : "none yet";
}

function Row({ t }: { t: TriggerHealth }) {
  return (
    <tr data-trigger={`${t.workflow}/${t.index}`} className={t.status === "error" ? "row-bad" : undefined}>
      <td>
        <span className={`badge ${STATUS_CLASS[t.status] ?? "st-failed"}`} data-testid="trigger-status">
          {STATUS_LABEL[t.status] ?? t.status}
        </span>
      </td>
      <td>
        <Link to={`/workflows/${encodeURIComponent(t.workflow)}`}>{t.workflow}</Link>
      </td>
      <td className="small">
        <span className="tag">{t.broker}</span> <span className="mono">{t.target}</span>
        <div className="muted">via {t.connection}</div>
        {t.cursor && (
          <div className="muted mono" data-testid="trigger-cursor">
            {t.cursor}
          </div>
        )}
      </td>
      <td className="small nowrap">
        {t.connected ? <span title={t.connected_since}>since {ago(t.connected_since)}</span> : <span className="muted">disconnected</span>}
        {t.reconnects > 0 && <div className="muted">{t.reconnects} reconnect{t.reconnects === 1 ? "" : "s"}</div>}
      </td>
      <td className="small nowrap" title={t.last_message_at}>
        {t.last_message_at ? ago(t.last_message_at) : <span className="muted">never</span>}
      </td>
      <td className="small mono">{t.lag === null ? <span className="muted">—</span> : t.lag.toLocaleString()}</td>
      <td className="small">{counts(t.messages)}</td>
      <td className="small">
        {t.last_error ? (
          <div className="clip" title={t.last_error} data-testid="trigger-error">
            {t.last_error}
            <div className="muted">{ago(t.last_error_at)}</div>
          </div>
        ) : (
          <span className="muted">—</span>
        )}
      </td>
    </tr>
  );
}

const POLL_CLASS: Record<string, string> = { ok: "st-succeeded", pending: "st-waiting", paused: "st-waiting", error: "st-failed", late: "st-failed" };
const POLL_LABEL: Record<string, string> = { ok: "healthy", pending: "not polled yet", paused: "paused", error: "unhealthy", late: "late" };

/** When a time lies ahead: "in 40s", else how long ago. */
function until(iso?: string): string {
  if (!iso) return "—";
  const ms = new Date(iso).getTime() - Date.now();
  if (ms <= 0) return "due";
  const s = Math.round(ms / 1000);
  return s < 120 ? `in ${s}s` : `in ${Math.round(s / 60)}m`;
}

function PollRow({ p }: { p: PollHealth }) {
  const bad = p.status === "error" || p.status === "late";
  return (
    <tr data-poll={`${p.workflow}/${p.index}`} className={bad ? "row-bad" : undefined}>
      <td>
        <span className={`badge ${POLL_CLASS[p.status] ?? "st-failed"}`} data-testid="poll-status">
          {POLL_LABEL[p.status] ?? p.status}
        </span>
      </td>
      <td>
        <Link to={`/workflows/${encodeURIComponent(p.workflow)}`}>{p.workflow}</Link>
      </td>
      <td className="small">
        <span className="tag">{p.step}</span> <span className="muted">every {p.every}</span>
      </td>
      <td className="small nowrap" title={p.last_success_at}>
        {p.last_success_at ? ago(p.last_success_at) : <span className="muted">never</span>}
      </td>
      <td className="small mono" data-testid="poll-items">
        {p.items_seen.toLocaleString()}
      </td>
      <td className="small nowrap" title={p.paused_until ?? p.next_poll_at}>
        {p.status === "paused" ? `paused, resumes ${until(p.paused_until)}` : until(p.next_poll_at)}
        {p.polled_by && <div className="muted">polling now</div>}
      </td>
      <td className="small">
        {p.last_error ? (
          <div className="clip" title={p.last_error} data-testid="poll-error">
            {p.last_error}
            <div className="muted">{ago(p.last_error_at)}</div>
          </div>
        ) : (
          <span className="muted">—</span>
        )}
      </td>
    </tr>
  );
}

function Polls({ polls }: { polls: PollHealth[] }) {
  if (polls.length === 0) return null;
  return (
    <>
      <h2>Polling triggers</h2>
      <table className="table" data-testid="polls">
        <thead>
          <tr>
            <th>Health</th>
            <th>Workflow</th>
            <th>Polls</th>
            <th>Last success</th>
            <th>Items seen</th>
            <th>Next poll</th>
            <th>Last error</th>
          </tr>
        </thead>
        <tbody>
          {polls.map((p) => (
            <PollRow key={`${p.workflow}/${p.index}`} p={p} />
          ))}
        </tbody>
      </table>
      <p className="muted small">Polling state is shared by every process on the database: one of them polls each interval.</p>
    </>
  );
}

export function Triggers() {
  const list = useLoad(() => api.triggers());
  useEffect(() => {
    const id = setInterval(list.reload, 5000);
    return () => clearInterval(id);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);
  const items = list.data?.items ?? [];
  const polls = list.data?.polls ?? [];
  const bad = list.data?.unhealthy ?? 0;
  return (
    <>
      <PageHeader title="Triggers">
        {list.data && (
          <span className={`badge ${bad > 0 ? "st-failed" : "st-succeeded"}`} data-testid="triggers-summary">
            {bad > 0 ? `${bad} unhealthy` : "all healthy"}
          </span>
        )}
        <button className="btn small" onClick={list.reload}>
          Refresh
        </button>
      </PageHeader>
      <ErrorBox error={list.error} />
      <Polls polls={polls} />
      {polls.length > 0 && items.length > 0 && <h2>Queue and mailbox triggers</h2>}
      {list.data && items.length === 0 && polls.length > 0 ? null : list.data && items.length === 0 ? (
        <Empty title="No queue or polling triggers running">
          <p className="muted">
            Give a workflow an <code>on.queue</code> binding (RabbitMQ, NATS JetStream, Redis Streams, Kafka, MQTT), an <code>on.imap</code> mailbox or an <code>on.poll</code> trigger and it shows up here with
            its health.
          </p>
        </Empty>
      ) : (
        <table className="table">
          <thead>
            <tr>
              <th>Health</th>
              <th>Workflow</th>
              <th>Consumes</th>
              <th>Connection</th>
              <th>Last message</th>
              <th>Lag</th>
              <th>Messages</th>
              <th>Last error</th>
            </tr>
          </thead>
          <tbody>
            {items.map((t) => (
              <Row key={`${t.workflow}/${t.index}`} t={t} />
            ))}
          </tbody>
        </table>
      )}
      {items.length > 0 && <p className="muted small">Queue and mailbox health is per process: with several Weft processes, each lists the consumers and mailboxes it runs.</p>}
    </>
  );
}

/** The number of unhealthy triggers, polled for the navigation badge. */
export function useUnhealthyTriggers(): number {
  const list = useLoad(() => api.triggers());
  useEffect(() => {
    const id = setInterval(list.reload, 10000);
    return () => clearInterval(id);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);
  return list.data?.unhealthy ?? 0;
}
