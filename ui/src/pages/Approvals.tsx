// The approvals inbox: pending `approval` steps (GET /api/v1/approvals),
// approved or rejected here with a comment. The first decision counts.
import { useState } from "react";
import { api } from "../api/client";
import type { Approval } from "../api/types";
import { Link } from "../router";
import { ago, Empty, ErrorBox, Json, PageHeader, useLoad } from "../components/ui";

export function Approvals() {
  const list = useLoad(() => api.approvals(), []);
  // A decision is accepted at once, but the wait row goes only when the
  // engine resumes the execution: a reload right after may still list it.
  // Cards decided here leave the inbox at once instead.
  const [decided, setDecided] = useState<Set<string>>(new Set());
  const key = (a: Approval) => `${a.execution_id}/${a.step_id}/${a.item}`;
  const items = (list.data?.items ?? []).filter((a) => !decided.has(key(a)));
  return (
    <>
      <PageHeader title="Approvals">
        <button className="btn" onClick={list.reload}>Refresh</button>
      </PageHeader>
      <ErrorBox error={list.error} />
      {list.data && items.length === 0 ? (
        <Empty title="Nothing waits for a decision">
          <p className="muted">
            An <code>approval</code> step parks its execution here until someone approves or rejects it.
          </p>
        </Empty>
      ) : (
        <ul className="approvals" aria-label="Pending approvals">
          {items.map((a) => (
            <ApprovalCard
              key={key(a)}
              a={a}
              onDone={() => {
                setDecided((d) => new Set(d).add(key(a)));
                list.reload();
              }}
            />
          ))}
        </ul>
      )}
    </>
  );
}

function ApprovalCard({ a, onDone }: { a: Approval; onDone: () => void }) {
  const [comment, setComment] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const decide = async (d: "approve" | "reject") => {
    setBusy(true);
    setError(undefined);
    try {
      await api.decide(a.execution_id, a.step_id, a.item ?? -1, d, comment);
      onDone();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <li className="card approval" data-testid="approval">
      <div className="approval-head">
        <strong>{a.workflow}</strong>
        <span className="muted">
          {" "}
          · step <code>{a.step_id}</code>
          {a.item >= 0 ? <> item {a.item}</> : null} · <Link to={`/executions/${a.execution_id}`}>{a.execution_id}</Link> · asked {ago(a.created_at)}
        </span>
      </div>
      <p className="approval-message">{a.request?.message}</p>
      {a.request?.details !== undefined && <Json value={a.request.details} />}
      <label className="field">
        <span>Comment</span>
        <textarea aria-label="Comment" value={comment} onChange={(e) => setComment(e.target.value)} rows={2} maxLength={4000} />
      </label>
      <div className="actions">
        <button className="btn primary" disabled={busy} onClick={() => decide("approve")}>
          Approve
        </button>
        <button className="btn danger" disabled={busy} onClick={() => decide("reject")}>
          Reject
        </button>
      </div>
      <ErrorBox error={error} />
    </li>
  );
}
