// Help for {{ }} expressions in the step forms: what may follow the caret
// (trigger.*, steps.<id>.output.* from the last run's real data when there is
// one, the other scope roots and the functions), and the mistakes worth
// saying before the server does (an unclosed {{, unbalanced brackets, a step
// that does not exist or that the step does not wait for). Pure functions:
// unit-tested in expr.test.ts. docs/expressions.md is the reference.
import type { Graph } from "../doc/graph";

export interface Suggestion {
  label: string;
  /** Text that replaces the word before the caret. */
  insert: string;
  detail: string;
}

export interface Completion {
  from: number; // start of the replaced word
  to: number; // the caret
  items: Suggestion[];
}

/** What an expression in one step can see. */
export interface ExprScope {
  /** The trigger's data: the last run's input, else the shape the trigger gives. */
  trigger: unknown;
  /** Step ids the step may read (its ancestors), with the last run's output when known. */
  steps: Record<string, { output: unknown }>;
  /** Every step id of the workflow (to tell "unknown" from "not an ancestor"). */
  all: string[];
  /** The step that holds the expression; undefined for workflow-level fields. */
  self?: string;
  forEach: boolean;
  /** Where the sample data came from, for the list's footer. */
  source?: string;
}

export const FUNCTIONS = [
  "upper", "lower", "trim", "split", "replace", "len", "keys", "values", "default", "coalesce", "json", "fromJSON",
  "toJSON", "pick", "omit", "rename", "map", "filter", "find", "first", "last", "join", "sum", "min", "max", "round",
  "int", "float", "string", "now", "formatDate", "parseDate", "base64", "base64decode", "sha256", "sortBy", "groupBy",
  "flatten", "uniq", "count", "any", "all", "hasPrefix", "hasSuffix", "indexOf", "abs", "ceil", "floor",
];

const WEBHOOK_TRIGGER = { body: {}, headers: {}, query: {}, method: "POST", path: "", content_type: "", raw_body: "" };
const SCHEDULE_TRIGGER = { scheduled_at: "", cron: "" };

