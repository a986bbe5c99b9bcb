// Credentials and connections: GET /api/v1/credentials (metadata only) with
// each one's connection state from GET /api/v1/connections, and a form that
// PUTs a credential. Values are write-only: the server never sends them
// back, so editing means entering them again.
import { Fragment, useEffect, useState } from "react";
import { api, session } from "../api/client";
import type { AppInfo, Connection, Credential, Field, Spec } from "../api/types";
import { ago, Empty, ErrorBox, PageHeader, useLoad } from "../components/ui";
import { AppIcon } from "../components/AppIcon";
import { ExtraFields, TestConnection, testable, type Extra } from "./CredentialParts";

function Status({ c, oauth }: { c?: Connection; oauth?: boolean }) {
  if (!c) return <span className="muted">—</span>;
  const { status: s, limiter: l } = c;
  const failing = s.last_failure && (!s.last_success || s.last_failure > s.last_success);
  return (
    <div className="small">
      {failing ? (
        <span className="badge st-failed" title={s.last_error}>
          failing
        </span>
      ) : s.last_success ? (
        <span className="badge st-succeeded">ok</span>
      ) : oauth ? null : (
        <span className="badge st-skipped">unused</span>
      )}
      {s.last_success && <span className="muted"> last ok {ago(s.last_success)}</span>}
      {failing && s.last_error && <div className="bad clip" title={s.last_error}>{s.last_error}</div>}
      {s.token_expiry && <div className="muted">token expires {new Date(s.token_expiry).toLocaleString()}</div>}
      <div className="muted">
        {l.limits ? `${l.limits} · ` : ""}
        {l.in_flight} in flight · {l.queued} queued · {l.recent_calls} recent calls
        {l.paused_until && new Date(l.paused_until) > new Date() ? <span className="bad"> · paused until {new Date(l.paused_until).toLocaleTimeString()}</span> : null}
      </div>
    </div>
  );
}

/**
 * Whether a connection is authorized in the browser with Connect: an
 * oauth2_code credential, or an mcp connection with oauth (whose
 * redirect_url is set only then).
 */
function browserOAuth(c: Credential): boolean {
  return c.type === "oauth2_code" || (c.type === "mcp" && !!c.fields?.includes("oauth") && !!c.fields?.includes("redirect_url"));
}

/**
 * An mcp connection switched to oauth gets Weft's own callback as its
 * redirect_url unless one is typed already.
 */
function withCallback(type: string, data: Record<string, string>): Record<string, string> {
  if (type === "mcp" && data.oauth === "true" && !data.redirect_url) return { ...data, redirect_url: `${window.location.origin}/oauth/callback` };
  return data;
}

/**
 * OAuth "Connect" for an oauth2_code credential (or an mcp connection with oauth): asks the server for the
 * provider's consent page (?format=json), opens it in a new window (opened
 * on the click itself so popup blockers let it through), then polls the
 * connection until the callback has stored a token.
 */
function Connect({ name, connected, onConnected }: { name: string; connected: boolean; onConnected: () => void }) {
  const [state, setState] = useState<"idle" | "waiting">("idle");
  const [link, setLink] = useState("");
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    if (state !== "waiting") return;
    if (connected) {
      setState("idle");
      setLink("");
      return;
    }
    const t = setInterval(onConnected, 1500);
    const stop = setTimeout(() => setState("idle"), 10 * 60 * 1000);
    return () => {
      clearInterval(t);
      clearTimeout(stop);
    };
  }, [state, connected]); // eslint-disable-line react-hooks/exhaustive-deps
  const start = async () => {
    setError(undefined);
    const win = window.open("", `weft-oauth-${name}`);
    try {
      const { authorize_url } = await api.startOAuth(name);
      if (win) win.location.href = authorize_url;
      else setLink(authorize_url); // blocked: let the user open it
      setState("waiting");
    } catch (e) {
      win?.close();
      setError(e);
    }
  };
  return (
    <div className="connect small">
      <button className={`btn small ${connected ? "" : "primary"}`} onClick={start} disabled={state === "waiting"}>
        {state === "waiting" ? "Waiting for the provider…" : connected ? "Reconnect" : "Connect"}
      </button>
      {link && (
        <div>
          <a href={link} target="_blank" rel="noreferrer">
            Open the provider's consent page
          </a>
        </div>
      )}
      <ErrorBox error={error} />
    </div>
  );
}

