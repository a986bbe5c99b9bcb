import { useEffect, useState } from "react";
import { api } from "../api/client";
import { EXECUTION_STATUSES, type BulkAnswer, type ExecutionQuery } from "../api/types";
import { ago, duration, Empty, ErrorBox, PageHeader, StatusBadge, useLoad } from "../components/ui";
import { Link, navigate, useLocation } from "../router";
import { parseSearch, toRFC3339 } from "./executionSearch";

const FINISHED = ["succeeded", "failed", "canceled"];

export function Executions() {
  const { query } = useLocation();
  const workflow = query.get("workflow") ?? "";
  const status = query.get("status") ?? "";
  const from = query.get("from") ?? "";
  const to = query.get("to") ?? "";
  const q = query.get("q") ?? "";
  const cursor = query.get("cursor") ?? "";
  const wfs = useLoad(() => api.workflows());
  const names = (wfs.data?.items ?? []).map((w) => w.name);
  const filter: ExecutionQuery = { workflow, status, from: toRFC3339(from), to: toRFC3339(to), ...parseSearch(q, names) };
  const key = JSON.stringify(filter);
  const list = useLoad(() => api.executions({ ...filter, limit: 50, cursor }), [key, cursor]);
  const [search, setSearch] = useState(q);
  const [picked, setPicked] = useState<Set<string>>(new Set());
  const [outcome, setOutcome] = useState<{ action: string; answer: BulkAnswer }>();
  const [bulkError, setBulkError] = useState<unknown>();
  useEffect(() => setSearch(q), [q]);
  useEffect(() => setPicked(new Set()), [key, cursor]);
  const items = list.data?.items ?? [];
  const running = items.some((e) => !FINISHED.includes(e.status));
  useEffect(() => {
    if (!running) return;
    const t = setInterval(list.reload, 2000);
    return () => clearInterval(t);
  }, [running]); // eslint-disable-line react-hooks/exhaustive-deps

  const set = (k: string, v: string) => {
    const p = new URLSearchParams(location.search);
    if (v) p.set(k, v);
    else p.delete(k);
    if (k !== "cursor") p.delete("cursor");
    navigate(`/executions${p.toString() ? `?${p}` : ""}`);
  };
  const toggle = (id: string) =>
    setPicked((s) => {
      const n = new Set(s);
      if (n.has(id)) n.delete(id);
      else n.add(id);
      return n;
    });
  const all = items.length > 0 && items.every((e) => picked.has(e.id));
  const act = async (action: "retry" | "cancel") => {
    const ids = [...picked];
    const verb = action === "retry" ? "Retry" : "Cancel";
    if (!confirm(`${verb} ${ids.length} execution${ids.length === 1 ? "" : "s"}? ${action === "retry" ? "Failed ones resume from their failed step." : "Running ones stop at their next step."}`)) return;
    setBulkError(undefined);
    try {
      setOutcome({ action, answer: await api.bulk(action, { ids }) });
      setPicked(new Set());
      list.reload();
    } catch (e) {
      setBulkError(e);
    }
  };
  const filtered = !!(workflow || status || from || to || q);

  return (
    <>
      <PageHeader title="Executions">
        <button className="btn" onClick={list.reload}>
          Refresh
        </button>
      </PageHeader>
      <form
        className="filters"
        role="search"
        aria-label="Filter executions"
        onSubmit={(e) => {
          e.preventDefault();
          set("q", search.trim());
        }}
      >
        <input
          type="search"
          aria-label="Search executions"
          placeholder="Execution id, workflow, or field = value (e.g. body.customer.id = 42)"
          value={search}
          onChange={(e) => setSearch(e.target.value)}
          className="grow"
        />
        <button className="btn" type="submit">
          Search
        </button>
        <select aria-label="Workflow" value={workflow} onChange={(e) => set("workflow", e.target.value)}>
          <option value="">All workflows</option>
          {names.map((n) => (
            <option key={n}>{n}</option>
          ))}
        </select>
        <select aria-label="Status" value={status} onChange={(e) => set("status", e.target.value)}>
          <option value="">Any status</option>
          {EXECUTION_STATUSES.map((s) => (
            <option key={s}>{s}</option>
          ))}
        </select>
        <label className="small">
          From <input type="datetime-local" aria-label="From" value={from} onChange={(e) => set("from", e.target.value)} />
        </label>
        <label className="small">
          To <input type="datetime-local" aria-label="To" value={to} onChange={(e) => set("to", e.target.value)} />
        </label>
        {filtered && (
          <button className="btn" type="button" onClick={() => navigate("/executions")}>
            Clear
          </button>
        )}
      </form>
      <div className="bulkbar" role="toolbar" aria-label="Selected executions">
        <span className="muted small">{picked.size ? `${picked.size} selected` : "Select executions to retry or cancel them together"}</span>
        <button className="btn" disabled={!picked.size} onClick={() => act("retry")}>
          Retry selected
        </button>
        <button className="btn" disabled={!picked.size} onClick={() => act("cancel")}>
          Cancel selected
        </button>
      </div>
      <ErrorBox error={list.error ?? bulkError} />
      {outcome && <BulkOutcome {...outcome} onClose={() => setOutcome(undefined)} />}
      {list.data?.scan_limited && (
        <p className="scan-note small" role="status">
          Searched the {list.data.scanned?.toLocaleString()} newest executions {items.length ? "for this page" : "without a match"} (the most one search reads). Older goes on from there.
        </p>
      )}
      {list.data && items.length === 0 ? (
        filtered ? (
          <Empty title="No executions match">
            <p className="muted">Change the search or the filters, or clear them.</p>
          </Empty>
        ) : (
          <Empty title="No executions yet">
            <p className="muted">Executions appear here when a webhook, a schedule or a test run starts a workflow.</p>
          </Empty>
        )
      ) : (
        <table className="table">
          <thead>
            <tr>
              <th className="pick">
                <input
                  type="checkbox"
                  aria-label="Select all on this page"
                  checked={all}
                  onChange={() => setPicked(all ? new Set() : new Set(items.map((e) => e.id)))}
                />
              </th>
              <th>Execution</th>
              <th>Workflow</th>
              <th>Status</th>
              <th>Trigger</th>
              <th>Started</th>
              <th>Duration</th>
            </tr>
          </thead>
          <tbody>
            {items.map((e) => (
              <tr key={e.id} data-execution={e.id} className="clickable" onClick={() => navigate(`/executions/${e.id}`)}>
                <td className="pick" onClick={(ev) => ev.stopPropagation()}>
                  <input type="checkbox" aria-label={`Select ${e.id}`} checked={picked.has(e.id)} onChange={() => toggle(e.id)} />
                </td>
                <td className="mono small">
                  <Link to={`/executions/${e.id}`}>{e.id}</Link>
                </td>
                <td>{e.workflow}</td>
                <td>
                  <StatusBadge status={e.status} />
                  {e.error && <div className="muted small clip">{e.error.message}</div>}
                </td>
                <td className="muted">{e.trigger}</td>
                <td className="muted small" title={e.created_at}>
                  {ago(e.created_at)}
                </td>
                <td className="small">{duration(e.started_at ?? e.created_at, e.finished_at)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <div className="pager">
        {cursor && (
          <button className="btn" onClick={() => set("cursor", "")}>
            First page
          </button>
        )}
        {list.data?.next_cursor && (
          <button className="btn" onClick={() => set("cursor", list.data!.next_cursor!)}>
            Older
          </button>
        )}
      </div>
    </>
  );
}

function BulkOutcome({ action, answer, onClose }: { action: string; answer: BulkAnswer; onClose: () => void }) {
  const ok = answer.results.filter((r) => r.ok);
  const bad = answer.results.filter((r) => !r.ok);
  return (
    <div className={`bulk-outcome${bad.length ? " warn" : ""}`} role="status" data-testid="bulk-outcome">
      <strong>
        {action === "retry" ? "Retried" : "Canceled"} {ok.length} of {answer.results.length}.
      </strong>
      {bad.length > 0 && (
        <ul className="small">
          {bad.map((r) => (
            <li key={r.id}>
              <span className="mono">{r.id}</span>: {r.error?.message}
            </li>
          ))}
        </ul>
      )}
      <button className="btn small" onClick={onClose}>
        Dismiss
      </button>
    </div>
  );
}
