// The audit trail: who changed what, from where and when, newest first,
// with filters, a JSON-lines export and a check of the hash chain.
import { useState } from "react";
import { identityApi, type AuditEntry } from "../api/client";
import { ErrorBox, Json, PageHeader, useLoad } from "../components/ui";

export function Audit() {
  const [filters, setFilters] = useState({ actor: "", action: "", target: "", since: "" });
  const [applied, setApplied] = useState(filters);
  const q = { ...applied, since: applied.since ? new Date(applied.since).toISOString() : "", limit: "200" };
  const list = useLoad(() => identityApi.audit(q), [JSON.stringify(applied)]);
  const [verify, setVerify] = useState<string>();
  const [error, setError] = useState<unknown>();
  const exportLines = async () => {
    setError(undefined);
    try {
      const text = await identityApi.exportAudit({ ...q, limit: "" });
      const a = document.createElement("a");
      a.href = URL.createObjectURL(new Blob([text], { type: "application/x-ndjson" }));
      a.download = "weft-audit.jsonl";
      a.click();
      URL.revokeObjectURL(a.href);
    } catch (e) {
      setError(e);
    }
  };
  const check = async () => {
    setError(undefined);
    try {
      const r = await identityApi.verifyAudit();
      setVerify(r.broken ? `Broken at entry ${r.broken.seq}: ${r.broken.reason}` : `Chain intact: ${r.checked} entries verified, head ${r.head_hash.slice(0, 16)}…`);
    } catch (e) {
      setError(e);
    }
  };
  return (
    <>
      <PageHeader title="Audit trail">
        <button className="btn small" onClick={() => void check()}>
          Verify chain
        </button>
        <button className="btn small" onClick={() => void exportLines()}>
          Export JSON lines
        </button>
      </PageHeader>
      {verify && (
        <div className={verify.startsWith("Broken") ? "error-box" : "card"} role="status" data-testid="audit-verify">
          {verify}
        </div>
      )}
      <ErrorBox error={error ?? list.error} />
      <form
        className="filters"
        aria-label="Audit filters"
        onSubmit={(e) => {
          e.preventDefault();
          setApplied(filters);
        }}
      >
        {(["actor", "action", "target"] as const).map((k) => (
          <label key={k}>
            {k}
            <input value={filters[k]} onChange={(e) => setFilters({ ...filters, [k]: e.target.value })} placeholder={k === "action" ? "e.g. workflow. or signin" : ""} />
          </label>
        ))}
        <label>
          since
          <input type="datetime-local" value={filters.since} onChange={(e) => setFilters({ ...filters, since: e.target.value })} />
        </label>
        <button className="btn small primary">Filter</button>
      </form>
      <table className="table" data-testid="audit">
        <thead>
          <tr>
            <th>#</th>
            <th>When</th>
            <th>Who</th>
            <th>Action</th>
            <th>Target</th>
            <th>From</th>
            <th>Detail</th>
          </tr>
        </thead>
        <tbody>
          {(list.data?.items ?? []).map((e: AuditEntry) => (
            <tr key={e.seq} data-action={e.action}>
              <td className="small mono">{e.seq}</td>
              <td className="small nowrap">{new Date(e.time).toLocaleString()}</td>
              <td className="small">{e.actor}</td>
              <td className="small mono">{e.action}</td>
              <td className="small">{e.target}</td>
              <td className="small mono">{e.source}</td>
              <td className="small">{e.detail ? <Json value={e.detail} /> : <span className="muted">—</span>}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
