// MCP executions in the console (issue 12): a workflow served as an MCP tool
// is called by the official TypeScript SDK's client and its execution is found
// and read on the Executions pages; an agent that calls an MCP server's tool
// and a workflow tool shows each call (where the tool comes from, its name,
// arguments and result, and for a workflow tool a link to the child
// execution) in the execution view. The MCP peers (the SDK's
// client and the reference server @modelcontextprotocol/server-everything)
// are installed by internal/e2e/testdata/mcp/install.sh; the model is the
// fake of e2e/fakes.mjs.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { api, BASE, launch, putWorkflow, shot, shutdown, TOKEN, until, withSession } from "./helpers.mjs";
import { startFakes } from "./fakes.mjs";

const repo = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const peers = join(repo, "internal", "e2e", "testdata", "mcp");
const clientJS = join(peers, "client.mjs");
const everythingJS = join(peers, "node_modules", "@modelcontextprotocol", "server-everything", "dist", "index.js");
const sdk = join(peers, "node_modules", "@modelcontextprotocol", "sdk", "package.json");
const missing = existsSync(everythingJS) && existsSync(sdk) ? false : "the MCP peers are not installed: run internal/e2e/testdata/mcp/install.sh";

let everything;
let everythingURL = "";
let fakes;

async function freePort() {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function startEverything() {
  const port = await freePort();
  everything = spawn(process.execPath, [everythingJS, "streamableHttp"], { env: { ...process.env, PORT: String(port) }, stdio: "ignore" });
  everythingURL = `http://127.0.0.1:${port}/mcp`;
  await until(
    () =>
      fetch(everythingURL).then(
        () => true,
        () => false,
      ),
    "server-everything to listen",
    20000,
  );
}

before(async () => {
  await launch();
  if (missing) return;
  await startEverything();
  fakes = await startFakes();
});
after(async () => {
  if (everything) everything.kill("SIGKILL");
  await fakes?.close();
  await shutdown();
});

/** Open an execution from the Executions page, as a person would: the nav, the row, its link. */
async function openFromList(page, id) {
  await page.goto("/");
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Executions" }).click();
  const row = page.locator(`tr[data-execution="${id}"]`);
  await row.waitFor();
  return row;
}

describe("mcp executions in the console", () => {
  it(
    "shows the execution of a workflow called as a tool by the MCP TypeScript SDK client, with its input and output",
    { skip: missing },
    withSession(async ({ page }) => {
      await putWorkflow(
        "ui-mcp-find",
        `name: ui-mcp-find
description: Finds a customer.
mcp:
  tool: true
  name: find_customer
inputs:
  type: object
  required: [email]
  properties:
    email: { type: string, description: the customer's email }
steps:
  - id: find
    uses: transform
    with: { customer: "c-42", email: "{{ trigger.email }}", plan: pro }
`,
      );
      // The SDK's client (client.mjs) lists the tools, calls find_customer,
      // calls it once more without arguments (refused), and reads the
      // execution's resource.
      const { stdout } = await promisify(execFile)(process.execPath, [clientJS, `${BASE}/mcp`, TOKEN, "find_customer", JSON.stringify({ email: "ada@example.com" })], { timeout: 60000 });
      const got = JSON.parse(stdout);
      assert.ok(
        got.tools.some((t) => t.name === "find_customer"),
        JSON.stringify(got.tools.map((t) => t.name)),
      );
      assert.equal(got.result.isError ?? false, false, JSON.stringify(got.result));
      const id = got.result.structuredContent.execution_id;
      assert.ok(id, JSON.stringify(got.result));
      assert.equal(got.result.structuredContent.status, "succeeded");
      assert.equal(got.bad.isError, true, "a call without the required email is refused");

      const row = await openFromList(page, id);
      assert.match(await row.innerText(), /ui-mcp-find/);
      assert.match(await row.innerText(), /mcp/);
      await row.locator(".badge.st-succeeded").waitFor();
      await shot(page, "executions-mcp-tool");
      await row.getByRole("link", { name: id }).click();
      await page.waitForURL(`**/executions/${id}`);
      await page.locator(".summary .badge.st-succeeded").waitFor();
      assert.match(await page.locator(".summary").innerText(), /Trigger\s*mcp/i);
      const input = page.getByTestId("execution-input");
      await input.getByText("ada@example.com").waitFor();
      assert.deepEqual(JSON.parse(await input.innerText()), { email: "ada@example.com" });
      const output = JSON.parse(await page.getByTestId("execution-output").innerText());
      assert.equal(output.customer, "c-42", JSON.stringify(output));
      assert.equal(output.email, "ada@example.com", JSON.stringify(output));
      await shot(page, "execution-mcp-tool");
    }),
  );

  it(
    "shows an agent's MCP tool call and workflow tool call, each with its name, arguments and result",
    { skip: missing },
    withSession(async ({ page }) => {
      const put = await api("PUT", "/api/v1/credentials/ui-agent-everything", { type: "mcp", data: { url: everythingURL } });
      assert.equal(put.status, 200, JSON.stringify(put.data));
      await putWorkflow(
        "ui-agent-ticket",
        `name: ui-agent-ticket
steps:
  - id: pause
    uses: wait
    with: { for: 1s }
  - id: open
    needs: [pause]
    uses: transform
    with: { ticket: "T-7", subject: "{{ trigger.subject }}" }
`,
      );
      await putWorkflow(
        "ui-mcp-agent",
        `name: ui-mcp-agent
steps:
  - id: assistant
    uses: ai.agent
    with:
      provider: openai-compatible
      base_url: "${fakes.url}/agent/v1"
      model: fake-agent
      stream: false
      prompt: Add 2 and 3, then open a ticket that says the sum.
      tools:
        - mcp: ui-agent-everything
          include: [get-sum]
        - name: open_ticket
          description: Open a support ticket.
          parameters: { type: object, required: [subject], properties: { subject: { type: string } } }
          uses: workflow.call
          with: { workflow: ui-agent-ticket }
    timeout: 60s
`,
      );
      const mcpTool = "ui-agent-everything__get-sum";
      fakes.agent.script = [{ tool: mcpTool, args: { a: 2, b: 3 } }, { tool: "open_ticket", args: { subject: "the sum is 5" } }, { text: "The sum is 5; I opened ticket T-7." }];
      const started = await api("POST", "/api/v1/workflows/ui-mcp-agent/executions", {});
      assert.ok(started.status === 201 || started.status === 202 || started.status === 200, JSON.stringify(started.data));
      const id = started.data.id ?? started.data.execution_id;
      assert.ok(id, JSON.stringify(started.data));
      await until(async () => ["succeeded", "failed", "canceled"].includes((await api("GET", `/api/v1/executions/${id}`)).data.status), "the agent's execution to end", 60000);
      const offered = fakes.agent.calls[0].tools.map((t) => t.function.name).sort();
      assert.deepEqual(offered, ["open_ticket", mcpTool].sort());
      assert.equal(fakes.agent.calls.length, 3, "three model turns");

      const row = await openFromList(page, id);
      await row.locator(".badge.st-succeeded").waitFor();
      await row.getByRole("link", { name: id }).click();
      await page.waitForURL(`**/executions/${id}`);
      await page.locator('.tl-row[data-step="assistant"]').click();
      const detail = page.getByTestId("step-detail");
      await detail.getByTestId("ai-turns").waitFor();
      assert.equal(await detail.getByTestId("tool-call").count(), 2);

      const mcp = detail.locator(`[data-testid="tool-call"][data-tool="${mcpTool}"]`);
      assert.equal(await mcp.getByTestId("tool-name").innerText(), mcpTool);
      await mcp.getByText("MCP ui-agent-everything").waitFor();
      assert.deepEqual(JSON.parse(await mcp.getByTestId("tool-arguments").innerText()), { a: 2, b: 3 });
      assert.match(await mcp.getByTestId("tool-result").innerText(), /The sum of 2 and 3 is 5/);

      const wf = detail.locator('[data-testid="tool-call"][data-tool="open_ticket"]');
      assert.equal(await wf.getByTestId("tool-name").innerText(), "open_ticket");
      await wf.getByText("workflow ui-agent-ticket").waitFor();
      assert.deepEqual(JSON.parse(await wf.getByTestId("tool-arguments").innerText()), { subject: "the sum is 5" });
      assert.match(await wf.getByTestId("tool-result").innerText(), /T-7/);
      await detail.getByText("The sum is 5; I opened ticket T-7.").first().waitFor();
      await wf.scrollIntoViewIfNeeded();
      await shot(page, "execution-agent-tools");

      // The workflow tool ran the child once, as a child of the agent's execution.
      const children = (await api("GET", "/api/v1/executions?workflow=ui-agent-ticket")).data.items;
      assert.equal(children.length, 1, "the child workflow ran once");
      assert.equal(children[0].parent_id, id);
      assert.deepEqual(children[0].input, { subject: "the sum is 5" });

      // The child (which pauses 1 s, so the agent suspends before it ends)
      // woke the agent at its end: the attempts show the wait
      // it had, not the 30 s fallback re-check it chose when it suspended.
      const attempts = await detail.getByTestId("step-attempts").innerText();
      assert.match(attempts, /waited [\d.]+ m?s \(child\)/, attempts);
      assert.doesNotMatch(attempts, /waited (29\.\d+|30(\.0)?) s \(child\)/, attempts);

      // The workflow tool's call links to the child execution it started.
      const link = wf.getByTestId("tool-child");
      assert.match(await link.innerText(), new RegExp(children[0].id));
      await link.click();
      await page.waitForURL(`**/executions/${children[0].id}`);
      await page.locator(".summary .badge.st-succeeded").waitFor();
      assert.match(await page.locator(".summary").innerText(), /ui-agent-ticket/);
      await shot(page, "execution-agent-child");
    }),
  );
});
