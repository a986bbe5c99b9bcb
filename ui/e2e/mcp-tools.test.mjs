// mcp.call in the editor (issue 12): the tool picker is filled from the
// server's tool list, the arguments form from the tool's input schema, and a
// save whose literal arguments break that schema is refused by the server
// with the problem marked on the step. Runs against the reference server
// @modelcontextprotocol/server-everything over Streamable HTTP (installed by
// internal/e2e/testdata/mcp/install.sh).
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { api, dropStep, putWorkflow, shot, until, withSession, launch, shutdown, yamlText } from "./helpers.mjs";

const repo = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const everythingJS = join(repo, "internal", "e2e", "testdata", "mcp", "node_modules", "@modelcontextprotocol", "server-everything", "dist", "index.js");
const missing = existsSync(everythingJS) ? false : "the MCP peers are not installed: run internal/e2e/testdata/mcp/install.sh";

let child;
let mcpURL = "";

async function freePort() {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Start server-everything in Streamable HTTP mode on a free loopback port. */
async function startEverything() {
  const port = await freePort();
  child = spawn(process.execPath, [everythingJS, "streamableHttp"], { env: { ...process.env, PORT: String(port) }, stdio: "ignore" });
  mcpURL = `http://127.0.0.1:${port}/mcp`;
  await until(
    () =>
      fetch(mcpURL).then(
        () => true,
        () => false,
      ),
    "server-everything to listen",
    20000,
  );
}

before(async () => {
  await launch();
  if (!missing) await startEverything();
});
after(async () => {
  if (child) child.kill("SIGKILL");
  await shutdown();
});

const node = (page, id) => page.locator(`.react-flow__node[data-id="${id}"]`);

/** Pick the connection and a tool of the selected mcp.call step. */
async function pickTool(page, tool) {
  const form = page.getByTestId("step-form");
  await form.getByLabel("connection", { exact: true }).selectOption("ui-everything");
  await form.getByTestId("mcp-tools-listed").waitFor();
  await form.getByLabel("tool", { exact: true }).selectOption(tool);
  return form.getByRole("group", { name: "Tool arguments" });
}

describe("mcp tools in the editor", () => {
  it(
    "builds echo and get-sum calls from the tool picker and argument forms, runs them, and shows a save refused for a wrong argument type",
    { skip: missing },
    withSession(async ({ page, allow }) => {
      await api("DELETE", "/api/v1/workflows/ui-mcp-sum");
      const put = await api("PUT", "/api/v1/credentials/ui-everything", { type: "mcp", data: { url: mcpURL } });
      assert.equal(put.status, 200, JSON.stringify(put.data));

      // Testing the connection lists the server's tools (and keeps the list).
      await page.goto("/credentials");
      await page.locator('tr[data-credential="ui-everything"]').getByRole("button", { name: "Test connection" }).click();
      const row = page.locator('tr[data-test-for="ui-everything"]');
      await row.getByText("Lists the server's tools").waitFor();
      await row.getByRole("button", { name: "Test", exact: true }).click();
      await row.locator('[data-ok="true"]').getByText(/tools\/list answered \d+ tool/).waitFor();
      const listed = await api("GET", "/api/v1/connections/ui-everything/mcp/tools");
      assert.ok(listed.data.tools.some((t) => t.name === "get-sum"), JSON.stringify(listed.data));

      await page.goto("/workflows/new");
      const wf = page.getByTestId("workflow-form");
      await wf.getByLabel("name", { exact: true }).fill("ui-mcp-sum");

      // First step: echo, its message typed into the form made from the tool's schema.
      await page.getByLabel("Search steps").fill("mcp");
      await dropStep(page, "mcp.call", 260, 180);
      await node(page, "call").waitFor();
      let args = await pickTool(page, "echo");
      await args.getByLabel(/^message/).fill("hello from the console");
      await args.getByLabel(/^message/).blur();

      // Second step: get-sum, below it.
      await dropStep(page, "mcp.call", 260, 360);
      await node(page, "call_2").waitFor();
      args = await pickTool(page, "get-sum");
      await page.getByTestId("step-form").getByText("Returns the sum of two numbers").waitFor();
      await args.getByLabel(/^a/).fill("2");
      await args.getByLabel(/^b/).fill("3");
      await args.getByLabel(/^b/).blur();
      await shot(page, "editor-mcp-call");

      const text = await yamlText(page);
      assert.match(text, /  - id: call\n    uses: mcp.call\n(    [^\n]*\n)*    with:\n(      [^\n]*\n)*      tool: echo\n/, text);
      assert.match(text, /message: hello from the console/, text);
      assert.match(text, /tool: get-sum\n/, text);
      assert.match(text, /a: 2\n/, text);
      assert.match(text, /b: 3\n/, text);

      await page.getByRole("button", { name: "Save" }).click();
      await page.waitForURL("**/workflows/ui-mcp-sum");
      await page.getByText("Saved ui-mcp-sum.").waitFor();

      await page.getByRole("button", { name: "Test run" }).click();
      await page.getByRole("button", { name: "Run", exact: true }).click();
      await page.getByTestId("runbar").locator(".badge.st-succeeded").waitFor({ timeout: 30000 });
      const list = (await api("GET", "/api/v1/executions?workflow=ui-mcp-sum")).data.items;
      assert.equal(list[0].status, "succeeded");

      // The execution view shows both tools' answers.
      await page.goto(`/executions/${list[0].id}`);
      await page.locator(".summary .badge.st-succeeded").waitFor();
      await page.locator('.tl-row[data-step="call"]').click();
      await page.getByTestId("step-output").getByText("Echo: hello from the console").first().waitFor();
      await page.locator('.tl-row[data-step="call_2"]').click();
      await page.getByTestId("step-output").getByText(/The sum of 2 and 3 is 5/).first().waitFor();
      await shot(page, "execution-mcp-call");

      // A string where get-sum wants a number: the server refuses the save
      // and the console marks the problem on the step.
      allow(/422/);
      await page.goto("/workflows/ui-mcp-sum");
      await node(page, "call_2").click();
      const form = page.getByTestId("step-form");
      args = form.getByRole("group", { name: "Tool arguments" });
      await args.getByLabel(/^a/).fill("two");
      await args.getByLabel(/^a/).blur();
      await page.getByRole("button", { name: "Save" }).click();
      await page.getByText(/The server found 1 problem/).waitFor();
      await node(page, "call_2").click();
      const problem = page.getByTestId("step-form").locator(".error-box").filter({ hasText: "at /a: got string, want number" });
      await problem.waitFor();
      assert.match(await problem.innerText(), /step "call_2" \(mcp\.call\): arguments of MCP tool "get-sum"/);
      await shot(page, "editor-mcp-call-refused");
      const stored = (await api("GET", "/api/v1/workflows/ui-mcp-sum")).data.source;
      assert.match(stored, /a: 2\n/, "the refused version was not stored");
    }),
  );

  it(
    "marks workflows served as MCP tools in the list and shows their typed inputs",
    withSession(async ({ page }) => {
      await putWorkflow(
        "ui-mcp-lookup",
        `name: ui-mcp-lookup
description: Finds a customer.
mcp:
  tool: true
inputs:
  type: object
  required: [email]
  properties:
    email: { type: string, description: the customer's email }
    include_closed: { type: boolean, default: false }
steps:
  - id: find
    uses: transform
    with: { email: "{{ trigger.email }}" }
`,
      );
      await putWorkflow("ui-not-a-tool", "name: ui-not-a-tool\nsteps:\n  - id: a\n    uses: transform\n    with: { x: 1 }\n");
      await page.goto("/workflows");
      await page.locator('tr[data-workflow="ui-mcp-lookup"]').getByTestId("mcp-tool-badge").waitFor();
      assert.equal(await page.locator('tr[data-workflow="ui-not-a-tool"]').getByTestId("mcp-tool-badge").count(), 0);
      await shot(page, "workflows-mcp-badge");

      await page.locator('tr[data-workflow="ui-mcp-lookup"]').getByRole("link", { name: "ui-mcp-lookup" }).click();
      const inputs = page.getByTestId("workflow-inputs");
      await inputs.getByText("MCP tool").first().waitFor();
      await inputs.locator('tr[data-input="email"]').getByText("the customer's email").waitFor();
      assert.match(await inputs.locator('tr[data-input="email"]').innerText(), /email\s*\*/);
      assert.match(await inputs.locator('tr[data-input="include_closed"]').innerText(), /boolean\s*= false/);
      await shot(page, "workflow-mcp-inputs");
    }),
  );
});
