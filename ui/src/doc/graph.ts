// YAML ↔ graph. The graph is a view of the document: steps are nodes and
// their dependencies are edges. A step depends on the step before it unless it
// lists `needs:` (issue 2), so an edge may be implicit. Structural edits
// compute every step's wanted dependencies and then write `needs:` only where
// the implicit rule does not already say the same thing, which keeps files
// written by hand as they were.
import { Document, isMap, isScalar, isSeq, visit, YAMLMap } from "yaml";
import { findStep, stepId, stepMaps, stepsSeq, toJS } from "./document";

export interface XY {
  x: number;
  y: number;
}

export interface StepNode {
  id: string;
  uses: string;
  name?: string;
  if?: string;
  forEach?: string;
  deps: string[]; // effective dependencies
  explicit: boolean; // deps come from `needs:`
}

export interface Edge {
  source: string;
  target: string;
  implicit: boolean;
}

export interface TriggerInfo {
  kind: "webhook" | "schedule" | "manual";
  label: string;
  detail: string;
}

export interface Graph {
  name: string;
  trigger: TriggerInfo;
  steps: StepNode[];
  edges: Edge[];
  positions: Record<string, XY>; // only the stored ones (ui.positions)
}

/** Key of the trigger node in ui.positions; step ids cannot start with "$". */
export const TRIGGER = "$trigger";

function str(v: unknown): string | undefined {
  return typeof v === "string" ? v : v == null ? undefined : String(v);
}

function needsOf(m: YAMLMap): string[] | undefined {
  const n = m.get("needs", true);
  if (n === undefined) return undefined;
  if (isSeq(n)) return n.items.map((i) => str(isScalar(i) ? i.value : i) ?? "").filter(Boolean);
  if (isScalar(n) && n.value != null) return [String(n.value)]; // `needs: a` — lenient
  return [];
}

export function triggerOf(doc: Document): TriggerInfo {
  const wh = toJS<Record<string, unknown>>(doc.getIn(["on", "webhook"], true));
  if (wh && typeof wh === "object") {
    const method = str(wh.method) ?? "POST";
    return { kind: "webhook", label: "Webhook", detail: `${method} /hooks/${str(wh.path) ?? ""}` };
  }
  const sc = toJS<Array<Record<string, unknown>>>(doc.getIn(["on", "schedule"], true));
  if (Array.isArray(sc) && sc.length) {
    return { kind: "schedule", label: "Schedule", detail: sc.map((s) => str(s.cron) ?? "").join(", ") };
  }
  return { kind: "manual", label: "Manual", detail: "API or test run" };
}

export function toGraph(doc: Document): Graph {
  const maps = stepMaps(doc);
  const steps: StepNode[] = maps.map((m, i) => {
    const needs = needsOf(m);
    const deps = needs ?? (i > 0 ? [stepId(maps[i - 1])] : []);
    return {
      id: stepId(m),
      uses: str(m.get("uses")) ?? "",
      name: str(m.get("name")),
      if: str(m.get("if")),
      forEach: str(m.get("for_each")),
      deps,
      explicit: needs !== undefined,
    };
  });
  const edges: Edge[] = [];
  for (const s of steps) for (const d of s.deps) edges.push({ source: d, target: s.id, implicit: !s.explicit });
  return { name: str(doc.get("name")) ?? "", trigger: triggerOf(doc), steps, edges, positions: positionsOf(doc) };
}

export function positionsOf(doc: Document): Record<string, XY> {
  const p = toJS<Record<string, XY>>(doc.getIn(["ui", "positions"], true));
  const out: Record<string, XY> = {};
  if (p && typeof p === "object") {
    for (const [k, v] of Object.entries(p)) {
      if (v && typeof v.x === "number" && typeof v.y === "number") out[k] = { x: v.x, y: v.y };
    }
  }
  return out;
}

const sameList = (a: string[], b: string[]) => a.length === b.length && a.every((x, i) => x === b[i]);
const sameSet = (a: string[], b: string[]) => a.length === b.length && a.every((x) => b.includes(x));

/**
 * Write the wanted dependencies of every step. A step whose current `needs:`
 * (or implicit dependency) already says the same is left untouched.
 */
export function writeDeps(doc: Document, wanted: Map<string, string[]>) {
  const maps = stepMaps(doc);
  maps.forEach((m, i) => {
    const id = stepId(m);
    const want = wanted.get(id);
    if (!want) return;
    const current = needsOf(m);
    const implicit = i > 0 ? [stepId(maps[i - 1])] : [];
    if (current !== undefined && sameList(current, want)) return;
    if (current === undefined && sameSet(implicit, want)) return;
    if (sameSet(implicit, want)) {
      m.delete("needs");
      return;
    }
    m.set("needs", doc.createNode(want, { flow: true }));
  });
}

