// MCP in the console (issue 12): mcp.call is in the palette, an mcp
// connection is created on the credentials page (with OAuth, Connect
// discovers and registers at the server's authorization server), and the
// Test run dialog renders a form from a workflow's `inputs:` whose values
// start the run.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { createHash } from "node:crypto";
import { api, BASE, launch, putWorkflow, shot, shutdown, withSession } from "./helpers.mjs";

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
    "creates an mcp connection with OAuth and connects it with discovery and registration",
    withSession(async ({ page }) => {
      // One fake plays an MCP server that demands OAuth (401 with
      // resource_metadata, RFC 9728 metadata) and its authorization server
      // (RFC 8414 metadata, RFC 7591 registration, an authorization endpoint
      // that approves at once, a token endpoint checking PKCE S256).
      const seen = { registrations: 0, authorize: null, exchanges: 0 };
      const challenges = new Map();
      let base = "";
      const json = (res, status, body) => {
        res.writeHead(status, { "Content-Type": "application/json" });
        res.end(JSON.stringify(body));
      };
      const fake = createServer(async (req, res) => {
        const url = new URL(req.url, base);
        let body = "";
        for await (const c of req) body += c;
        if (url.pathname === "/mcp") {
          res.writeHead(401, { "WWW-Authenticate": `Bearer resource_metadata="${base}/.well-known/oauth-protected-resource/mcp"` });
          return res.end();
        }
        if (url.pathname === "/.well-known/oauth-protected-resource/mcp") return json(res, 200, { resource: `${base}/mcp`, authorization_servers: [base] });
        if (url.pathname === "/.well-known/oauth-authorization-server")
          return json(res, 200, {
            issuer: base,
            authorization_endpoint: `${base}/authorize`,
            token_endpoint: `${base}/token`,
            registration_endpoint: `${base}/register`,
            code_challenge_methods_supported: ["S256"],
            token_endpoint_auth_methods_supported: ["none"],
          });
        if (url.pathname === "/register" && req.method === "POST") {
          seen.registrations++;
          return json(res, 201, { client_id: "weft-registered", redirect_uris: JSON.parse(body).redirect_uris, token_endpoint_auth_method: "none" });
        }
        if (url.pathname === "/authorize") {
          seen.authorize = Object.fromEntries(url.searchParams);
          const code = `code-${challenges.size}`;
          challenges.set(code, url.searchParams.get("code_challenge"));
          const back = new URL(url.searchParams.get("redirect_uri"));
          back.searchParams.set("code", code);
          back.searchParams.set("state", url.searchParams.get("state"));
          res.writeHead(302, { Location: back.toString() });
          return res.end();
        }
        if (url.pathname === "/token" && req.method === "POST") {
          const form = new URLSearchParams(body);
          const want = challenges.get(form.get("code"));
          const got = createHash("sha256").update(form.get("code_verifier") ?? "").digest("base64url");
          seen.exchanges++;
          if (!want || want !== got || form.get("resource") !== `${base}/mcp`) return json(res, 400, { error: "invalid_grant" });
          return json(res, 200, { access_token: "mcp-at-1", token_type: "Bearer", expires_in: 3600, refresh_token: "mcp-rt-1" });
        }
        res.writeHead(404).end();
      });
      await new Promise((r) => fake.listen(0, "127.0.0.1", r));
      base = `http://127.0.0.1:${fake.address().port}`;
      try {
        await api("DELETE", "/api/v1/credentials/ui-mcp-oauth");
        await page.goto("/credentials");
        await page.getByRole("button", { name: "New credential" }).click();
        const form = page.getByRole("form", { name: "Credential" });
        await form.getByLabel("Credential name").fill("ui-mcp-oauth");
        await form.getByLabel("Credential type").selectOption("mcp");
        await form.getByLabel("url", { exact: true }).fill(`${base}/mcp`);
        await form.getByLabel("oauth", { exact: true }).selectOption("true");
        // Weft's own callback is filled in.
        assert.equal(await form.getByLabel("redirect_url", { exact: true }).inputValue(), `${BASE}/oauth/callback`);
        await form.getByText("press Connect in the list").waitFor();
        await form.getByLabel("redirect_url", { exact: true }).scrollIntoViewIfNeeded();
        await shot(page, "credentials-mcp-oauth");
        await form.getByRole("button", { name: "Save credential" }).click();

        const row = page.locator('tr[data-credential="ui-mcp-oauth"]');
        await row.getByTestId("oauth-state").getByText("not connected").waitFor();
        const [popup] = await Promise.all([page.context().waitForEvent("page"), row.getByRole("button", { name: "Connect", exact: true }).click()]);
        await popup.getByText("is authorized").waitFor();
        await popup.close();
        await row.getByTestId("oauth-state").getByText("connected", { exact: true }).waitFor();
        assert.equal(seen.registrations, 1);
        assert.equal(seen.exchanges, 1);
        assert.equal(seen.authorize.client_id, "weft-registered");
        assert.equal(seen.authorize.resource, `${base}/mcp`);
        assert.equal(seen.authorize.code_challenge_method, "S256");
        await shot(page, "credentials-mcp-oauth-connected");
      } finally {
        fake.close();
      }
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
