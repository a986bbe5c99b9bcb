// Users and service accounts (owners and admins). The role decides what a
// user may do; the server enforces it, this page only offers what the
// signed-in role may change.
import { useState, type FormEvent } from "react";
import { identityApi, session, type User } from "../api/client";
import { ago, ErrorBox, PageHeader, useLoad } from "../components/ui";

const ROLES = ["owner", "admin", "editor", "operator", "viewer"];

export function Users() {
  const list = useLoad(() => identityApi.users());
  const [error, setError] = useState<unknown>();
  const canWrite = session.can("users:write");
  const isOwner = session.get()?.role === "owner";
  const act = async (f: () => Promise<unknown>) => {
    setError(undefined);
    try {
      await f();
      list.reload();
    } catch (e) {
      setError(e);
    }
  };
  return (
    <>
      <PageHeader title="Users" />
      <ErrorBox error={error ?? list.error} />
      {canWrite && <NewUser onDone={list.reload} isOwner={isOwner} />}
      <table className="table" data-testid="users">
        <thead>
          <tr>
            <th>Email or name</th>
            <th>Kind</th>
            <th>Role</th>
            <th>Last sign-in</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {(list.data?.items ?? []).map((u: User) => {
            const locked = !canWrite || (u.role === "owner" && !isOwner);
            return (
              <tr key={u.id} data-user={u.email} className={u.disabled ? "muted" : undefined}>
                <td>
                  {u.email}
                  {u.name && <div className="muted small">{u.name}</div>}
                </td>
                <td className="small">{u.kind === "service" ? "service account" : "person"}</td>
                <td>
                  <select
                    aria-label={`Role of ${u.email}`}
                    value={u.role}
                    disabled={locked}
                    onChange={(e) => void act(() => identityApi.updateUser(u.id, { role: e.target.value }))}
                  >
                    {ROLES.filter((r) => isOwner || r !== "owner" || u.role === "owner").map((r) => (
                      <option key={r}>{r}</option>
                    ))}
                  </select>
                </td>
                <td className="small">{u.last_login_at ? ago(u.last_login_at) : <span className="muted">never</span>}</td>
                <td className="nowrap">
                  {!locked && (
                    <button className="btn small" onClick={() => void act(() => identityApi.updateUser(u.id, { disabled: !u.disabled }))}>
                      {u.disabled ? "Enable" : "Disable"}
                    </button>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </>
  );
}

function NewUser({ onDone, isOwner }: { onDone: () => void; isOwner: boolean }) {
  const [email, setEmail] = useState("");
  const [role, setRole] = useState("viewer");
  const [password, setPassword] = useState("");
  const [service, setService] = useState(false);
  const [error, setError] = useState<unknown>();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(undefined);
    try {
      await identityApi.createUser({ email: email.trim(), role, kind: service ? "service" : "user", password: service ? undefined : password || undefined });
      setEmail("");
      setPassword("");
      onDone();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <form className="card form" onSubmit={submit} aria-label="New user">
      <h3>New user</h3>
      <label>
        {service ? "Service account name" : "Email"}
        <input value={email} onChange={(e) => setEmail(e.target.value)} />
      </label>
      <label>
        Role
        <select value={role} onChange={(e) => setRole(e.target.value)}>
          {ROLES.filter((r) => isOwner || r !== "owner").map((r) => (
            <option key={r}>{r}</option>
          ))}
        </select>
      </label>
      {!service && (
        <label>
          Password (empty: signs in with SSO only)
          <input type="password" autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} />
        </label>
      )}
      <label className="inline">
        <input type="checkbox" checked={service} onChange={(e) => setService(e.target.checked)} /> Service account (no sign-in; holds API tokens)
      </label>
      <ErrorBox error={error} />
      <button className="btn primary" disabled={!email.trim()}>
        Create user
      </button>
    </form>
  );
}
