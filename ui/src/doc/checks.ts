// Dependency problems the canvas shows at once, before a save asks the
// server: a `needs:` naming a step that does not exist, a cycle, and an
// expression reading steps.<id> of a step this one does not wait for (the
// engine refuses all three). Pure functions (checks.test.ts).
import type { Document } from "yaml";
import { stepJS, type Graph } from "./graph";

function ancestorsOf(deps: Map<string, string[]>, id: string): Set<string> {
  const out = new Set<string>();
  const stack = [...(deps.get(id) ?? [])];
  while (stack.length) {
    const d = stack.pop()!;
    if (out.has(d)) continue;
    out.add(d);
    stack.push(...(deps.get(d) ?? []));
  }
  return out;
}

const REF = /\bsteps\.([a-zA-Z_][a-zA-Z0-9_-]*)|\bsteps\[\s*["']([^"']+)["']\s*\]/g;

/** The step ids an expression inside value reads. */
export function referencedSteps(value: unknown): string[] {
  const out = new Set<string>();
  const walk = (v: unknown) => {
    if (typeof v === "string") {
      for (const part of v.match(/\{\{[\s\S]*?\}\}/g) ?? []) for (const m of part.matchAll(REF)) out.add(m[1] ?? m[2]);
    } else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === "object") Object.values(v).forEach(walk);
  };
  walk(value);
  return [...out];
}

export function dependencyProblems(doc: Document, g: Graph): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  const add = (id: string, m: string) => (out[id] ??= []).push(m);
  const ids = new Set(g.steps.map((s) => s.id));
  const deps = new Map(g.steps.map((s) => [s.id, s.deps.filter((d) => ids.has(d))]));
  for (const s of g.steps) {
    for (const d of s.deps) {
      if (d === s.id) add(s.id, `needs itself: remove ${d} from needs`);
      else if (!ids.has(d)) add(s.id, `needs ${d}, which is not a step of this workflow`);
    }
    const anc = ancestorsOf(deps, s.id);
    if (anc.has(s.id) && !s.deps.includes(s.id)) add(s.id, "is part of a cycle of needs: remove one of them");
    const js = stepJS(doc, s.id) ?? {};
    const { id: _id, needs: _needs, ...rest } = js;
    for (const r of referencedSteps(rest)) {
      if (r === s.id) continue; // the expression checker reports reading its own output
      if (!ids.has(r)) add(s.id, `reads steps.${r}, which is not a step of this workflow`);
      else if (!anc.has(r)) add(s.id, `reads steps.${r} but does not wait for it: add ${r} to Depends on`);
    }
  }
  return out;
}
