// API tokens: made for yourself (or, by admins, for a service account),
// with scopes and an expiry; the token is shown once, here, and stored
// hashed on the server.
import { useState, type FormEvent } from "react";
import { identityApi, session, type ApiToken } from "../api/client";
import { ago, CopyButton, ErrorBox, PageHeader, useLoad } from "../components/ui";

export function Tokens() {
  const all = session.can("users:read");
  const list = useLoad(() => identityApi.tokens(all));
  const perms = useLoad(() => identityApi.permissions());
  const users = useLoad(() => (session.can("users:write") ? identityApi.users() : Promise.resolve({ items: [] })));
  const [shown, setShown] = useState<{ name: string; token: string }>();
  const [error, setError] = useState<unknown>();
  const me = session.get();
  const revoke = async (t: ApiToken) => {
    setError(undefined);
    try {
      await identityApi.revokeToken(t.id);
      list.reload();
    } catch (e) {
      setError(e);
    }
  };
  const services = (users.data?.items ?? []).filter((u) => u.kind === "service");
  return (
    <>
      <PageHeader title="API tokens" />
      <ErrorBox error={error ?? list.error} />
      {shown && (
        <div className="card" data-testid="new-token" role="status">
          <h3>Token “{shown.name}”</h3>
          <p>Copy it now: it is not shown again (the server keeps only its hash).</p>
          <div className="secret-once" data-testid="token-value">
            {shown.token}
          </div>
          <CopyButton text={shown.token} />
        </div>
      )}
      {me?.via === "admin_token" && services.length === 0 ? (
        <p className="muted">The admin token has no user to own tokens: create a service account on the Users page, or sign in as a user.</p>
      ) : (
        perms.data && (
          <NewToken
            scopes={perms.data.scopes.filter((s) => session.can(s))}
            services={services.map((u) => ({ id: u.id, name: u.email }))}
            forSelf={me?.via !== "admin_token"}
            onCreated={(name, token) => {
              setShown({ name, token });
              list.reload();
            }}
          />
        )
      )}
      <table className="table" data-testid="tokens">
        <thead>
          <tr>
            <th>Name</th>
            <th>Scopes</th>
            <th>Expires</th>
            <th>Last used</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {(list.data?.items ?? []).map((t) => (
            <tr key={t.id} data-token={t.name}>
              <td>
                {t.name}
                <div className="muted small">by {t.created_by}</div>
              </td>
              <td className="small mono">{t.scopes.join(" ")}</td>
              <td className="small">{t.expires_at ? new Date(t.expires_at).toLocaleDateString() : "never"}</td>
              <td className="small">{t.last_used_at ? ago(t.last_used_at) : <span className="muted">never</span>}</td>
              <td>
                {t.revoked_at ? (
                  <span className="badge st-canceled">revoked</span>
                ) : (
                  <button className="btn small danger" onClick={() => void revoke(t)}>
                    Revoke
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

function NewToken({
  scopes,
  services,
  forSelf,
  onCreated,
}: {
  scopes: string[];
  services: { id: string; name: string }[];
  forSelf: boolean;
  onCreated: (name: string, token: string) => void;
}) {
  const [name, setName] = useState("");
  const [picked, setPicked] = useState<string[]>([]);
  const [workflowScopes, setWorkflowScopes] = useState("");
  const [expires, setExpires] = useState("90d");
  const [owner, setOwner] = useState(forSelf ? "" : (services[0]?.id ?? ""));
  const [error, setError] = useState<unknown>();
  const all = [...picked, ...workflowScopes.split(/[\s,]+/).filter(Boolean)];
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(undefined);
    try {
      const out = await identityApi.createToken({ name: name.trim(), scopes: all, expires_in: expires, user_id: owner || undefined });
      setName("");
      setPicked([]);
      setWorkflowScopes("");
      onCreated(out.record.name, out.token);
    } catch (err) {
      setError(err);
    }
  };
  return (
    <form className="card form" onSubmit={submit} aria-label="New token">
      <h3>New token</h3>
      <label>
        Name
        <input value={name} onChange={(e) => setName(e.target.value)} placeholder="what it is for, e.g. deploy from CI" />
      </label>
      {services.length > 0 && (
        <label>
          For
          <select value={owner} onChange={(e) => setOwner(e.target.value)}>
            {forSelf && <option value="">myself</option>}
            {services.map((s) => (
              <option key={s.id} value={s.id}>
                service account {s.name}
              </option>
            ))}
          </select>
        </label>
      )}
      <fieldset>
        <legend>Scopes</legend>
        <div className="scope-grid">
          {scopes.map((s) => (
            <label key={s}>
              <input type="checkbox" checked={picked.includes(s)} onChange={(e) => setPicked(e.target.checked ? [...picked, s] : picked.filter((p) => p !== s))} />
              {s}
            </label>
          ))}
        </div>
      </fieldset>
      <label>
        Scopes for single workflows
        <input value={workflowScopes} onChange={(e) => setWorkflowScopes(e.target.value)} placeholder="executions:run:billing mcp:call:support-bot" />
      </label>
      <label>
        Expires in
        <select value={expires} onChange={(e) => setExpires(e.target.value)}>
          {["7d", "30d", "90d", "365d"].map((d) => (
            <option key={d}>{d}</option>
          ))}
        </select>
      </label>
      <ErrorBox error={error} />
      <button className="btn primary" disabled={!name.trim() || all.length === 0}>
        Create token
      </button>
    </form>
  );
}
