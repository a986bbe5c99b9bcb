import { useEffect } from "react";
import { api } from "../api/client";
import { EXECUTION_STATUSES } from "../api/types";
import { ago, duration, Empty, ErrorBox, PageHeader, StatusBadge, useLoad } from "../components/ui";
import { Link, navigate, useLocation } from "../router";

export function Executions() {
  const { query } = useLocation();
  const workflow = query.get("workflow") ?? "";
  const status = query.get("status") ?? "";
  const cursor = query.get("cursor") ?? "";
  const list = useLoad(() => api.executions({ workflow, status, limit: 50, cursor }), [workflow, status, cursor]);
  const wfs = useLoad(() => api.workflows());
  const running = (list.data?.items ?? []).some((e) => !["succeeded", "failed", "canceled"].includes(e.status));
  useEffect(() => {
    if (!running) return;
    const t = setInterval(list.reload, 2000);
    return () => clearInterval(t);
  }, [running]); // eslint-disable-line react-hooks/exhaustive-deps

  const set = (k: string, v: string) => {
    const q = new URLSearchParams(location.search);
    if (v) q.set(k, v);
    else q.delete(k);
    if (k !== "cursor") q.delete("cursor");
    navigate(`/executions${q.toString() ? `?${q}` : ""}`);
  };

  return (
    <>
      <PageHeader title="Executions">
        <select aria-label="Workflow" value={workflow} onChange={(e) => set("workflow", e.target.value)}>
          <option value="">All workflows</option>
          {(wfs.data?.items ?? []).map((w) => (
            <option key={w.name}>{w.name}</option>
          ))}
        </select>
        <select aria-label="Status" value={status} onChange={(e) => set("status", e.target.value)}>
          <option value="">Any status</option>
          {EXECUTION_STATUSES.map((s) => (
            <option key={s}>{s}</option>
          ))}
        </select>
        <button className="btn" onClick={list.reload}>
          Refresh
        </button>
      </PageHeader>
      <ErrorBox error={list.error} />
      {list.data && list.data.items.length === 0 ? (
        <Empty title="No executions yet">
          <p className="muted">Executions appear here when a webhook, a schedule or a test run starts a workflow.</p>
        </Empty>
      ) : (
        <table className="table">
          <thead>
            <tr>
              <th>Execution</th>
              <th>Workflow</th>
              <th>Status</th>
              <th>Trigger</th>
              <th>Started</th>
              <th>Duration</th>
            </tr>
          </thead>
          <tbody>
            {(list.data?.items ?? []).map((e) => (
              <tr key={e.id} data-execution={e.id} className="clickable" onClick={() => navigate(`/executions/${e.id}`)}>
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
