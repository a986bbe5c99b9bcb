import { lazy, Suspense, useEffect, useState } from "react";
import { identityApi, onUnauthorized, session, token, type Me } from "./api/client";
import { Link, match, navigate, useLocation } from "./router";
import { SignIn } from "./pages/SignIn";
import { Workflows } from "./pages/Workflows";
import { Executions } from "./pages/Executions";
import { ExecutionDetail } from "./pages/ExecutionDetail";
import { Webhooks } from "./pages/Webhooks";
import { Dashboard } from "./pages/Dashboard";
import { Placeholder } from "./pages/Placeholder";
import { Credentials } from "./pages/Credentials";
import { UsagePage } from "./pages/Usage";
import { Approvals } from "./pages/Approvals";
import { Triggers, useUnhealthyTriggers } from "./pages/Triggers";
import { Templates } from "./pages/Templates";
import { Alerts, useFiringAlerts } from "./pages/Alerts";
import { ImportOpenAPI } from "./pages/ImportOpenAPI";
import { ErrorBoundary } from "./components/ErrorBoundary";
import { Users } from "./pages/Users";
import { Tokens } from "./pages/Tokens";
import { Audit } from "./pages/Audit";

// The editor pulls in @xyflow/react and yaml: load it only when a workflow is opened.
const Editor = lazy(() => import("./editor/Editor"));

const NAV = [
  { to: "/", label: "Workflows", match: (p: string) => p === "/" || p.startsWith("/workflows") },
  { to: "/templates", label: "Templates", match: (p: string) => p.startsWith("/templates") },
  { to: "/executions", label: "Executions", match: (p: string) => p.startsWith("/executions") },
  { to: "/approvals", label: "Approvals", match: (p: string) => p.startsWith("/approvals") },
  { to: "/webhooks", label: "Webhooks", match: (p: string) => p.startsWith("/webhooks") },
  { to: "/triggers", label: "Triggers", match: (p: string) => p.startsWith("/triggers") },
  { to: "/alerts", label: "Alerts", match: (p: string) => p.startsWith("/alerts") },
  { to: "/dashboard", label: "Dashboard", match: (p: string) => p.startsWith("/dashboard") },
  { to: "/credentials", label: "Credentials", match: (p: string) => p.startsWith("/credentials") },
  { to: "/connectors/import", label: "Import API", match: (p: string) => p.startsWith("/connectors/import") },
  { to: "/usage", label: "Usage", match: (p: string) => p.startsWith("/usage") },
  { to: "/users", label: "Users", match: (p: string) => p.startsWith("/users"), perm: "users:read" },
  { to: "/tokens", label: "Tokens", match: (p: string) => p.startsWith("/tokens"), perm: "tokens:own" },
  { to: "/audit", label: "Audit", match: (p: string) => p.startsWith("/audit"), perm: "audit:read" },
];

/** A console session leaves this readable (non-secret) cookie beside its HttpOnly one. */
const hasSessionHint = () => document.cookie.split("; ").some((c) => c === "weft_signed_in=1");

/**
 * The editor instance a path belongs to. Saving a new (or renamed) workflow
 * moves the browser to /workflows/<name> with the old session in
 * history.state, so the same editor stays mounted: its undo history and a
 * running test run survive the save.
 */
function editorSession(path: string): string {
  const s = history.state as { editor?: string } | null;
  return s?.editor ?? path;
}

export function App() {
  const [signedIn, setSignedIn] = useState(() => token.get() !== "" || hasSessionHint());
  const [me, setMe] = useState<Me | null>(null);
  const { path } = useLocation();
  useEffect(
    () =>
      onUnauthorized(() => {
        token.clear();
        session.set(null);
        setMe(null);
        setSignedIn(false);
      }),
    [],
  );
  useEffect(() => {
    if (!signedIn) return;
    identityApi.me().then(
      (m) => {
        session.set(m);
        setMe(m);
      },
      // Not a 401 (that signs out): let the server decide what is allowed.
      () => setMe({ name: "", role: "", via: "", permissions: [] }),
    );
  }, [signedIn]);
  if (!signedIn) return <SignIn onDone={() => setSignedIn(true)} />;
  if (!me) return <div className="loading">Loading…</div>;
  return <Shell path={path} me={me} setSignedIn={setSignedIn} />;
}

function Shell({ path, me, setSignedIn }: { path: string; me: Me; setSignedIn: (b: boolean) => void }) {
  const unhealthy = useUnhealthyTriggers();
  const firing = useFiringAlerts().length;

  let page;
  let m;
  if (path === "/" || path === "/workflows") page = <Workflows />;
  else if (path === "/workflows/new") page = <Editor key={editorSession(path)} session={editorSession(path)} name="" />;
  else if ((m = match("/workflows/:name", path))) page = <Editor key={editorSession(path)} session={editorSession(path)} name={m.name} />;
  else if (path === "/executions") page = <Executions />;
  else if ((m = match("/executions/:id", path))) page = <ExecutionDetail key={m.id} id={m.id} />;
  else if (path === "/webhooks") page = <Webhooks />;
  else if (path === "/triggers") page = <Triggers />;
  else if (path === "/dashboard") page = <Dashboard />;
  else if (path === "/alerts") page = <Alerts />;
  else if (path === "/credentials") page = <Credentials />;
  else if (path === "/usage") page = <UsagePage />;
  else if (path === "/approvals") page = <Approvals />;
  else if (path === "/templates") page = <Templates />;
  else if (path === "/users") page = <Users />;
  else if (path === "/tokens") page = <Tokens />;
  else if (path === "/audit") page = <Audit />;
  else if (path === "/connectors/import") page = <ImportOpenAPI />;
  else page = <Placeholder title="Not found">There is no page at {path}.</Placeholder>;

  const editor = path.startsWith("/workflows/");
  return (
    <div className="shell">
      <nav className="sidebar" aria-label="Main">
        <Link to="/" className="brand">
          <span className="logo" aria-hidden>
            W
          </span>
          Weft
        </Link>
        {NAV.filter((n) => !n.perm || me.permissions.includes(n.perm)).map((n) => (
          <Link key={n.to} to={n.to} className={n.match(path) ? "nav active" : "nav"} aria-current={n.match(path) ? "page" : undefined}>
            {n.label}
            {n.to === "/alerts" && firing > 0 && (
              <span className="nav-alert" data-testid="nav-firing" title={`${firing} alert${firing === 1 ? "" : "s"} firing`}>
                {firing}
              </span>
            )}
            {n.to === "/triggers" && unhealthy > 0 && (
              <span className="nav-alert" data-testid="nav-unhealthy" title={`${unhealthy} unhealthy trigger${unhealthy === 1 ? "" : "s"}`}>
                {unhealthy}
              </span>
            )}
          </Link>
        ))}
        <div className="grow" />
        <div className="whoami" data-testid="whoami" title={`signed in ${me.via === "session" ? "with a session" : "with an API token"}`}>
          {me.name} · {me.role}
        </div>
        <button
          className="nav signout"
          onClick={() => {
            const wasSession = me.via === "session";
            token.clear();
            session.set(null);
            if (wasSession) void identityApi.signOut().catch(() => undefined);
            setSignedIn(false);
            navigate("/");
          }}
        >
          Sign out
        </button>
      </nav>
      <main className={editor ? "main full" : "main"}>
        <ErrorBoundary key={editor ? editorSession(path) : path}>
          <Suspense fallback={<div className="loading">Loading editor…</div>}>{page}</Suspense>
        </ErrorBoundary>
      </main>
    </div>
  );
}
