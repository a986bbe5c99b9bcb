import { useState, type FormEvent } from "react";
import { ApiError, request, token } from "../api/client";

export function SignIn({ onDone }: { onDone: () => void }) {
  const [value, setValue] = useState("");
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError("");
    token.set(value.trim());
    try {
      await request("GET", "/api/v1/workflows?limit=1");
      onDone();
    } catch (err) {
      token.clear();
      setError(
        err instanceof ApiError && err.status === 401
          ? "That token was not accepted. Use the admin token printed at first start (also in <data>/admin.token) or WEFT_ADMIN_TOKEN."
          : (err as Error).message,
      );
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="signin">
      <form onSubmit={submit} className="card signin-card">
        <div className="brand big">
          <span className="logo" aria-hidden>
            W
          </span>
          Weft
        </div>
        <p className="muted">Durable workflows from webhooks. Sign in with an API token.</p>
        <label>
          API token
          <input type="password" autoFocus autoComplete="current-password" value={value} onChange={(e) => setValue(e.target.value)} placeholder="weft_…" />
        </label>
        {error && <div className="error-box">{error}</div>}
        <button className="btn primary" disabled={!value.trim() || busy}>
          {busy ? "Checking…" : "Sign in"}
        </button>
        <p className="hint">The token stays in this browser (localStorage) and is sent as a Bearer token.</p>
      </form>
    </div>
  );
}
