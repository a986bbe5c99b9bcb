// Steps on the system clipboard as YAML text: what Ctrl+C writes is a
// `steps:` list a person can paste into a workflow file, and Ctrl+V takes the
// same from another workflow, a file or a web page. Pure (clipboard.test.ts).
import { parse as parseYAML, stringify as stringifyYAML } from "yaml";
import { FORMAT } from "./document";
import type { NewStep } from "./graph";

/** The copied steps as a YAML document: `steps:` with each step as in a file. */
export function stepsToYAML(steps: NewStep[]): string {
  const out = steps.map((s) => {
    const { needs, ...rest } = s;
    const deps = (needs as string[] | undefined) ?? [];
    // needs outside the copied set mean nothing elsewhere; inside it they keep the shape.
    return deps.length ? { ...rest, needs: deps } : rest;
  });
  return stringifyYAML({ steps: out }, FORMAT);
}

/**
 * Steps from clipboard text: a `steps:` document, a list of steps or one
 * step (a map with `uses:`). Undefined when the text is not that.
 */
export function stepsFromYAML(text: string): NewStep[] | undefined {
  if (!/\buses\s*:/.test(text)) return undefined;
  let v: unknown;
  try {
    v = parseYAML(text);
  } catch {
    return undefined;
  }
  if (v && typeof v === "object" && !Array.isArray(v) && Array.isArray((v as { steps?: unknown }).steps)) v = (v as { steps: unknown[] }).steps;
  const list = Array.isArray(v) ? v : v && typeof v === "object" ? [v] : [];
  const steps: NewStep[] = [];
  for (const [i, x] of list.entries()) {
    if (!x || typeof x !== "object" || typeof (x as { uses?: unknown }).uses !== "string") return undefined;
    const s = x as Record<string, unknown>;
    const id = typeof s.id === "string" && s.id ? s.id : `step_${i + 1}`;
    const needs = Array.isArray(s.needs) ? s.needs.map(String) : typeof s.needs === "string" ? [s.needs] : [];
    steps.push({ ...s, id, uses: s.uses as string, needs } as NewStep);
  }
  return steps.length ? steps : undefined;
}