/** The steps a step waits for, directly or through others. */
export function ancestors(g: Graph, id: string): Set<string> {
  const deps = new Map(g.steps.map((s) => [s.id, s.deps]));
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

/** The scope of step self (or of the workflow when self is undefined). */
export function scopeFor(g: Graph, self: string | undefined, sample: { trigger?: unknown; outputs: Record<string, unknown>; source?: string }): ExprScope {
  const base = g.trigger.kind === "schedule" ? SCHEDULE_TRIGGER : WEBHOOK_TRIGGER;
  const t = sample.trigger;
  const trigger = t && typeof t === "object" && !Array.isArray(t) ? { ...base, ...(t as object) } : base;
  const readable = self ? ancestors(g, self) : new Set<string>();
  const steps: ExprScope["steps"] = {};
  for (const s of g.steps) if (readable.has(s.id)) steps[s.id] = { output: sample.outputs[s.id] };
  const step = g.steps.find((s) => s.id === self);
  return { trigger, steps, all: g.steps.map((s) => s.id), self, forEach: !!step?.forEach, source: sample.source };
}

function describe(v: unknown): string {
  if (v === null || v === undefined) return "nil";
  if (Array.isArray(v)) return `list (${v.length})`;
  if (typeof v === "object") return "object";
  const s = typeof v === "string" ? JSON.stringify(v) : String(v);
  return s.length > 40 ? `${s.slice(0, 39)}…` : s;
}

/** The scope as the engine builds it, from the sample data (for suggestions and the live preview). */
export function rootObject(scope: ExprScope): Record<string, unknown> {
  const steps: Record<string, unknown> = {};
  for (const [id, s] of Object.entries(scope.steps)) steps[id] = { output: s.output ?? {}, status: "succeeded", error: null };
  const root: Record<string, unknown> = {
    trigger: scope.trigger,
    steps,
    execution: { id: "", trigger: "" },
    workflow: { name: "", version: 0 },
    env: {},
    now: "",
  };
  if (scope.forEach) Object.assign(root, { item: {}, index: 0 });
  return root;
}

const ROOT_HELP: Record<string, string> = {
  trigger: "the trigger's data",
  steps: "outputs of the steps this one waits for",
  execution: "id, trigger",
  workflow: "name, version",
  env: "allowlisted environment variables",
  now: "the current time",
  item: "the for_each element",
  index: "the for_each position",
};

/** Where the caret is inside an open {{ … }}, the text from {{ to the caret; else undefined. */
export function openExpression(text: string, caret: number): string | undefined {
  const before = text.slice(0, caret);
  const open = before.lastIndexOf("{{");
  if (open < 0 || before.indexOf("}}", open) >= 0) return undefined;
  return before.slice(open + 2);
}

/** Suggestions for the word before the caret, when the caret is inside {{ }}. */
export function complete(text: string, caret: number, scope: ExprScope): Completion | undefined {
  const inside = openExpression(text, caret);
  if (inside === undefined) return undefined;
  // Inside a string literal: nothing to suggest.
  if ((inside.match(/'/g)?.length ?? 0) % 2 === 1 || (inside.match(/"/g)?.length ?? 0) % 2 === 1) return undefined;
  const m = /(?:^|[^\w.$\]])((?:[A-Za-z_]\w*\.)*)([A-Za-z_]\w*)?$/.exec(inside);
  if (!m) return undefined;
  const path = m[1] ? m[1].slice(0, -1).split(".") : [];
  const word = m[2] ?? "";
  let cur: unknown = rootObject(scope);
  for (const p of path) {
    if (cur && typeof cur === "object" && !Array.isArray(cur) && p in (cur as object)) cur = (cur as Record<string, unknown>)[p];
    else return undefined;
  }
  const items: Suggestion[] = [];
  if (cur && typeof cur === "object" && !Array.isArray(cur)) {
    for (const [k, v] of Object.entries(cur as Record<string, unknown>)) {
      if (!k.toLowerCase().startsWith(word.toLowerCase()) || !/^[A-Za-z_]\w*$/.test(k)) continue;
      const detail = path.length === 0 ? ROOT_HELP[k] ?? "" : path[0] === "steps" && path.length === 1 ? "step" : describe(v);
      items.push({ label: k, insert: k, detail });
    }
  }
  if (path.length === 0) {
    for (const f of FUNCTIONS) if (f.toLowerCase().startsWith(word.toLowerCase()) && word.length > 0) items.push({ label: `${f}()`, insert: `${f}(`, detail: "function" });
  }
  const exact = items.length === 1 && items[0].insert === word;
  if (!items.length || exact) return undefined;
  return { from: caret - word.length, to: caret, items: items.slice(0, 50) };
}

/** Problems with the {{ }} expressions in a value, in words for the form. */
export function checkExpressions(value: string, scope: ExprScope): string[] {
  const out: string[] = [];
  let i = 0;
  while ((i = value.indexOf("{{", i)) >= 0) {
    const end = value.indexOf("}}", i + 2);
    if (end < 0) {
      out.push("“{{” is not closed with “}}”");
      break;
    }
    const body = value.slice(i + 2, end);
    i = end + 2;
    if (!body.trim()) {
      out.push("an empty {{ }}");
      continue;
    }
    const bad = balance(body);
    if (bad) out.push(`${bad} in {{${body}}}`);
    const code = body.replace(/'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"/g, "''");
    for (const ref of code.matchAll(/(?<![\w.])steps\.([A-Za-z_][\w-]*)/g)) {
      const id = ref[1];
      if (id === scope.self) out.push(`a step cannot read its own output (steps.${id})`);
      else if (!scope.all.includes(id)) out.push(`there is no step “${id}” (steps.${id})`);
      else if (scope.self && !(id in scope.steps)) out.push(`steps.${id} is not among the steps “${scope.self}” waits for: add it to needs`);
    }
    for (const ref of code.matchAll(/(?<![\w.])(item|index)\b/g)) {
      if (!scope.forEach && scope.self) out.push(`${ref[1]} exists only inside for_each`);
    }
  }
  return [...new Set(out)];
}

/** The first bracket or quote that does not match, in words; "" when balanced. */
function balance(s: string): string {
  const pairs: Record<string, string> = { ")": "(", "]": "[", "}": "{" };
  const stack: string[] = [];
  let quote = "";
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (quote) {
      if (c === "\\") i++;
      else if (c === quote) quote = "";
      continue;
    }
    if (c === "'" || c === '"' || c === "`") quote = c;
    else if (c === "(" || c === "[" || c === "{") stack.push(c);
    else if (c in pairs) {
      if (stack.pop() !== pairs[c]) return `an unmatched “${c}”`;
    }
  }
  if (quote) return `an unclosed ${quote} string`;
  if (stack.length) return `an unclosed “${stack[stack.length - 1]}”`;
  return "";
}
