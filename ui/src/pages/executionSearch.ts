// The execution list's search box: one field for an execution id prefix, a
// workflow name or a `field = value` filter on the trigger data. Pure, so
// the rules are easy to read and to test.
import type { ExecutionQuery } from "../api/types";

/** What a search text asks for, given the workflow names there are. */
export function parseSearch(text: string, workflows: string[]): ExecutionQuery {
  const t = text.trim();
  if (!t) return {};
  if (t.includes("=")) {
    const [path, ...rest] = t.split("=");
    // "body.x = 1" and "trigger.body.x=1" both mean the trigger data's body.x.
    return { input: `${path.trim().replace(/^trigger\./, "")}=${rest.join("=").trim()}` };
  }
  if (workflows.includes(t)) return { workflow: t };
  const partial = workflows.filter((w) => w.toLowerCase().includes(t.toLowerCase()));
  if (partial.length === 1) return { workflow: partial[0] };
  return { id_prefix: t };
}

/** A datetime-local value as RFC 3339 (in the browser's time zone), or "". */
export function toRFC3339(local: string): string {
  if (!local) return "";
  const d = new Date(local);
  return Number.isNaN(d.getTime()) ? "" : d.toISOString();
}
