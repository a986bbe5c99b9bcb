import { useEffect, useState, type ReactNode } from "react";

export function StatusBadge({ status }: { status: string }) {
  return <span className={`badge st-${status.replace(/\s+/g, "-")}`}>{status}</span>;
}

/**
 * A step run's status as people should read it: once the execution has
 * finished, a step that never finished will not run any more: "not run"
 * (it never started) or "stopped" (it was waiting or running), not
 * "pending" forever.
 */
export function shownStepStatus(status: string, executionFinished: boolean): string {
  if (!executionFinished) return status;
  if (status === "pending") return "not run";
  if (status === "waiting" || status === "running") return "stopped";
  return status;
}

export function ago(iso?: string): string {
  if (!iso) return "—";
  const t = new Date(iso).getTime();
  if (!t) return "—";
  const s = Math.round((Date.now() - t) / 1000);
  if (s < 5) return "just now";
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ago`;
  return new Date(iso).toLocaleDateString();
}

export function duration(from?: string, to?: string): string {
  if (!from) return "—";
  const ms = (to ? new Date(to).getTime() : Date.now()) - new Date(from).getTime();
  if (!(ms >= 0)) return "—";
  return fmtMs(ms);
}

/** A length of time for people: "814 ms", "2.35 s", "1m 5s", "2h 3m". */
export function fmtMs(ms: number): string {
  if (!(ms >= 0)) return "—";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60000) return `${(ms / 1000).toFixed(ms < 10000 ? 2 : 1)} s`;
  if (ms < 3600000) return `${Math.floor(ms / 60000)}m ${Math.round((ms % 60000) / 1000)}s`;
  return `${Math.floor(ms / 3600000)}h ${Math.round((ms % 3600000) / 60000)}m`;
}

const GO_UNITS: Record<string, number> = { h: 3600000, m: 60000, s: 1000, ms: 1, "µs": 0.001, us: 0.001, ns: 0.000001 };

/** A Go duration string ("814.416646ms", "1m30s") formatted by fmtMs; other text is returned as it is. */
export function fmtGoDuration(d: string): string {
  const re = /(\d+(?:\.\d+)?)(ms|µs|us|ns|h|m|s)/g;
  let ms = 0;
  let matched = "";
  for (const m of d.matchAll(re)) {
    ms += parseFloat(m[1]) * GO_UNITS[m[2]];
    matched += m[0];
  }
  return matched && matched === d.replace(/^-/, "") ? fmtMs(ms) : d;
}

export function Json({ value, empty = "—", testId }: { value: unknown; empty?: string; testId?: string }) {
  if (value === undefined || value === null || value === "") return <div className="muted" data-testid={testId}>{empty}</div>;
  let text: string;
  try {
    text = typeof value === "string" ? value : JSON.stringify(value, null, 2);
  } catch {
    text = String(value);
  }
  return (
    <pre className="json" data-testid={testId}>
      {text}
    </pre>
  );
}

export function CopyButton({ text, label = "Copy" }: { text: string; label?: string }) {
  const [done, setDone] = useState(false);
  return (
    <button
      className="btn small"
      type="button"
      onClick={async () => {
        try {
          await navigator.clipboard.writeText(text);
        } catch {
          // Clipboard access needs a secure context; fall back to a selection copy.
          const ta = document.createElement("textarea");
          ta.value = text;
          document.body.appendChild(ta);
          ta.select();
          document.execCommand("copy");
          ta.remove();
        }
        setDone(true);
        setTimeout(() => setDone(false), 1200);
      }}
    >
      {done ? "Copied" : label}
    </button>
  );
}

export function Empty({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="empty">
      <h2>{title}</h2>
      {children}
    </div>
  );
}

export function ErrorBox({ error }: { error: unknown }) {
  if (!error) return null;
  return <div className="error-box" role="alert">{error instanceof Error ? error.message : String(error)}</div>;
}

/** Load data once (and again when deps change); reload() refreshes it. */
export function useLoad<T>(f: () => Promise<T>, deps: unknown[] = []) {
  const [state, setState] = useState<{ data?: T; error?: unknown; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    f().then(
      (data) => live && setState({ data, loading: false }),
      (error) => live && setState({ error, loading: false }),
    );
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, tick]);
  return { ...state, reload: () => setTick((t) => t + 1) };
}

export function PageHeader({ title, children }: { title: ReactNode; children?: ReactNode }) {
  return (
    <header className="page-header">
      <h1>{title}</h1>
      <div className="actions">{children}</div>
    </header>
  );
}
