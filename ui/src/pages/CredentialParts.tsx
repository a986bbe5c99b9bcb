// Parts of the credentials page: the named fields of a `custom` credential
// and "Test connection".
import { useState } from "react";
import { api } from "../api/client";
import type { AppInfo, Credential } from "../api/types";
import { ErrorBox, fmtMs } from "../components/ui";

export interface Extra {
  key: string;
  value: string;
}

const DATABASES = ["postgres", "mysql", "sqlite"];

/** Rows of name = value for a type that allows any field; every value is sealed like a secret. */
export function ExtraFields({ rows, onChange, setNames }: { rows: Extra[]; onChange: (r: Extra[]) => void; setNames: string[] }) {
  const put = (i: number, x: Partial<Extra>) => onChange(rows.map((r, j) => (j === i ? { ...r, ...x } : r)));
  return (
    <fieldset className="nested extra-fields" data-testid="extra-fields">
      <legend>fields</legend>
      <div className="field-help">
        Any named values (all secret), e.g. <span className="mono">api_key</span> and <span className="mono">base_url</span> for the AI steps, or
        values the headers and query templates above use as {"{{ name }}"}. Empty rows are left out.
      </div>
      {rows.map((r, i) => (
        <div className="row gap extra-row" key={i}>
          <input aria-label={`Field ${i + 1} name`} className="mono" value={r.key} placeholder="name" onChange={(e) => put(i, { key: e.target.value })} />
          <input
            aria-label={`Field ${i + 1} value`}
            type="password"
            autoComplete="off"
            value={r.value}
            placeholder={setNames.includes(r.key) ? "set — enter it again to keep it" : "value"}
            onChange={(e) => put(i, { value: e.target.value })}
          />
          <button type="button" className="btn small" aria-label={`Remove field ${r.key || i + 1}`} onClick={() => onChange(rows.filter((_, j) => j !== i))}>
            Remove
          </button>
        </div>
      ))}
      <button type="button" className="btn small" onClick={() => onChange([...rows, { key: "", value: "" }])}>
        Add field
      </button>
    </fieldset>
  );
}

/** Whether a credential can be tested (a webhook secret calls nothing). */
export const testable = (c: Credential) => c.type !== "webhook_secret";

/**
 * One harmless call through the connection (POST …/test): a GET of a URL
 * the user gives (or the stored test_url) for HTTP credentials, SELECT 1
 * for databases. The server redacts the answer.
 */
export function TestConnection({ cred, apps = [], onClose }: { cred: Credential; apps?: AppInfo[]; onClose: () => void }) {
  const db = DATABASES.includes(cred.type);
  // An mcp connection is tested by listing its server's tools (which also refreshes the editor's tool picker).
  const mcp = cred.type === "mcp";
  // A connection named like an app (slack, stripe) is tested with that app's own call.
  const [app, setApp] = useState(() => (apps.some((a) => a.name === cred.name) ? cred.name : ""));
  const [url, setUrl] = useState(() => (cred.hosts?.length && cred.hosts[0] !== "*" ? `https://${cred.hosts[0]}/` : ""));
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ ok: boolean; message: string; duration_ms: number }>();
  const [error, setError] = useState<unknown>();
  const run = async () => {
    setBusy(true);
    setError(undefined);
    setResult(undefined);
    try {
      setResult(await api.testCredential(cred.name, db || mcp || app ? undefined : url.trim() || undefined, db || mcp ? undefined : app || undefined));
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="test-conn small" data-testid="test-connection">
      <form
        className="row gap"
        onSubmit={(e) => {
          e.preventDefault();
          void run();
        }}
      >
        {!db && !mcp && apps.length > 0 && (
          <select aria-label={`App to test ${cred.name} with`} value={app} onChange={(e) => setApp(e.target.value)}>
            <option value="">a URL</option>
            {apps.map((a) => (
              <option key={a.name} value={a.name}>
                {a.title}
              </option>
            ))}
          </select>
        )}
        {db ? (
          <span className="muted">Runs SELECT 1 through the connection.</span>
        ) : mcp ? (
          <span className="muted">Lists the server's tools (tools/list) and keeps the list for the editor and the save-time checks.</span>
        ) : app ? (
          <span className="muted">Makes {apps.find((a) => a.name === app)?.title}'s test call through the connection.</span>
        ) : (
          <input aria-label={`URL to test ${cred.name} against`} className="mono" value={url} placeholder="https://api.example.com/me — a GET that needs the credential and changes nothing" onChange={(e) => setUrl(e.target.value)} />
        )}
        <button className="btn small primary" type="submit" disabled={busy}>
          {busy ? "Testing…" : "Test"}
        </button>
        <button className="btn small" type="button" onClick={onClose}>
          Close
        </button>
      </form>
      {result && (
        <div className={result.ok ? "test-ok" : "test-bad"} role="status" data-ok={String(result.ok)}>
          <strong>{result.ok ? "Connected" : "Failed"}</strong> · {result.message} <span className="muted">({fmtMs(result.duration_ms)})</span>
        </div>
      )}
      <ErrorBox error={error} />
    </div>
  );
}
