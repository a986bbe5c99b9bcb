import { describe, expect, it } from "vitest";
import { toolKinds } from "./toolKinds";

describe("toolKinds", () => {
  const kindOf = toolKinds({
    tools: [
      { mcp: "crm.prod", include: ["find_customer"] },
      { name: "open_ticket", uses: "workflow.call", with: { workflow: "open-ticket" } },
      { name: "refund", uses: "http.request", with: { method: "POST" } },
    ],
  });

  it("names an MCP server's tool after its connection (CONNECTION__TOOL, other characters as _)", () => {
    expect(kindOf("crm_prod__find_customer")).toBe("MCP crm.prod");
  });
  it("names a workflow tool after the workflow it calls", () => {
    expect(kindOf("open_ticket")).toBe("workflow open-ticket");
  });
  it("names a step tool after its step type", () => {
    expect(kindOf("refund")).toBe("http.request");
  });
  it("says nothing of a tool it does not know", () => {
    expect(kindOf("other__tool")).toBeUndefined();
    expect(toolKinds(undefined)("x")).toBeUndefined();
  });
});
