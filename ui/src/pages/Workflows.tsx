import { useState } from "react";
import { api, ApiError, session } from "../api/client";
import type { Execution, WorkflowRecord } from "../api/types";
import { ago, Empty, ErrorBox, PageHeader, StatusBadge, useLoad } from "../components/ui";
import { EXAMPLES } from "../examples";
import { Link, navigate } from "../router";

function triggerOf(w: WorkflowRecord): string {
  if (w.webhook_path) return `webhook /hooks/${w.webhook_path}`;
  if (/^\s+schedule\s*:/m.test(w.source)) return "schedule";
  return "manual";
}

/** Whether the workflow is served as an MCP tool (`mcp: {tool: true}`), read from its source. */
export function isMcpTool(src: string): boolean {
  if (/"mcp"\s*:\s*\{[^}]*"tool"\s*:\s*true/.test(src)) return true; // a JSON document
  const m = /^mcp[ \t]*:(.*)$/m.exec(src);
  if (!m) return false;
  if (/\btool\s*:\s*true\b/.test(m[1])) return true; // mcp: { tool: true }
  for (const line of src.slice(m.index + m[0].length).split("\n").slice(1)) {
    if (line.trim() === "" || /^\s*#/.test(line)) continue;
    if (!/^\s/.test(line)) break; // the next top-level key
    if (/^\s+tool\s*:\s*true\b/.test(line)) return true;
  }
  return false;
}

/** Save an example (or a copy) under a name and a webhook path of its own, then open it. */
async function createFrom(text: string, name?: string) {
  const { parseDocument } = await import("yaml");
  const doc = parseDocument(text);
  if (name) {
    doc.set("name", name);
    if (doc.hasIn(["on", "webhook", "path"])) doc.setIn(["on", "webhook", "path"], name);
  }
  const final = String(doc.get("name"));
  await api.saveWorkflow(final, doc.toString({ lineWidth: 0 }));
  navigate(`/workflows/${encodeURIComponent(final)}`);
}

export function Workflows() {
  const wf = useLoad(() => api.workflows());
  const ex = useLoad(() => api.executions({ limit: 200 }).catch(() => ({ items: [] as Execution[] })));
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState("");

  const act = async (key: string, f: () => Promise<unknown>) => {
    setBusy(key);
    setError(undefined);
    try {
      await f();
      wf.reload();
    } catch (e) {
      setError(e);
    } finally {
      setBusy("");
    }
  };

  const runs = new Map<string, Execution[]>();
  for (const e of ex.data?.items ?? []) (runs.get(e.workflow) ?? runs.set(e.workflow, []).get(e.workflow)!).push(e);
  // Workflows Weft keeps itself are listed apart: an install with none of
  // the user's own still shows the empty state and its examples.
  const all = wf.data?.items ?? [];
  const items = all.filter((w) => !w.managed);
  const system = all.filter((w) => w.managed);
  const systemList = system.length > 0 && (
    <details className="system-workflows" data-testid="system-workflows">
      <summary className="muted small">
        {system.length} system workflow{system.length === 1 ? "" : "s"} managed by Weft
      </summary>
      <ul className="small">
        {system.map((w) => (
          <li key={w.name} data-workflow={w.name}>
            <Link to={`/workflows/${encodeURIComponent(w.name)}`} className="mono">
              {w.name}
            </Link>{" "}
            <span className="tag">system</span> <span className="muted">{w.description}</span>
          </li>
        ))}
      </ul>
    </details>
  );

  const examples = (
    <div className="examples">
      {EXAMPLES.map((x) => (
        <div className="card example" key={x.id}>
          <h3>{x.title}</h3>
          <p className="muted">{x.description}</p>
          <button
            className="btn primary"
            disabled={busy !== ""}
            onClick={() =>
              act(x.id, () =>
                createFrom(x.text).catch((e) => {
                  // Already there: just open it.
                  if (e instanceof ApiError && e.status === 409) navigate(`/workflows/${x.id}`);
                  else throw e;
                }),
              )
            }
          >
            {busy === x.id ? "Creating…" : `Use “${x.id}”`}
          </button>
        </div>
      ))}
    </div>
  );

  return (
    <>
      <PageHeader title="Workflows">
        {session.can("workflows:write") && (
          <Link to="/workflows/new" className="btn primary">
            New workflow
          </Link>
        )}
      </PageHeader>
      <ErrorBox error={error ?? wf.error} />
      {wf.loading && !wf.data ? (
        <div className="loading">Loading…</div>
      ) : items.length === 0 && !wf.error ? (
        <Empty title="Create your first workflow">
          <p className="muted">
            A workflow starts from a webhook, a schedule or the API, and runs its steps durably: every step's input and output is stored, and a
            crash resumes where it stopped. Start from an example, or from a blank canvas.
          </p>
          {examples}
          <Link to="/workflows/new" className="btn">
            Start from scratch
          </Link>
          {systemList}
        </Empty>
      ) : (
        <>
        <table className="table">
          <thead>
            <tr>
              <th>Name</th>
              <th>Trigger</th>
              <th>Enabled</th>
              <th>Last run</th>
              <th>Success</th>
              <th>Updated</th>
              <th aria-label="Actions" />
            </tr>
          </thead>
          <tbody>
            {items.map((w) => {
              // Success rate over the recent executions (the newest 200 of all workflows).
              const r = runs.get(w.name) ?? [];
              const done = r.filter((e) => e.status === "succeeded" || e.status === "failed");
              const rate = done.length ? Math.round((100 * done.filter((e) => e.status === "succeeded").length) / done.length) : undefined;
              return (
                <tr key={w.name} data-workflow={w.name}>
                  <td>
                    <Link to={`/workflows/${encodeURIComponent(w.name)}`} className="strong">
                      {w.name}
                    </Link>
                    {isMcpTool(w.source) && (
                      <>
                        {" "}
                        <span className="tag mcp-tool" data-testid="mcp-tool-badge" title="Served as a tool at /mcp: MCP clients (Claude, Cursor, VS Code) can call it">
                          MCP tool
                        </span>
                      </>
                    )}
                    {w.description && <div className="muted small">{w.description}</div>}
                  </td>
                  <td className="mono small nowrap">{triggerOf(w)}</td>
                  <td>
                    <label className="switch" title={w.enabled ? "Disable" : "Enable"}>
                      <input
                        type="checkbox"
                        aria-label={`Enable ${w.name}`}
                        checked={w.enabled}
                        disabled={busy !== ""}
                        onChange={() => act(`en-${w.name}`, () => api.setEnabled(w.name, !w.enabled))}
                      />
                      <span />
                    </label>
                  </td>
                  <td className="nowrap">
                    {w.last_execution ? (
                      <Link to={`/executions/${w.last_execution.id}`} className="plain">
                        <StatusBadge status={w.last_execution.status} /> <span className="muted small">{ago(w.last_execution.created_at)}</span>
                      </Link>
                    ) : (
                      <span className="muted">never</span>
                    )}
                  </td>
                  <td>{rate === undefined ? <span className="muted">—</span> : `${rate}%`}</td>
                  <td className="muted small">{ago(w.updated_at)}</td>
                  <td className="row-actions">
                    <button
                      className="btn small"
                      disabled={busy !== ""}
                      onClick={() => {
                        const name = prompt("Name of the copy", `${w.name}-copy`);
                        if (name) void act(`dup-${w.name}`, () => createFrom(w.source, name));
                      }}
                    >
                      Duplicate
                    </button>
                    <button
                      className="btn small danger"
                      disabled={busy !== ""}
                      onClick={() => confirm(`Delete workflow “${w.name}”? Its executions stay in the history.`) && act(`del-${w.name}`, () => api.deleteWorkflow(w.name))}
                    >
                      Delete
                    </button>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
        {systemList}
        </>
      )}
    </>
  );
}
