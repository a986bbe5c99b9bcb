// A router in forty lines: history.pushState plus a hook. The Go handler
// serves index.html for every unknown path, so deep links work.
import { useEffect, useState, type AnchorHTMLAttributes, type MouseEvent } from "react";

const listeners = new Set<() => void>();

/**
 * A page with unsaved work registers a blocker: it returns a question to ask
 * before leaving (or undefined to let go). In-app links, navigate() and the
 * browser's back/forward ask it; a reload is the page's beforeunload.
 */
type Blocker = (to: string) => string | undefined;
const blockers = new Set<Blocker>();
export function blockNavigation(b: Blocker) {
  blockers.add(b);
  return () => void blockers.delete(b);
}
function allowed(to: string): boolean {
  for (const b of blockers) {
    const q = b(to);
    if (q && !window.confirm(q)) return false;
  }
  return true;
}

let here = location.pathname + location.search;
window.addEventListener("popstate", (e) => {
  const to = location.pathname + location.search;
  if (!allowed(to)) {
    // Stay: put the page we were on back on top of the history.
    history.pushState(e.state, "", here);
    return;
  }
  here = to;
  listeners.forEach((f) => f());
});

/** Go to a path; state travels with the history entry (the editor keeps its session through a save under a new name). */
export function navigate(to: string, replace = false, state: unknown = null) {
  if (to === location.pathname + location.search) return;
  // replace is the app moving itself (a save under a new name), not the user leaving.
  if (!replace && !allowed(to)) return;
  here = to;
  if (replace) history.replaceState(state, "", to);
  else history.pushState(state, "", to);
  listeners.forEach((f) => f());
}

export function useLocation() {
  const [, setTick] = useState(0);
  useEffect(() => {
    const f = () => setTick((t) => t + 1);
    listeners.add(f);
    return () => void listeners.delete(f);
  }, []);
  return { path: location.pathname, query: new URLSearchParams(location.search) };
}

/** Match "/workflows/:name" against a path; returns the params or null. */
export function match(pattern: string, path: string): Record<string, string> | null {
  const p = pattern.split("/");
  const s = path.replace(/\/+$/, "").split("/");
  if (p.length !== s.length && !(p.length === 1 && s.length === 1)) return null;
  const out: Record<string, string> = {};
  for (let i = 0; i < p.length; i++) {
    if (p[i].startsWith(":")) out[p[i].slice(1)] = decodeURIComponent(s[i] ?? "");
    else if (p[i] !== s[i]) return null;
  }
  return out;
}

export function Link({ to, ...rest }: AnchorHTMLAttributes<HTMLAnchorElement> & { to: string }) {
  const onClick = (e: MouseEvent<HTMLAnchorElement>) => {
    if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    rest.onClick?.(e);
    navigate(to);
  };
  return <a href={to} {...rest} onClick={onClick} />;
}
