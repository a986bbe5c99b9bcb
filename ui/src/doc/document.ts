// The workflow document as the editor holds it: YAML text is the source of
// truth, and every edit goes through yaml's Document API so that comments,
// key order and flow style survive. Nothing in src/doc touches the DOM or
// React, so it is unit-tested on its own (see *.test.ts).
import { Document, LineCounter, parseDocument, isMap, isSeq, YAMLMap, YAMLSeq } from "yaml";
import type { ToStringOptions } from "yaml";

/** How the editor writes YAML: no folding of long lines, two-space indent. */
export const FORMAT: ToStringOptions = { lineWidth: 0, minContentWidth: 0, indent: 2 };

// People write `{ path: tickets, method: POST }` but `needs: [a, b]` (issue 2's
// examples do), while yaml has one flowCollectionPadding option for both.
// Flow sequences are therefore written without the padding.
type Ctx = { flowCollectionPadding?: string };
const seqToString = YAMLSeq.prototype.toString;
YAMLSeq.prototype.toString = function (this: YAMLSeq, ctx?: Ctx, ...rest: unknown[]) {
  if (ctx && this.flow) ctx = { ...ctx, flowCollectionPadding: "" };
  return (seqToString as (...a: unknown[]) => string).call(this, ctx, ...rest);
} as typeof seqToString;

export interface Problem {
  line: number; // 1-based; 0 when unknown
  column: number;
  message: string;
  step?: string; // the step the line belongs to, when there is one
}

export interface Parsed {
  doc: Document.Parsed;
  lines: LineCounter;
  problems: Problem[];
}

export function parse(text: string): Parsed {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const problems: Problem[] = doc.errors.map((e) => {
    const pos = lines.linePos(e.pos[0]);
    return { line: pos.line, column: pos.col, message: e.message.split("\n")[0] };
  });
  return { doc, lines, problems };
}

/** Format normalises text the way every editor write does; round trips are byte-stable after it. */
export function format(text: string): string {
  return stringify(parse(text).doc);
}

export function stringify(doc: Document): string {
  return doc.toString(FORMAT);
}

/** The `steps:` sequence, created (block style) when missing. */
export function stepsSeq(doc: Document, create = false): YAMLSeq | undefined {
  let seq = doc.get("steps", true);
  if (!isSeq(seq)) {
    if (!create) return undefined;
    seq = new YAMLSeq();
    if (!isMap(doc.contents)) doc.contents = new YAMLMap() as never;
    doc.set("steps", seq);
  }
  return seq as YAMLSeq;
}

/** The step maps in file order (entries that are not maps are skipped). */
export function stepMaps(doc: Document): YAMLMap[] {
  const seq = stepsSeq(doc);
  if (!seq) return [];
  return seq.items.filter((n): n is YAMLMap => isMap(n));
}

export function stepId(m: YAMLMap): string {
  const v = m.get("id");
  return typeof v === "string" ? v : v == null ? "" : String(v);
}

export function findStep(doc: Document, id: string): YAMLMap | undefined {
  return stepMaps(doc).find((m) => stepId(m) === id);
}

/** The step whose lines contain the 1-based line, for pinning a diagnostic to a node. */
export function stepAtLine(p: Parsed, line: number): string | undefined {
  for (const m of stepMaps(p.doc)) {
    if (!m.range) continue;
    const start = p.lines.linePos(m.range[0]).line;
    // The dash of "- id: x" sits just before the map's range on the same line.
    const end = p.lines.linePos(Math.max(m.range[0], m.range[1] - 1)).line;
    if (line >= start && line <= end) return stepId(m);
  }
  return undefined;
}

/** Attach step ids to problems whose line falls inside a step. */
export function pinProblems(p: Parsed, problems: Problem[]): Problem[] {
  return problems.map((pr) => (pr.step || !pr.line ? pr : { ...pr, step: stepAtLine(p, pr.line) }));
}

export function toJS<T = unknown>(node: unknown): T | undefined {
  if (node && typeof node === "object" && "toJSON" in node && typeof (node as { toJSON: unknown }).toJSON === "function") {
    return (node as { toJSON(): T }).toJSON();
  }
  return node as T | undefined;
}
