// AI token use and cost (GET /api/v1/usage), grouped by workflow, step or model.
import { useState } from "react";
import { api } from "../api/client";
import { Empty, ErrorBox, PageHeader, useLoad } from "../components/ui";

const GROUPS = ["workflow", "step", "model"];
const RANGES = [
  { key: "1", label: "Today" },
  { key: "7", label: "7 days" },
  { key: "30", label: "30 days" },
];
const n = (v: number) => v.toLocaleString();
const usd = (v: number) => (v >= 1 ? `$${v.toFixed(2)}` : `$${v.toFixed(4)}`);

export function UsagePage() {
  const [by, setBy] = useState("model");
  const [days, setDays] = useState("7");
  const u = useLoad(() => {
    const from = new Date();
    from.setHours(0, 0, 0, 0);
    from.setDate(from.getDate() - (Number(days) - 1));
    return api.usage({ group_by: by, from: from.toISOString() });
  }, [by, days]);
  const t = u.data?.total;
  const max = Math.max(1e-9, ...(u.data?.groups ?? []).map((g) => g.cost_usd || g.input_tokens + g.output_tokens));
  return (
    <>
      <PageHeader title="Usage">
        <div className="segmented" role="group" aria-label="Time range">
          {RANGES.map((r) => (
            <button key={r.key} className={r.key === days ? "active" : ""} aria-pressed={r.key === days} onClick={() => setDays(r.key)}>
              {r.label}
            </button>
          ))}
        </div>
        <select aria-label="Group by" value={by} onChange={(e) => setBy(e.target.value)}>
          {GROUPS.map((g) => (
            <option key={g} value={g}>
              by {g}
            </option>
          ))}
        </select>
      </PageHeader>
      <ErrorBox error={u.error} />
      {t && (
        <div className="stats">
          <div className="card stat">
            <div className="label">AI calls</div>
            <div className="num">{n(t.calls)}</div>
          </div>
          <div className="card stat">
            <div className="label">Input tokens</div>
            <div className="num">{n(t.input_tokens)}</div>
          </div>
          <div className="card stat">
            <div className="label">Output tokens</div>
            <div className="num">{n(t.output_tokens)}</div>
          </div>
          <div className="card stat">
            <div className="label">Cost</div>
            <div className="num">{usd(t.cost_usd)}</div>
          </div>
        </div>
      )}
      {u.data && u.data.groups.length === 0 ? (
        <Empty title="No AI calls in this window">
          <p className="muted">ai.* steps record their tokens and cost here, per workflow, step and model.</p>
        </Empty>
      ) : (
        u.data && (
          <table className="table">
            <thead>
              <tr>
                <th>{by}</th>
                <th>Calls</th>
                <th>Input</th>
                <th>Output</th>
                <th>Cached</th>
                <th>Cost</th>
                <th aria-label="Share" />
              </tr>
            </thead>
            <tbody>
              {u.data.groups.map((g) => (
                <tr key={g.key}>
                  <td className="mono">{g.key || "—"}</td>
                  <td>{n(g.calls)}</td>
                  <td>{n(g.input_tokens)}</td>
                  <td>{n(g.output_tokens)}</td>
                  <td>{n(g.cached_tokens)}</td>
                  <td>{usd(g.cost_usd)}</td>
                  <td style={{ width: "25%" }}>
                    <span className="bar-track" style={{ display: "block" }}>
                      <span className="bar-fill" style={{ width: `${((g.cost_usd || g.input_tokens + g.output_tokens) / max) * 100}%` }} />
                    </span>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )
      )}
    </>
  );
}
