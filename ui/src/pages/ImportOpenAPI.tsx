// Import any OpenAPI service: paste or upload an OpenAPI 3.x document,
// preview the operations it becomes (<name>.<operation> step types) and
// what was left out, then save it to the server's connectors directory,
// which registers the steps in the palette at once.
import { useState } from "react";
import { ApiError, request } from "../api/client";
import { ErrorBox, PageHeader } from "../components/ui";

export type Imported = {
  name: string;
  title: string;
  base_url: string;
  auth: string[];
  operations: { type: string; title: string; method: string; path: string }[];
  warnings: string[];
  yaml: string;
  saved: boolean;
  registered: boolean;
  note?: string;
};

/** POST /api/v1/connectors/import with the document as the body. */
export function importOpenAPI(doc: string, q: { name: string; base_url?: string; save?: boolean }) {
  const p = new URLSearchParams({ name: q.name });
  if (q.base_url) p.set("base_url", q.base_url);
  if (q.save) p.set("save", "true");
  const json = doc.trimStart().startsWith("{");
  return request<Imported>("POST", `/api/v1/connectors/import?${p}`, doc, json ? "application/json" : "application/yaml");
}

export function ImportOpenAPI() {
  const [doc, setDoc] = useState("");
  const [name, setName] = useState("");
  const [baseURL, setBaseURL] = useState("");
  const [result, setResult] = useState<Imported>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);

  const run = async (save: boolean) => {
    setBusy(true);
    setError(undefined);
    try {
      setResult(await importOpenAPI(doc, { name, base_url: baseURL, save }));
    } catch (e) {
      setError(e instanceof ApiError ? e : new Error(String(e)));
      setResult(undefined);
    } finally {
      setBusy(false);
    }
  };
  const upload = async (f: File | undefined) => {
    if (!f) return;
    setDoc(await f.text());
    setResult(undefined);
    if (!name) setName(f.name.replace(/\.(ya?ml|json)$/i, "").toLowerCase().replace(/[^a-z0-9]+/g, "_").replace(/^[^a-z]+|_+$/g, ""));
  };

  return (
    <>
      <PageHeader title="Import OpenAPI" />
      <p className="muted">
        Any service with an OpenAPI 3 document becomes an app connector: each operation a step type <span className="mono">name.operation</span> in the
        palette, called through a connection (a credential) with its auth, rate limits and retries. Preview first; Save writes{" "}
        <span className="mono">connectors/name/app.yaml</span> on the server.
      </p>
      <form
        className="card form import-openapi"
        onSubmit={(e) => {
          e.preventDefault();
          void run(false);
        }}
      >
        <ErrorBox error={error} />
        <div className="grid2">
          <label className="field">
            <span className="field-label">name</span>
            <input aria-label="Connector name" className="mono" value={name} onChange={(e) => setName(e.target.value)} placeholder="acme" required />
            <span className="field-help">Lower case letters, digits and _; the prefix of its step types.</span>
          </label>
          <label className="field">
            <span className="field-label">base URL (optional)</span>
            <input aria-label="Base URL" className="mono" value={baseURL} onChange={(e) => setBaseURL(e.target.value)} placeholder="https://api.acme.example/v1" />
            <span className="field-help">Needed when the document's first server is relative or missing.</span>
          </label>
        </div>
        <label className="field">
          <span className="field-label">OpenAPI document (YAML or JSON)</span>
          <input aria-label="Upload document" type="file" accept=".yaml,.yml,.json" onChange={(e) => void upload(e.target.files?.[0])} />
          <textarea
            aria-label="OpenAPI document"
            rows={12}
            value={doc}
            onChange={(e) => {
              setDoc(e.target.value);
              setResult(undefined);
            }}
            placeholder={"openapi: 3.0.3\ninfo: {title: Acme, version: '1'}\nservers: [{url: https://api.acme.example}]\npaths: …"}
            required
          />
        </label>
        <div className="actions">
          <button className="btn" type="submit" disabled={busy || !doc || !name}>
            Preview
          </button>
          <button className="btn primary" type="button" disabled={busy || !result || result.saved} onClick={() => void run(true)}>
            Save connector
          </button>
        </div>
      </form>
      {result && <Preview result={result} />}
    </>
  );
}

function Preview({ result }: { result: Imported }) {
  return (
    <section className="import-preview" aria-label="Import preview">
      {result.saved && (
        <div className="card ok-box" role="status">
          Saved <span className="mono">{result.name}</span>. {result.note}
        </div>
      )}
      <h2>
        {result.title} <span className="muted small mono">{result.base_url}</span>
      </h2>
      <p className="muted">
        {result.operations.length} operations · connections of kind {result.auth.join(", ")}
      </p>
      <table className="table" aria-label="Operations">
        <thead>
          <tr>
            <th>Step type</th>
            <th>Title</th>
            <th>Call</th>
          </tr>
        </thead>
        <tbody>
          {result.operations.slice(0, 500).map((op) => (
            <tr key={op.type}>
              <td className="mono">{op.type}</td>
              <td>{op.title}</td>
              <td className="mono small">
                {op.method} {op.path}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {result.operations.length > 500 && <p className="muted">… and {result.operations.length - 500} more.</p>}
      {result.warnings.length > 0 && (
        <details className="card import-warnings" open={result.warnings.length <= 10}>
          <summary>{result.warnings.length} things left out</summary>
          <ul>
            {result.warnings.map((w, i) => (
              <li key={i}>{w}</li>
            ))}
          </ul>
        </details>
      )}
      <details className="card">
        <summary>app.yaml</summary>
        <pre className="mono small import-yaml">{result.yaml.slice(0, 200_000)}</pre>
      </details>
    </section>
  );
}
