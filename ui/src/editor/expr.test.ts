import { describe, expect, it } from "vitest";
import { parseDocument } from "yaml";
import { toGraph } from "../doc/graph";
import { checkExpressions, complete, scopeFor } from "./expr";

const doc = parseDocument(`name: t
on:
  webhook: { path: t }
steps:
  - id: fetch
    uses: http.request
  - id: shape
    uses: transform
  - id: side
    needs: []
    uses: transform
  - id: each
    needs: [shape]
    for_each: "{{ steps.shape.output.items }}"
    uses: transform
`);
const g = toGraph(doc);
const sample = { trigger: { body: { name: "Ada", tags: ["x"] } }, outputs: { fetch: { status: 200, body: { id: 7 } } } };

function at(text: string, self = "shape") {
  return complete(text, text.length, scopeFor(g, self, sample));
}
const labels = (text: string, self?: string) => at(text, self)?.items.map((i) => i.label) ?? [];

describe("complete", () => {
  it("offers the scope roots right after {{", () => {
    expect(labels("{{ ")).toEqual(expect.arrayContaining(["trigger", "steps", "execution", "workflow", "env", "now"]));
    expect(labels("{{ ")).not.toContain("item");
    expect(labels("{{ ", "each")).toContain("item");
  });
  it("walks the last run's real data", () => {
    expect(labels("{{ trigger.")).toEqual(expect.arrayContaining(["body", "headers", "query"]));
    expect(labels("{{ trigger.body.")).toEqual(["name", "tags"]);
    expect(labels("{{ trigger.body.na")).toEqual(["name"]);
    expect(at("x {{ trigger.body.na")).toMatchObject({ from: "x {{ trigger.body.".length, to: "x {{ trigger.body.na".length });
    expect(labels("{{ steps.fetch.output.")).toEqual(["status", "body"]);
    expect(at("{{ steps.fetch.output.")!.items[0].detail).toBe("200");
  });
  it("offers only the steps this step waits for", () => {
    expect(labels("{{ steps.")).toEqual(["fetch"]);
    expect(labels("{{ steps.", "each")).toEqual(["fetch", "shape"]);
    expect(labels("{{ steps.", "side")).toEqual([]);
  });
  it("offers functions by prefix, and nothing outside {{ }} or in strings", () => {
    expect(labels("{{ upp")).toContain("upper()");
    expect(at("{{ upp")!.items.find((i) => i.label === "upper()")!.insert).toBe("upper(");
    expect(at("trigger.")).toBeUndefined();
    expect(at("{{ trigger.body }} and trigger.")).toBeUndefined();
    expect(at("{{ 'trigger.")).toBeUndefined();
    expect(labels("{{ len(trigger.b")).toEqual(["body"]);
  });
});

describe("checkExpressions", () => {
  const check = (v: string, self = "shape") => checkExpressions(v, scopeFor(g, self, sample));
  it("accepts good expressions", () => {
    expect(check("Hello {{ trigger.body.name }} from {{ steps.fetch.output.body.id }}")).toEqual([]);
    expect(check("{{ map(filter(trigger.body.tags, # != ')'), upper(#)) }}")).toEqual([]);
    expect(check("no expression at all")).toEqual([]);
  });
  it("says what is wrong", () => {
    expect(check("{{ trigger.body.name")).toEqual(["“{{” is not closed with “}}”"]);
    expect(check("{{ }}")).toEqual(["an empty {{ }}"]);
    expect(check("{{ upper(trigger.body.name }}")[0]).toMatch(/unclosed “\(”/);
    expect(check("{{ steps.nope.output }}")).toEqual(["there is no step “nope” (steps.nope)"]);
    expect(check("{{ steps.side.output }}")).toEqual(["steps.side is not among the steps “shape” waits for: add it to needs"]);
    expect(check("{{ steps.shape.output }}")).toEqual(["a step cannot read its own output (steps.shape)"]);
    expect(check("{{ item.id }}")).toEqual(["item exists only inside for_each"]);
    expect(check("{{ item.id }}", "each")).toEqual([]);
  });
});
