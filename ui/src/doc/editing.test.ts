import { describe, expect, it } from "vitest";
import { parse } from "./document";
import { TRIGGER, toGraph } from "./graph";
import { anchorAt, dependencyFor, freeSpot } from "./placement";
import { dependencyProblems, referencedSteps } from "./checks";
import { stepsFromYAML, stepsToYAML } from "./clipboard";
import { clear, route } from "../editor/route";

const doc = (t: string) => parse(t).doc;

describe("placement", () => {
  const pos = { [TRIGGER]: { x: 0, y: 0 }, a: { x: 0, y: 120 }, b: { x: 0, y: 240 } };
  const g = toGraph(doc("name: x\nsteps:\n  - id: a\n    uses: transform\n  - id: b\n    uses: transform\n"));
  it("anchors a drop to the closest node above it in its column", () => {
    expect(anchorAt(pos, { x: 10, y: 200 })).toBe("a");
    expect(anchorAt(pos, { x: 10, y: 400 })).toBe("b");
    expect(anchorAt(pos, { x: 10, y: 60 })).toBe(TRIGGER);
    expect(anchorAt(pos, { x: 600, y: 400 })).toBeUndefined();
  });
  it("wires a drop to its anchor, else the selection; below the trigger is a root", () => {
    expect(dependencyFor(g, pos, { x: 10, y: 200 }, "b")).toEqual(["a"]);
    expect(dependencyFor(g, pos, { x: 600, y: 200 }, "b")).toEqual(["b"]);
    expect(dependencyFor(g, pos, { x: 10, y: 60 }, "b")).toEqual([]);
    expect(dependencyFor(g, pos, undefined, undefined)).toEqual(["b"]);
  });
  it("never places a node on another", () => {
    const p = freeSpot(pos, { x: 10, y: 130 });
    for (const o of Object.values(pos)) expect(Math.abs(o.x - p.x) >= 236 || Math.abs(o.y - p.y) >= 80).toBe(true);
  });
});

describe("dependency problems", () => {
  it("finds unknown needs, cycles and reads of steps not waited for", () => {
    const d = doc(`name: x
steps:
  - id: a
    uses: transform
    needs: [c]
    with: { v: "{{ steps.b.output }}" }
  - id: b
    uses: transform
    needs: [ghost]
  - id: c
    uses: transform
    needs: [a]
`);
    const p = dependencyProblems(d, toGraph(d));
    expect(p.a.join()).toMatch(/cycle/);
    expect(p.a.join()).toMatch(/reads steps\.b but does not wait for it/);
    expect(p.b.join()).toMatch(/needs ghost, which is not a step/);
  });
  it("reads references inside {{ }} only", () => {
    expect(referencedSteps({ a: "steps.x", b: "{{ steps.y.output + steps['z-1'].output }}" })).toEqual(["y", "z-1"]);
  });
});

describe("clipboard YAML", () => {
  it("round-trips steps with the needs inside the copied set", () => {
    const t = stepsToYAML([
      { id: "a", uses: "transform", with: { x: 1 }, needs: [] },
      { id: "b", uses: "http.request", needs: ["a"] },
    ]);
    expect(t).toMatch(/^steps:\n  - id: a\n/);
    expect(stepsFromYAML(t)).toEqual([
      { id: "a", uses: "transform", with: { x: 1 }, needs: [] },
      { id: "b", uses: "http.request", needs: ["a"] },
    ]);
  });
  it("takes one step, a list, and refuses other text", () => {
    expect(stepsFromYAML("id: one\nuses: wait\nwith: { for: 1s }")?.[0].id).toBe("one");
    expect(stepsFromYAML("- uses: wait")?.[0].id).toBe("step_1");
    expect(stepsFromYAML("hello")).toBeUndefined();
    expect(stepsFromYAML("uses: [")).toBeUndefined();
  });
});

describe("edge routes", () => {
  it("goes around a node in the way", () => {
    const b = { x: 0, y: 120, w: 220, h: 64 };
    const pts = route([110, 64], [110, 240], [b]);
    expect(clear(pts, [b])).toBe(true);
    expect(pts.length).toBeGreaterThan(2);
  });
  it("is straight when nothing is in the way", () => {
    expect(route([110, 64], [110, 240], [])).toEqual([
      [110, 64],
      [110, 240],
    ]);
  });
});
