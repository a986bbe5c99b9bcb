import { useEffect, useState, type FormEvent } from "react";
import { ApiError, identityApi, request, session, token } from "../api/client";

/**
 * Three ways in: a user's email and password, the IdP ("Sign in with
 * SSO", when the server has OIDC configured), or an API token such as the
 * admin token (bootstrap and automation).
 */
export function SignIn({ onDone }: { onDone: () => void }) {
  const [sso, setSSO] = useState<{ enabled: boolean; name?: string; url?: string }>({ enabled: false });
  const [error, setError] = useState(() => new URLSearchParams(location.search).get("signin_error") ?? "");
  useEffect(() => {
    identityApi.providers().then(
      (p) => setSSO(p.sso),
      () => undefined,
    );
    if (new URLSearchParams(location.search).has("signin_error")) history.replaceState(null, "", location.pathname);
  }, []);
  return (
    <div className="signin">
      <div className="card signin-card">
        <div className="brand big">
          <span className="logo" aria-hidden>
            W
          </span>
          Weft
        </div>
        {error && (
          <div className="error-box" role="alert">
            {error}
          </div>
        )}
        <PasswordForm onDone={onDone} setError={setError} />
        {sso.enabled && sso.url && (
          <a className="btn sso" href={sso.url} data-testid="sso">
            Sign in with {sso.name ?? "SSO"}
          </a>
        )}
        <div className="signin-or" aria-hidden>
          or
        </div>
        <TokenForm onDone={onDone} setError={setError} />
      </div>
    </div>
  );
}

function PasswordForm({ onDone, setError }: { onDone: () => void; setError: (s: string) => void }) {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError("");
    token.clear();
    try {
      session.set(await identityApi.signIn(email.trim(), password));
      onDone();
    } catch (err) {
      setError(err instanceof ApiError && err.status === 401 ? "The email or password is not correct." : (err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form onSubmit={submit} className="signin-form" aria-label="Account sign-in">
      <label>
        Email
        <input type="email" autoComplete="username" value={email} onChange={(e) => setEmail(e.target.value)} />
      </label>
      <label>
        Password
        <input type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} />
      </label>
      <button className="btn primary" disabled={!email.trim() || !password || busy}>
        {busy ? "Checking…" : "Log in"}
      </button>
    </form>
  );
}

function TokenForm({ onDone, setError }: { onDone: () => void; setError: (s: string) => void }) {
  const [value, setValue] = useState("");
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError("");
    token.set(value.trim());
    try {
      await request("GET", "/api/v1/session");
      onDone();
    } catch (err) {
      token.clear();
      setError(
        err instanceof ApiError && err.status === 401
          ? "That token was not accepted. Use the admin token printed at first start (also in <data>/admin.token) or WEFT_ADMIN_TOKEN, or an API token made on the Tokens page."
          : (err as Error).message,
      );
    } finally {
      setBusy(false);
    }
  };
  return (
    <form onSubmit={submit} className="signin-form" aria-label="Automation sign-in">
      <label>
        API token
        <input type="password" autoComplete="off" value={value} onChange={(e) => setValue(e.target.value)} placeholder="weft_…" />
      </label>
      <button className="btn" disabled={!value.trim() || busy}>
        {busy ? "Checking…" : "Sign in"}
      </button>
      <p className="hint">A token stays in this browser (localStorage) and is sent as a Bearer token.</p>
    </form>
  );
}