function CredentialForm({ types, apps = [], editing, onDone }: { types: Spec[]; apps?: AppInfo[]; editing?: Credential; onDone: () => void }) {
  const [name, setName] = useState(editing?.name ?? "");
  // An app connector this credential is for: its kinds come pre-filled.
  const [appName, setAppName] = useState(() => (apps.some((a) => a.name === editing?.name) ? (editing?.name ?? "") : ""));
  const app = apps.find((a) => a.name === appName);
  const [kind, setKind] = useState<string>();
  const [baseURL, setBaseURL] = useState("");
  const [type, setType] = useState(editing?.type ?? types[0]?.type ?? "");
  const [description, setDescription] = useState(editing?.description ?? "");
  const [hosts, setHosts] = useState((editing?.hosts ?? []).filter((h) => h !== "*").join(", "));
  const [data, setData] = useState<Record<string, string>>({});
  // Named fields of a type that allows any (custom): api_key and base_url
  // first, as the AI steps read them.
  const [extra, setExtra] = useState<Extra[]>(() =>
    editing?.type === "custom"
      ? (editing.fields ?? []).filter((f) => f !== "headers" && f !== "query").map((k) => ({ key: k, value: "" }))
      : [
          { key: "api_key", value: "" },
          { key: "base_url", value: "" },
        ],
  );
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const spec = types.find((t) => t.type === type);
  const fields: Field[] = spec?.fields ?? [];
  const save = async () => {
    setBusy(true);
    setError(undefined);
    try {
      const d: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(data)) {
        if (v === "") continue;
        const f = fields.find((x) => x.name === k);
        // Object and array fields (custom's headers and query) are JSON.
        if (f && (f.type === "object" || f.type === "array")) {
          try {
            d[k] = JSON.parse(v);
          } catch {
            throw new Error(`${k} must be JSON, like {"X-Key": "{{ api_key }}"}`);
          }
        } else d[k] = v;
      }
      if (spec?.allow_extra) {
        for (const x of extra) {
          const k = x.key.trim();
          if (!k || x.value === "") continue;
          if (fields.some((f) => f.name === k)) throw new Error(`${k} is one of the type's own fields; fill it in above`);
          d[k] = x.value;
        }
      }
      const h = hosts.split(",").map((x) => x.trim()).filter(Boolean);
      await api.putCredential(name, { type, data: d, description: description || undefined, ...(h.length ? { hosts: h } : {}), ...(baseURL.trim() ? { base_url: baseURL.trim() } : {}) });
      onDone();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form
      className="card form cred-form"
      aria-label="Credential"
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      <h3>{editing ? `Replace “${editing.name}”` : "New credential"}</h3>
      <ErrorBox error={error} />
      {apps.length > 0 && (
        <fieldset className="app-pick" data-testid="app-pick">
          <label className="field">
            <span className="field-label">app</span>
            <select
              aria-label="App"
              value={appName}
              onChange={(e) => {
                setAppName(e.target.value);
                setKind(undefined);
                if (!editing && (!name || apps.some((a) => a.name === name))) setName(e.target.value);
              }}
            >
              <option value="">— any service (no app connector) —</option>
              {apps.map((a) => (
                <option key={a.name} value={a.name}>
                  {a.title}
                </option>
              ))}
            </select>
            <span className="field-help">A connection named like the app ({appName || "slack"}) is the one its steps use by default.</span>
          </label>
          {app && (
            <div className="row gap wrap" role="group" aria-label={`${app.title} credential kinds`}>
              <AppIcon app={app} size={20} />
              {app.auth.map((a) => (
                <button
                  type="button"
                  key={a.kind}
                  className={`btn small${kind === a.kind ? " primary" : ""}`}
                  data-kind={a.kind}
                  onClick={() => {
                    setKind(a.kind);
                    setType(a.kind);
                    setData({ ...(a.fields ?? {}) });
                  }}
                >
                  {a.title ?? a.kind}
                </button>
              ))}
            </div>
          )}
          {app && kind && <p className="muted small">{app.auth.find((a) => a.kind === kind)?.note}{type === "oauth2_code" ? " After saving, press Connect in the list to authorize Weft at the provider." : ""}</p>}
          {app && (
            <label className="field">
              <span className="field-label">base_url</span>
              <input aria-label="Base URL" className="mono" value={baseURL} placeholder={app.base_url} onChange={(e) => setBaseURL(e.target.value)} />
              <span className="field-help">Only to reach another server: GitHub Enterprise, a sandbox, a test fake.</span>
            </label>
          )}
        </fieldset>
      )}
      <div className="grid2">
        <label className="field">
          <span className="field-label">name</span>
          <input aria-label="Credential name" className="mono" value={name} disabled={!!editing} onChange={(e) => setName(e.target.value)} placeholder="slack" required />
          <span className="field-help">Steps name it in credential: or auth.credential.</span>
        </label>
        <label className="field">
          <span className="field-label">type</span>
          <select aria-label="Credential type" value={type} onChange={(e) => setType(e.target.value)}>
            {types.map((t) => (
              <option key={t.type} value={t.type}>
                {t.title} ({t.type})
              </option>
            ))}
          </select>
          {spec?.description && <span className="field-help">{spec.description}</span>}
          {type === "mcp" && data.oauth === "true" && <span className="field-help">After saving, press Connect in the list to authorize Weft at the server.</span>}
        </label>
      </div>
      {fields.map((f) => (
        <label className="field" key={f.name}>
          <span className="field-label">
            {f.name}
            {f.required && <span className="req"> *</span>}
            {f.secret && <span className="tag secret">secret</span>}
          </span>
          {f.enum?.length ? (
            <select aria-label={f.name} value={data[f.name] ?? ""} onChange={(e) => setData(withCallback(type, { ...data, [f.name]: e.target.value }))}>
              <option value="">{f.default !== undefined ? `default (${String(f.default)})` : "—"}</option>
              {f.enum.map((o) => (
                <option key={o}>{o}</option>
              ))}
            </select>
          ) : (
            <input
              aria-label={f.name}
              type={f.secret ? "password" : "text"}
              autoComplete="off"
              value={data[f.name] ?? ""}
              placeholder={
                editing?.fields?.includes(f.name)
                  ? "set — enter it again to keep it"
                  : f.default !== undefined
                    ? String(f.default)
                    : f.type === "object"
                      ? '{"X-Key": "{{ api_key }}"}'
                      : ""
              }
              onChange={(e) => setData({ ...data, [f.name]: e.target.value })}
            />
          )}
          <span className="field-help">{f.description}</span>
        </label>
      ))}
      {spec?.allow_extra && <ExtraFields rows={extra} onChange={setExtra} setNames={editing?.fields ?? []} />}
      <label className="field">
        <span className="field-label">description</span>
        <input aria-label="Description" value={description} onChange={(e) => setDescription(e.target.value)} />
      </label>
      <label className="field">
        <span className="field-label">hosts</span>
        <input aria-label="Hosts" className="mono" value={hosts} onChange={(e) => setHosts(e.target.value)} placeholder="any host" />
        <span className="field-help">Comma-separated hosts it may be sent to; empty means any.</span>
      </label>
      <p className="muted small">Values are write-only: they are sealed on the server and never shown again. A value may also be env:NAME or vault:path#key.</p>
      <div className="row gap end">
        <button type="button" className="btn" onClick={onDone}>
          Cancel
        </button>
        <button type="submit" className="btn primary" disabled={busy || !name}>
          {busy ? "Saving…" : "Save credential"}
        </button>
      </div>
    </form>
  );
}