function depsMap(doc: Document): Map<string, string[]> {
  return new Map(toGraph(doc).steps.map((s) => [s.id, [...s.deps]]));
}

/** Would an edge source → target close a cycle? */
export function wouldCycle(doc: Document, source: string, target: string): boolean {
  if (source === target) return true;
  const deps = depsMap(doc);
  const stack = [source];
  const seen = new Set<string>();
  while (stack.length) {
    const cur = stack.pop()!;
    if (cur === target) return true;
    if (seen.has(cur)) continue;
    seen.add(cur);
    stack.push(...(deps.get(cur) ?? []));
  }
  return false;
}

/** Connect source → target (target needs source). source TRIGGER makes target a root. */
export function connect(doc: Document, source: string, target: string): boolean {
  const deps = depsMap(doc);
  if (!deps.has(target)) return false;
  if (source === TRIGGER) {
    deps.set(target, []);
  } else {
    if (!deps.has(source) || wouldCycle(doc, source, target)) return false;
    const cur = deps.get(target)!;
    if (cur.includes(source)) return false;
    deps.set(target, [...cur, source]);
  }
  writeDeps(doc, deps);
  return true;
}

export function disconnect(doc: Document, source: string, target: string): boolean {
  const deps = depsMap(doc);
  const cur = deps.get(target);
  if (!cur || !cur.includes(source)) return false;
  deps.set(
    target,
    cur.filter((d) => d !== source),
  );
  writeDeps(doc, deps);
  return true;
}

/** A step id that is not taken yet, from a base like "http_request". */
export function freshId(doc: Document, base: string, reserved: Set<string> = new Set()): string {
  const taken = new Set([...stepMaps(doc).map(stepId), ...reserved]);
  const clean = base.replace(/[^a-zA-Z0-9_-]/g, "_").replace(/^[^a-zA-Z_]+/, "") || "step";
  if (!taken.has(clean)) return clean;
  for (let i = 2; ; i++) if (!taken.has(`${clean}_${i}`)) return `${clean}_${i}`;
}

export interface NewStep {
  id: string;
  uses: string;
  with?: Record<string, unknown>;
  [key: string]: unknown;
}

/** Append steps; deps says what each one needs (default: nothing, i.e. a new root). */
export function addSteps(doc: Document, steps: NewStep[], deps: Record<string, string[]> = {}, positions: Record<string, XY> = {}) {
  const before = depsMap(doc);
  const seq = stepsSeq(doc, true)!;
  if (seq.flow) seq.flow = false;
  for (const s of steps) {
    const body: Record<string, unknown> = { id: s.id, uses: s.uses };
    for (const [k, v] of Object.entries(s)) if (k !== "id" && k !== "uses" && k !== "needs" && v !== undefined) body[k] = v;
    seq.add(doc.createNode(body));
    before.set(s.id, deps[s.id] ?? []);
  }
  writeDeps(doc, before);
  if (Object.keys(positions).length) setPositions(doc, positions);
}

/**
 * Remove steps. Whatever needed a removed step now needs what the removed
 * step needed, so deleting the middle of a chain keeps the chain.
 */
export function removeSteps(doc: Document, ids: string[]) {
  const gone = new Set(ids);
  const deps = depsMap(doc);
  const resolve = (id: string, seen = new Set<string>()): string[] => {
    if (!gone.has(id)) return [id];
    if (seen.has(id)) return [];
    seen.add(id);
    return (deps.get(id) ?? []).flatMap((d) => resolve(d, seen));
  };
  const wanted = new Map<string, string[]>();
  for (const [id, ds] of deps) {
    if (gone.has(id)) continue;
    wanted.set(id, [...new Set(ds.flatMap((d) => resolve(d)))]);
  }
  const seq = stepsSeq(doc);
  if (seq) seq.items = seq.items.filter((n) => !(isMap(n) && gone.has(stepId(n))));
  writeDeps(doc, wanted);
  const pos = doc.getIn(["ui", "positions"], true);
  if (isMap(pos)) for (const id of ids) pos.delete(id);
}

export function setPositions(doc: Document, positions: Record<string, XY>) {
  for (const [id, p] of Object.entries(positions)) {
    const node = doc.createNode({ x: Math.round(p.x), y: Math.round(p.y) }, { flow: true });
    doc.setIn(["ui", "positions", id], node);
  }
}

const idRef = (id: string) => new RegExp(`(\\bsteps\\.)${id.replace(/[-]/g, "\\-")}(?![\\w-])`, "g");

