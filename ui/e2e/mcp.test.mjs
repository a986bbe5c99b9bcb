// MCP in the console (issue 12): mcp.call is in the palette, an mcp
// connection is created on the credentials page, and the Test run dialog
// renders a form from a workflow's `inputs:` whose values start the run.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { api, launch, putWorkflow, shot, shutdown, withSession } from "./helpers.mjs";

before(launch);
after(shutdown);

describe("mcp", () => {
  it(
    "offers mcp.call in the palette and creates an mcp connection",
    withSession(async ({ page }) => {
      await page.goto("/workflows/new");
      await page.getByLabel("Search steps").fill("mcp");
      await page.locator('.palette [data-type="mcp.call"]').waitFor();

      await api("DELETE", "/api/v1/credentials/ui-mcp");
      await page.goto("/credentials");
      await page.getByRole("button", { name: "New credential" }).click();
      const form = page.getByRole("form", { name: "Credential" });
      await form.getByLabel("Credential name").fill("ui-mcp");
      await form.getByLabel("Credential type").selectOption("mcp");
      await form.getByLabel("url", { exact: true }).fill("https://mcp.example.com/mcp");
      await form.getByLabel("token", { exact: true }).fill("mcp-secret-1");
      await shot(page, "credentials-mcp");
      await form.getByRole("button", { name: "Save credential" }).click();
      await page.locator('tr[data-credential="ui-mcp"]').waitFor();
      const got = (await api("GET", "/api/v1/credentials/ui-mcp")).data;
      assert.equal(got.type, "mcp");
      assert.deepEqual([...got.fields].sort(), ["token", "url"]);
    }),
  );

  it(
    "renders the inputs of a workflow as a form in the Test run dialog",
    withSession(async ({ page }) => {
      await putWorkflow(
        "ui-mcp-greet",
        `name: ui-mcp-greet
mcp: { tool: true, description: Greets someone. }
inputs:
  type: object
  required: [name]
  properties:
    name: { type: string, description: who to greet }
    times: { type: integer, default: 1 }
    loud: { type: boolean }
steps:
  - id: hello
    uses: transform
    with: { greeting: "Hello {{ trigger.name }} x{{ trigger.times }}" }
`,
      );
      await page.goto("/workflows/ui-mcp-greet");
      await page.getByRole("button", { name: "Test run" }).click();
      const dialog = page.getByRole("dialog", { name: "Test run" });
      const form = dialog.getByLabel("Workflow inputs");
      await form.getByLabel(/^name/).fill("Ada");
      await form.getByLabel(/^times/).fill("3");
      await form.getByLabel(/^loud/).check();
      const input = JSON.parse(await dialog.getByLabel("Test input").inputValue());
      assert.deepEqual(input, { times: 3, name: "Ada", loud: true });
      await shot(page, "test-run-inputs-form");
      await dialog.getByRole("button", { name: "Run", exact: true }).click();
      await page.getByTestId("runbar").locator(".badge.st-succeeded").waitFor();
      const list = (await api("GET", "/api/v1/executions?workflow=ui-mcp-greet")).data.items;
      assert.equal(list[0].status, "succeeded");
      assert.deepEqual(list[0].input, { times: 3, name: "Ada", loud: true });

      // A start that misses a required input is refused with the problem.
      const bad = await api("POST", "/api/v1/workflows/ui-mcp-greet/executions", { times: 2 });
      assert.equal(bad.status, 422);
      assert.match(bad.data.error.message, /name/);
    }),
  );
});
