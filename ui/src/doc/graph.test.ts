import { describe, expect, it } from "vitest";
import { readdirSync, readFileSync, existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { format, parse, stringify, stepAtLine } from "./document";
import {
  TRIGGER,
  addSteps,
  connect,
  copySteps,
  disconnect,
  pasteSteps,
  removeSteps,
  renameStep,
  setPositions,
  setStepValue,
  toGraph,
  writeDeps,
} from "./graph";
import { NODE_H, NODE_W, layout, positionsFor } from "./layout";

// Every workflow we can find: our fixtures plus the repository's examples/ and bench/.
const root = resolve(__dirname, "../../..");
function workflowFiles(): string[] {
  const dirs = [join(__dirname, "__fixtures__"), join(root, "examples"), join(root, "bench")];
  const out: string[] = [];
  const walk = (d: string) => {
    if (!existsSync(d)) return;
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory() && e.name !== "results" && e.name !== "node_modules") walk(p);
      else if (/\.(ya?ml|json)$/.test(e.name)) {
        const text = readFileSync(p, "utf8");
        // Only workflow documents: a top-level name and a steps list.
        if (/^["{\s]*"?name"?\s*:/m.test(text) && /"?steps"?\s*:/.test(text)) out.push(p);
      }
    }
  };
  dirs.forEach(walk);
  return out;
}

const fixture = (name: string) => readFileSync(join(__dirname, "__fixtures__", name), "utf8");
const edit = (text: string, f: (d: ReturnType<typeof parse>["doc"]) => void) => {
  const p = parse(text);
  f(p.doc);
  return stringify(p.doc);
};

describe("round trip of every workflow file", () => {
  const files = workflowFiles();
  it("finds the fixtures", () => expect(files.length).toBeGreaterThanOrEqual(4));
  for (const file of files) {
    it(file.replace(root + "/", ""), () => {
      const text = readFileSync(file, "utf8");
      const p0 = parse(text);
      expect(p0.problems).toEqual([]);
      const formatted = format(text);
      expect(format(formatted)).toBe(formatted); // formatting is idempotent

      // YAML → graph → YAML: writing the graph's own dependencies back changes nothing.
      const p = parse(formatted);
      const g = toGraph(p.doc);
      writeDeps(p.doc, new Map(g.steps.map((s) => [s.id, s.deps])));
      expect(stringify(p.doc)).toBe(formatted);

      // Storing the automatic layout keeps the graph and stays stable on the next pass.
      const withPos = edit(formatted, (d) => setPositions(d, positionsFor(toGraph(d))));
      const g2 = toGraph(parse(withPos).doc);
      expect(g2.steps).toEqual(g.steps);
      expect(g2.edges).toEqual(g.edges);
      expect(Object.keys(g2.positions).sort()).toEqual([TRIGGER, ...g.steps.map((s) => s.id)].sort());
      expect(format(withPos)).toBe(withPos);
      expect(edit(withPos, (d) => setPositions(d, toGraph(d).positions))).toBe(withPos);
    });
  }
});

describe("format", () => {
  it("keeps hand-written files in the usual style as they are", () => {
    for (const f of ["ticket-triage.yaml", "bench.yaml", "parallel-join.yaml"]) expect(format(fixture(f))).toBe(fixture(f));
  });
});

describe("graph", () => {
  it("reads implicit and explicit dependencies", () => {
    const g = toGraph(parse(fixture("ticket-triage.yaml")).doc);
    expect(g.trigger).toEqual({ kind: "webhook", label: "Webhook", detail: "POST /hooks/tickets" });
    expect(g.steps.map((s) => [s.id, s.deps.join(",")])).toEqual([
      ["customer", ""],
      ["analyse", "customer"],
      ["fields", "analyse"],
      ["update_crm", "fields"],
      ["notify", "fields"],
    ]);
    expect(g.steps[4].if).toContain("negative");
    expect(g.edges.filter((e) => e.implicit)).toHaveLength(3);
  });

  it("reads a parallel join and a schedule trigger", () => {
    const g = toGraph(parse(fixture("parallel-join.yaml")).doc);
    expect(g.trigger.kind).toBe("schedule");
    expect(g.steps.find((s) => s.id === "report")!.deps).toEqual(["orders", "refunds"]);
    expect(g.steps.find((s) => s.id === "refunds")!.deps).toEqual([]);
    expect(g.positions.orders).toEqual({ x: 0, y: 120 });
  });

  it("adds a dropped step as a new root and connects it without needs when implicit", () => {
    let text = fixture("bench.yaml");
    text = edit(text, (d) => addSteps(d, [{ id: "log", uses: "transform" }], {}, { log: { x: 10.4, y: 20.6 } }));
    expect(text).toContain("  - id: log\n    uses: transform\n    needs: []\n");
    expect(text).toContain("    log: { x: 10, y: 21 }");
    text = edit(text, (d) => expect(connect(d, "reply", "log")).toBe(true));
    expect(text).toContain("  - id: log\n    uses: transform\nui:");
    expect(toGraph(parse(text).doc).steps[2].deps).toEqual(["reply"]);
  });

  it("refuses cycles and duplicate edges", () => {
    const p = parse(fixture("bench.yaml"));
    expect(connect(p.doc, "reply", "shape")).toBe(false);
    expect(connect(p.doc, "shape", "reply")).toBe(false);
    expect(connect(p.doc, "shape", "shape")).toBe(false);
  });

  it("disconnects an implicit edge by writing needs", () => {
    const text = edit(fixture("bench.yaml"), (d) => disconnect(d, "shape", "reply"));
    expect(text).toContain("  - id: reply\n    uses: respond\n    with: { status: 200, body: \"{{ steps.shape.output }}\" }\n    needs: []\n");
    // and connecting from the trigger makes a step a root too
    const again = edit(fixture("ticket-triage.yaml"), (d) => connect(d, TRIGGER, "fields"));
    expect(toGraph(parse(again).doc).steps[2].deps).toEqual([]);
  });

  it("removing the middle of a chain keeps the chain, and keeps comments", () => {
    const text = edit(fixture("ticket-triage.yaml"), (d) => removeSteps(d, ["analyse"]));
    const g = toGraph(parse(text).doc);
    expect(g.steps.map((s) => [s.id, s.deps.join(",")])).toEqual([
      ["customer", ""],
      ["fields", "customer"],
      ["update_crm", "fields"],
      ["notify", "fields"],
    ]);
    expect(text).toContain("# The seed scenario");
    expect(text).not.toContain("needs: [customer]"); // implicit again, nothing written
  });

  it("removing a join parent rewires explicit needs", () => {
    const text = edit(fixture("parallel-join.yaml"), (d) => removeSteps(d, ["orders"]));
    const g = toGraph(parse(text).doc);
    expect(g.steps.find((s) => s.id === "report")!.deps).toEqual(["refunds"]);
    expect(g.steps.find((s) => s.id === "refunds")!.deps).toEqual([]);
    expect(text).not.toContain("orders: {");
    expect(text).toContain("# join both branches");
  });

  it("renames a step everywhere", () => {
    const text = edit(fixture("parallel-join.yaml"), (d) => expect(renameStep(d, "report", "summary")).toBe(true));
    expect(text).not.toMatch(/steps\.report\b/);
    expect(text).toContain("steps.summary.output.net");
    expect(text).toContain("    summary: { x: 130, y: 240 }");
    const p = parse(text);
    expect(renameStep(p.doc, "summary", "orders")).toBe(false); // taken
  });

  it("sets and clears form values without touching comments", () => {
    let text = edit(fixture("ticket-triage.yaml"), (d) => {
      setStepValue(d, "customer", ["with", "url"], "https://crm2.example.com/c");
      setStepValue(d, "customer", ["timeout"], undefined);
      setStepValue(d, "fields", ["retry"], { max_attempts: 3, backoff: "fixed" });
    });
    expect(text).toContain("      url: \"https://crm2.example.com/c\"\n"); // the quote style is kept
    expect(text).not.toContain("timeout: 30s");
    expect(text).toContain("    retry: { max_attempts: 3, backoff: fixed }");
    expect(text).toContain("# an OpenAI-compatible chat call");
    text = edit(text, (d) => setStepValue(d, "fields", ["retry", "max_attempts"], 4));
    expect(text).toContain("    retry: { max_attempts: 4, backoff: fixed }");
  });

  it("copies and pastes a subgraph under fresh ids", () => {
    const p = parse(fixture("ticket-triage.yaml"));
    const copied = copySteps(p.doc, ["fields", "notify"]);
    const ids = pasteSteps(p.doc, copied, { x: 300, y: 300 });
    expect(ids).toEqual(["fields_2", "notify_2"]);
    const g = toGraph(p.doc);
    expect(g.steps.find((s) => s.id === "fields_2")!.deps).toEqual([]);
    expect(g.steps.find((s) => s.id === "notify_2")!.deps).toEqual(["fields_2"]);
    expect(stringify(p.doc)).toContain("notify_2: { x: 330, y: 390 }");
  });

  it("pins a line to its step", () => {
    const p = parse(fixture("ticket-triage.yaml"));
    const text = fixture("ticket-triage.yaml").split("\n");
    const line = text.findIndex((l) => l.includes("PATCH")) + 1;
    expect(stepAtLine(p, line)).toBe("update_crm");
    expect(stepAtLine(p, 1)).toBeUndefined();
  });

  it("reports YAML syntax errors with a line", () => {
    const p = parse("name: x\nsteps:\n  - id: a\n   uses: b\n");
    expect(p.problems.length).toBeGreaterThan(0);
    expect(p.problems[0].line).toBeGreaterThan(0);
  });
});

describe("layout", () => {
  it("places dependencies above their dependents without overlaps", () => {
    for (const f of ["ticket-triage.yaml", "parallel-join.yaml", "bench.yaml"]) {
      const g = toGraph(parse(fixture(f)).doc);
      const pos = layout(g);
      for (const e of g.edges) expect(pos[e.source].y).toBeLessThan(pos[e.target].y);
      const all = Object.entries(pos);
      for (const [a, pa] of all)
        for (const [b, pb] of all)
          if (a !== b) expect(Math.abs(pa.x - pb.x) >= NODE_W || Math.abs(pa.y - pb.y) >= NODE_H).toBe(true);
    }
  });
});