export function Credentials() {
  const creds = useLoad(() => api.credentials());
  const conns = useLoad(() => api.connections().catch(() => ({ items: [] as Connection[] })));
  const types = useLoad(() => api.credentialTypes());
  const apps = useLoad(() => api.apps().catch(() => ({ items: [] as AppInfo[] })));
  const [editing, setEditing] = useState<Credential | "new">();
  const [testing, setTesting] = useState<string>();
  const [error, setError] = useState<unknown>();
  const byName = new Map((conns.data?.items ?? []).map((c) => [c.name, c]));
  const items = creds.data?.items ?? [];
  const done = () => {
    setEditing(undefined);
    creds.reload();
    conns.reload();
  };
  return (
    <>
      <PageHeader title="Credentials">
        {session.can("credentials:write") && (
          <button className="btn primary" onClick={() => setEditing("new")} disabled={!types.data}>
            New credential
          </button>
        )}
      </PageHeader>
      <ErrorBox error={error ?? creds.error ?? types.error} />
      {editing && types.data && <CredentialForm types={types.data.items} apps={apps.data?.items} editing={editing === "new" ? undefined : editing} onDone={done} />}
      {creds.data && items.length === 0 && !editing ? (
        <Empty title="No credentials yet">
          <p className="muted">A credential holds an API key, a token or an OAuth client for the steps that call other services. Steps refer to it by name; its values never leave the server.</p>
        </Empty>
      ) : (
        items.length > 0 && (
          <table className="table">
            <thead>
              <tr>
                <th>Name</th>
                <th>Type</th>
                <th>Values set</th>
                <th>Connection</th>
                <th>Updated</th>
                <th aria-label="Actions" />
              </tr>
            </thead>
            <tbody>
              {items.map((c) => (
                <Fragment key={c.name}>
                <tr data-credential={c.name}>
                  <td>
                    <span className="strong mono">{c.name}</span>
                    {c.description && <div className="muted small">{c.description}</div>}
                    {c.hosts && c.hosts.join() !== "*" && <div className="muted small mono">{c.hosts.join(", ")}</div>}
                  </td>
                  <td className="mono small">{c.type}</td>
                  <td className="small">{(c.fields ?? []).length ? (c.fields ?? []).map((f) => <span className="tag" key={f}>{f} ●●●</span>) : <span className="muted">none</span>}</td>
                  <td>
                    {browserOAuth(c) && (
                      <div className="small oauth-state" data-testid="oauth-state">
                        {byName.get(c.name)?.status.token_expiry ? <span className="badge st-succeeded">connected</span> : <span className="badge st-skipped">not connected</span>}
                      </div>
                    )}
                    <Status c={byName.get(c.name)} oauth={browserOAuth(c)} />
                    {browserOAuth(c) && <Connect name={c.name} connected={!!byName.get(c.name)?.status.token_expiry} onConnected={conns.reload} />}
                  </td>
                  <td className="muted small">{ago(c.updated_at)}</td>
                  <td className="row-actions">
                    {testable(c) && (
                      <button className="btn small" aria-expanded={testing === c.name} onClick={() => setTesting(testing === c.name ? undefined : c.name)}>
                        Test connection
                      </button>
                    )}
                    <button className="btn small" onClick={() => setEditing(c)}>
                      Replace
                    </button>
                    <button
                      className="btn small danger"
                      onClick={async () => {
                        if (!confirm(`Delete credential “${c.name}”? Steps that use it will fail.`)) return;
                        try {
                          await api.deleteCredential(c.name);
                          done();
                        } catch (e) {
                          setError(e);
                        }
                      }}
                    >
                      Delete
                    </button>
                  </td>
                </tr>
                {testing === c.name && (
                  <tr className="test-row" data-test-for={c.name}>
                    <td colSpan={6}>
                      <TestConnection cred={c} apps={apps.data?.items} onClose={() => setTesting(undefined)} />
                    </td>
                  </tr>
                )}
                </Fragment>
              ))}
            </tbody>
          </table>
        )
      )}
    </>
  );
}