/** Rename a step and every reference to it: needs, ui positions and steps.<id> in expressions. */
export function renameStep(doc: Document, from: string, to: string): boolean {
  if (from === to || !findStep(doc, from) || findStep(doc, to)) return false;
  const m = findStep(doc, from)!;
  m.set("id", to);
  for (const s of stepMaps(doc)) {
    const n = s.get("needs", true);
    if (isSeq(n)) for (const it of n.items) if (isScalar(it) && it.value === from) it.value = to;
  }
  const re = idRef(from);
  const seq = stepsSeq(doc);
  if (seq)
    visit(seq, {
      Scalar(_, node) {
        if (typeof node.value === "string" && node.value.includes("steps.")) node.value = node.value.replace(re, `$1${to}`);
      },
    });
  const pos = doc.getIn(["ui", "positions"], true);
  if (isMap(pos)) {
    const pair = pos.items.find((p) => isScalar(p.key) && p.key.value === from);
    if (pair && isScalar(pair.key)) pair.key.value = to;
  }
  return true;
}

/** A step's JSON form (for copy, forms and the side panel). */
export function stepJS(doc: Document, id: string): Record<string, unknown> | undefined {
  const m = findStep(doc, id);
  return m ? (m.toJSON() as Record<string, unknown>) : undefined;
}

/** Set (or delete, with undefined / "") one value under a step, e.g. ["with", "url"]. */
export function setStepValue(doc: Document, id: string, path: (string | number)[], value: unknown) {
  const m = findStep(doc, id);
  if (!m) return;
  if (value === undefined || value === "" || (Array.isArray(value) && value.length === 0 && path[0] !== "needs")) {
    if (m.hasIn(path)) m.deleteIn(path);
    // Drop parents that became empty (a with-block with no keys left).
    for (let i = path.length - 1; i > 0; i--) {
      const parent = m.getIn(path.slice(0, i), true);
      if (isMap(parent) && parent.items.length === 0) m.deleteIn(path.slice(0, i));
      else break;
    }
    return;
  }
  const node = value !== null && typeof value === "object" ? doc.createNode(value, { flow: isSmall(value) }) : value;
  if (m.hasIn(path) && !(value !== null && typeof value === "object")) {
    const cur = m.getIn(path, true);
    if (isScalar(cur)) {
      cur.value = value;
      return;
    }
  }
  m.setIn(path, node);
}

/** Set (or delete) a top-level value such as ["on", "webhook", "path"] or ["description"]. */
export function setDocValue(doc: Document, path: string[], value: unknown) {
  if (value === undefined || value === "") {
    if (doc.hasIn(path)) doc.deleteIn(path);
    return;
  }
  const cur = doc.getIn(path, true);
  if (isScalar(cur) && (value === null || typeof value !== "object")) {
    cur.value = value;
    return;
  }
  doc.setIn(path, value !== null && typeof value === "object" ? doc.createNode(value, { flow: isSmall(value) }) : value);
}

/** Small flat objects read best in flow style: { max_attempts: 3, backoff: exponential }. */
function isSmall(v: unknown): boolean {
  if (Array.isArray(v)) return v.length <= 6 && v.every((x) => x === null || typeof x !== "object");
  if (v && typeof v === "object") {
    const vals = Object.values(v);
    return vals.length <= 4 && vals.every((x) => x === null || (typeof x !== "object" && String(x).length < 40));
  }
  return false;
}

/** Copy: the steps as plain objects, with needs limited to the copied set. */
export function copySteps(doc: Document, ids: string[]): NewStep[] {
  const g = toGraph(doc);
  const set = new Set(ids);
  return g.steps
    .filter((s) => set.has(s.id))
    .map((s) => {
      const js = stepJS(doc, s.id)!;
      return { ...js, id: s.id, uses: s.uses, needs: s.deps.filter((d) => set.has(d)) } as NewStep;
    });
}

/** Paste copied steps under fresh ids; returns the new ids. */
export function pasteSteps(doc: Document, steps: NewStep[], at?: XY): string[] {
  const rename = new Map<string, string>();
  const out: NewStep[] = [];
  const reserved = new Set<string>();
  for (const s of steps) {
    const id = freshId(doc, s.id, reserved);
    reserved.add(id);
    rename.set(s.id, id);
    out.push({ ...s, id });
  }
  const deps: Record<string, string[]> = {};
  for (const s of out) deps[s.id] = ((s.needs as string[] | undefined) ?? []).map((d) => rename.get(d) ?? d);
  const positions: Record<string, XY> = {};
  if (at) out.forEach((s, i) => (positions[s.id] = { x: at.x + i * 30, y: at.y + i * 90 }));
  addSteps(
    doc,
    out.map(({ needs: _n, ...rest }) => rest as NewStep),
    deps,
    positions,
  );
  return out.map((s) => s.id);
}
