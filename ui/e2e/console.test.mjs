// The console end to end, against a real `weft serve` (see scripts/e2e.sh).
// Every test has a browser context of its own and makes the workflows it
// needs through the API, so each passes alone, in any order and beside the
// other files; the empty install is empty-install.test.mjs.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { api, BASE, connect, dropStep, launch, rereadWhen, shot, shutdown, until, withSession, yamlText } from "./helpers.mjs";

before(launch);
after(shutdown);

/** Store a workflow through the API (create or replace). */
async function put(name, yaml) {
  const r = await api("PUT", `/api/v1/workflows/${name}`, yaml, "application/yaml");
  assert.ok(r.status === 200 || r.status === 201, `PUT ${name}: ${r.status} ${JSON.stringify(r.data)}`);
  return r.data;
}

describe("console", () => {
  it(
    "builds a workflow by drag and drop, saves it, runs it from its webhook and shows a step's output",
    withSession(async ({ page }) => {
      await page.goto("/workflows/new");
      const wf = page.getByTestId("workflow-form");
      await wf.getByLabel("name", { exact: true }).fill("greet");
      await wf.getByLabel("path", { exact: true }).fill("greet");

      // Two steps from the palette, configured through their forms.
      await page.getByLabel("Search steps").fill("transform");
      await dropStep(page, "transform", 260, 200);
      await page.locator('.react-flow__node[data-id="transform"]').waitFor();
      const withYAML = page.getByTestId("step-form").locator('textarea[aria-label="with YAML"]');
      await withYAML.fill('greeting: "Hello {{ trigger.body.name }}"\nlength: "{{ len(trigger.body.name) }}"');
      await withYAML.blur();
      await page.getByLabel("Search steps").fill("");
      await dropStep(page, "respond", 260, 380);
      await page.locator('.react-flow__node[data-id="respond"]').waitFor();
      const form = page.getByTestId("step-form");
      await form.getByText("Respond to webhook").waitFor();
      await form.locator('input[aria-label="status"]').fill("200");
      await form.locator('[aria-label="body"]').fill('"{{ steps.transform.output }}"');
      await form.locator('[aria-label="body"]').blur();

      // Edges are needs: connect transform → respond by dragging between the handles.
      await connect(page, "transform", "respond");

      const text = await yamlText(page);
      assert.match(text, /^name: greet$/m);
      assert.match(text, /webhook: \{ path: greet, method: POST, respond: async \}/);
      assert.match(text, /  - id: transform\n    uses: transform\n/);
      assert.match(text, /greeting: "Hello \{\{ trigger.body.name \}\}"/);
      assert.match(text, /  - id: respond\n    uses: respond\n/);
      assert.doesNotMatch(text, /needs:/, "respond needs transform, the step before it: implicit, nothing written");
      assert.match(text, /ui:\n  positions:\n/);
      await shot(page, "editor-canvas");

      await page.getByRole("button", { name: "Save" }).click();
      await page.waitForURL("**/workflows/greet");
      await page.getByText("Saved greet.").waitFor();
      const saved = await api("GET", "/api/v1/workflows/greet");
      assert.equal(saved.status, 200);
      assert.equal(saved.data.source, text, "the server stores the YAML the editor showed");

      // The YAML tab shows the same document.
      await page.getByRole("tab", { name: /YAML/ }).click();
      await shot(page, "editor-yaml");
      await page.getByRole("tab", { name: "Canvas" }).click();

      // Call the webhook like an outside service would.
      const res = await fetch(`${BASE}/hooks/greet`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ name: "Ada" }) });
      assert.equal(res.status, 202);
      const { execution_id: id } = await res.json();
      assert.ok(id, "the webhook answers with the execution id");

      await page.goto(`/executions/${id}`);
      await page.locator(".summary .badge.st-succeeded").waitFor();
      await page.locator('.tl-row[data-step="transform"]').click();
      await page.getByTestId("step-output").getByText('"greeting": "Hello Ada"').waitFor();
      await shot(page, "execution-detail");

      // The test run dialog offers the payload the webhook just received.
      await page.goto("/workflows/greet");
      await page.getByRole("button", { name: "Test run" }).click();
      await page.getByRole("button", { name: "Use the last webhook payload" }).click();
      assert.match(await page.getByLabel("Test input").inputValue(), /"name": "Ada"/);
      await page.getByRole("button", { name: "Cancel", exact: true }).click();
    }),
  );

  it(
    "test-runs a new workflow from the editor and colours the nodes live",
    withSession(async ({ page }) => {
      await page.goto("/workflows/new");
      await page.getByRole("tab", { name: /YAML/ }).click();
      await page.getByTestId("yaml").fill(`name: hello-run
steps:
  - id: greet
    uses: transform
    with:
      greeting: "Hello {{ trigger.body.name }}"
  - id: shout
    uses: transform
    with:
      loud: "{{ upper(steps.greet.output.greeting) }}"
`);
      await page.getByRole("tab", { name: "Canvas" }).click();
      // Not saved yet: Test run saves first, and the editor stays with the run.
      await page.getByRole("button", { name: "Test run" }).click();
      await page.getByLabel("Test input").fill('{ "body": { "name": "Grace" } }');
      await page.getByRole("button", { name: "Run", exact: true }).click();
      await page.waitForURL("**/workflows/hello-run");
      await page.locator('.wf-node[data-step="shout"][data-status="succeeded"]').waitFor();
      await page.getByTestId("runbar").locator(".badge.st-succeeded").waitFor();
      await page.locator('.react-flow__node[data-id="greet"]').click();
      await page.getByRole("tab", { name: "Output" }).click();
      await page.getByTestId("panel-output").getByTestId("step-output").getByText('"greeting": "Hello Grace"').waitFor();
      await shot(page, "editor-test-run");

      // Expressions: suggestions come from this run's real data, problems show inline.
      await page.locator('.react-flow__node[data-id="shout"]').click();
      const withYAML = page.getByTestId("step-form").locator('textarea[aria-label="with YAML"]');
      await withYAML.fill("");
      await withYAML.pressSequentially('loud: "{{ steps.greet.output.gr', { delay: 10 });
      const option = page.getByRole("listbox", { name: "Expression suggestions" }).getByRole("option", { name: /greeting/ });
      await option.waitFor();
      assert.match(await option.textContent(), /Hello Grace/, "the suggestion shows the value from the test run");
      await shot(page, "editor-expression");
      await withYAML.press("Enter");
      assert.match(await withYAML.inputValue(), /\{\{ steps\.greet\.output\.greeting$/);
      await withYAML.pressSequentially(' }}"\nbad: "{{ steps.nope.output }}"');
      await page.getByTestId("step-form").getByText("there is no step “nope” (steps.nope)").waitFor();
    }),
  );

  it(
    "imports a YAML workflow, lays it out and edits it visually",
    withSession(async ({ page }) => {
      await page.goto("/workflows/new");
      const source = `# Imported from git: no ui positions yet.
name: orders
description: Split an order into two lookups and join them.
on:
  webhook: { path: orders, method: POST, respond: sync }
steps:
  - id: order
    uses: transform
    with:
      id: "{{ trigger.body.id }}" # the order id
  - id: lines
    uses: transform
    with: { count: 2 }
  - id: total
    needs: [order]
    uses: transform
    with: { sum: 42 }
  - id: reply
    needs: [lines, total]
    uses: respond
    with: { body: "{{ steps.total.output }}" }
`;
      await page.getByRole("tab", { name: /YAML/ }).click();
      await page.getByTestId("yaml").fill(source);
      await page.getByRole("tab", { name: "Canvas" }).click();
      for (const id of ["order", "lines", "total", "reply"]) await page.locator(`.react-flow__node[data-id="${id}"]`).waitFor();
      // The join has both parents above it.
      const y = async (id) => (await page.locator(`.react-flow__node[data-id="${id}"]`).boundingBox()).y;
      assert.ok((await y("reply")) > (await y("total")) && (await y("total")) > (await y("order")));

      // Rename a step in the form: the needs and expressions that name it follow.
      await page.locator('.react-flow__node[data-id="total"]').click();
      const idInput = page.getByLabel("Step id");
      await idInput.fill("sum");
      await idInput.press("Enter");
      await page.locator('.react-flow__node[data-id="sum"]').waitFor();
      await page.getByTestId("step-form").getByLabel("timeout").fill("45s");
      const text = await yamlText(page);
      assert.match(text, /^# Imported from git: no ui positions yet\.$/m, "comments survive visual edits");
      assert.match(text, /# the order id/);
      assert.match(text, /  - id: sum\n    needs: \[order\]\n/);
      assert.match(text, /needs: \[lines, sum\]/);
      assert.match(text, /body: "\{\{ steps\.sum\.output \}\}"/);
      assert.match(text, /    timeout: 45s\n/);

      // Undo takes the timeout back.
      await page.locator(".react-flow__pane").click();
      await page.keyboard.press("Control+z");
      assert.doesNotMatch(await yamlText(page), /timeout: 45s/);
      await page.keyboard.press("Control+Shift+z");
      assert.match(await yamlText(page), /timeout: 45s/);

      await page.getByRole("button", { name: "Save" }).click();
      await page.waitForURL("**/workflows/orders");
      await page.getByText("Saved orders.").waitFor();
      const res = await fetch(`${BASE}/hooks/orders`, { method: "POST", headers: { "Content-Type": "application/json" }, body: '{"id": 7}' });
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), { sum: 42 });
    }),
  );

  it(
    "shows the server's validation errors at the node and the YAML line",
    withSession(async ({ page, allow }) => {
      await put(
        "invalid-demo",
        `name: invalid-demo
on:
  webhook: { path: invalid-demo }
steps:
  - id: prepare
    uses: transform
    with: { n: 1 }
  - id: reply
    uses: respond
    with: { body: "{{ steps.prepare.output }}" }
`,
      );
      allow(/status of 422/);
      await page.goto("/workflows/invalid-demo");
      await page.getByRole("tab", { name: /YAML/ }).click();
      const ta = page.getByTestId("yaml");
      const text = await ta.inputValue();
      await ta.fill(text.replace("uses: respond", "uses: respond.nope"));
      await page.getByRole("button", { name: "Save" }).click();
      const line = text.split("\n").findIndex((l) => l.includes("uses: respond")) + 1;
      await page.locator(".ln.bad").first().waitFor();
      assert.equal(await page.locator(".ln.bad").first().textContent(), String(line));
      await shot(page, "editor-validation-yaml");
      await page.getByRole("tab", { name: "Canvas" }).click();
      await page.locator('.wf-node.has-problem[data-step="reply"]').waitFor();
      await shot(page, "editor-validation-canvas");
      // Put it right again: back at the saved text, the marks go.
      await page.getByRole("tab", { name: /YAML/ }).click();
      await ta.fill(text);
      await page.getByRole("tab", { name: /^YAML$/ }).waitFor();
      assert.equal(await page.locator(".ln.bad").count(), 0);
      assert.ok(await page.getByRole("button", { name: "Save" }).isDisabled());
    }),
  );

  it(
    "retries a failed step from the UI",
    withSession(async ({ page }) => {
      // A service that fails the first call and works afterwards.
      let calls = 0;
      const flaky = createServer((req, res) => {
        calls++;
        res.writeHead(calls === 1 ? 400 : 200, { "Content-Type": "application/json" });
        res.end(JSON.stringify(calls === 1 ? { error: "not yet" } : { ok: true, calls }));
      });
      await new Promise((r) => flaky.listen(0, "127.0.0.1", r));
      const port = flaky.address().port;
      try {
        await put(
          "flaky",
          `name: flaky
on:
  webhook: { path: flaky }
steps:
  - id: prepare
    uses: transform
    with: { n: 1 }
  - id: call
    uses: http.request
    retry: { max_attempts: 1 }
    with: { method: GET, url: "http://127.0.0.1:${port}/thing" }
  - id: done
    uses: transform
    with: { result: "{{ steps.call.output.body }}" }
`,
        );
        const started = await api("POST", "/api/v1/workflows/flaky/executions?wait=30s", {});
        const id = started.data.id;
        assert.equal(started.data.status, "failed", JSON.stringify(started.data));

        await page.goto(`/executions/${id}`);
        await page.locator(".summary .badge.st-failed").waitFor();
        await page.locator('.tl-row[data-step="call"] .badge.st-failed').waitFor();
        // The step after the failure is listed too, though it never started.
        await page.locator('.tl-row[data-step="done"]').waitFor();
        await shot(page, "execution-failed");
        await page.getByRole("button", { name: "Retry from failed step" }).click();
        await page.locator(".summary .badge.st-succeeded").waitFor({ timeout: 30000 });
        await page.locator('.tl-row[data-step="done"]').click();
        await page.getByTestId("step-output").getByText('"calls": 2').waitFor();
        assert.equal(calls, 2, "only the failed step ran again");
      } finally {
        flaky.close();
      }
    }),
  );

  it(
    "lists workflows, executions, webhooks and the dashboard",
    withSession(async ({ page }) => {
      await put(
        "listed",
        `name: listed
description: A workflow for the lists.
on:
  webhook: { path: listed }
steps:
  - id: one
    uses: transform
    with: { ok: true }
`,
      );
      const run = await api("POST", "/api/v1/workflows/listed/executions?wait=30s", {});
      assert.equal(run.data.status, "succeeded", JSON.stringify(run.data));
      await put(
        "always-fails",
        `name: always-fails
steps:
  - id: boom
    uses: fail
    with: { message: "no luck" }
`,
      );
      const failed = await api("POST", "/api/v1/workflows/always-fails/executions?wait=30s", {});
      assert.equal(failed.data.status, "failed", JSON.stringify(failed.data));

      await page.goto("/");
      await page.locator('tr[data-workflow="listed"] .badge.st-succeeded').waitFor();
      await shot(page, "workflows");
      // Disable and enable again from the list.
      const toggle = page.getByLabel("Enable listed");
      await toggle.click();
      await until(async () => (await api("GET", "/api/v1/workflows/listed")).data.enabled === false, "listed disabled");
      await toggle.click();
      await until(async () => (await api("GET", "/api/v1/workflows/listed")).data.enabled === true, "listed enabled");

      await page.getByRole("link", { name: "Executions" }).click();
      await page.locator(`tr[data-execution="${run.data.id}"]`).waitFor();
      await page.getByLabel("Status").selectOption("failed");
      await page.waitForURL("**/executions?status=failed");
      await page.getByRole("link", { name: "Executions" }).click();
      await page.locator(`tr[data-execution="${run.data.id}"]`).waitFor();
      await shot(page, "executions");

      await page.getByRole("link", { name: "Webhooks" }).click();
      await page.getByTestId("webhook-url").first().waitFor();
      const urls = await page.getByTestId("webhook-url").allTextContents();
      assert.ok(urls.includes(`${BASE}/hooks/listed`), urls.join(", "));

      await page.getByRole("link", { name: "Dashboard" }).click();
      await page.locator('.bar-row[data-workflow="always-fails"]').waitFor();
      await page.locator('.lat-row[data-type="transform"]').waitFor();
      await page.getByRole("img", { name: "Executions per bucket by status" }).waitFor();
      assert.match(await page.getByTestId("error-rate").textContent(), /^\d+(\.\d)?%$/);
      await shot(page, "dashboard");
    }),
  );

  it(
    "keeps credential values write-only",
    withSession(async ({ page }) => {
      await page.goto("/credentials");
      await page.getByRole("button", { name: "New credential" }).click();
      const form = page.getByRole("form", { name: "Credential" });
      await form.getByLabel("Credential name").fill("crm-token");
      await form.getByLabel("Credential type").selectOption("bearer");
      await form.getByLabel("token", { exact: true }).fill("s3cr3t-value");
      await form.getByLabel("Description").fill("CRM bot token");
      await form.getByRole("button", { name: "Save credential" }).click();
      const row = page.locator('tr[data-credential="crm-token"]');
      await row.getByText("token ●●●").waitFor();
      await shot(page, "credentials");
      assert.doesNotMatch(await page.content(), /s3cr3t-value/, "the value is not on the page");
      const got = await api("GET", "/api/v1/credentials/crm-token");
      assert.equal(got.status, 200);
      assert.doesNotMatch(JSON.stringify(got.data), /s3cr3t-value/, "nor in the API");
    }),
  );

  it(
    "connects an OAuth credential through the provider's consent page",
    withSession(async ({ page }) => {
      // A provider that approves at once: /authorize redirects back with a code, /token trades it.
      let exchanges = 0;
      const provider = createServer(async (req, res) => {
        const url = new URL(req.url, "http://x");
        if (url.pathname === "/authorize") {
          const back = new URL(url.searchParams.get("redirect_uri"));
          back.searchParams.set("code", "code-123");
          back.searchParams.set("state", url.searchParams.get("state"));
          res.writeHead(302, { Location: back.toString() });
          return res.end();
        }
        if (url.pathname === "/token" && req.method === "POST") {
          let body = "";
          for await (const c of req) body += c;
          const form = new URLSearchParams(body);
          const ok = form.get("grant_type") === "authorization_code" && form.get("code") === "code-123" && form.get("code_verifier");
          exchanges++;
          res.writeHead(ok ? 200 : 400, { "Content-Type": "application/json" });
          return res.end(JSON.stringify(ok ? { access_token: "at-1", token_type: "Bearer", expires_in: 3600, refresh_token: "rt-1" } : { error: "invalid_grant" }));
        }
        res.writeHead(404).end();
      });
      await new Promise((r) => provider.listen(0, "127.0.0.1", r));
      const p = `http://127.0.0.1:${provider.address().port}`;
      try {
        const put = await api("PUT", "/api/v1/credentials/crm-oauth", {
          type: "oauth2_code",
          description: "CRM via OAuth",
          data: { auth_url: `${p}/authorize`, token_url: `${p}/token`, client_id: "weft", client_secret: "weft-secret", scopes: "contacts", redirect_url: `${BASE}/oauth/callback` },
        });
        assert.equal(put.status, 200, JSON.stringify(put.data));
        await page.goto("/credentials");
        const row = page.locator('tr[data-credential="crm-oauth"]');
        await row.getByTestId("oauth-state").getByText("not connected").waitFor();
        const [popup] = await Promise.all([page.context().waitForEvent("page"), row.getByRole("button", { name: "Connect", exact: true }).click()]);
        await popup.getByText("is authorized").waitFor();
        await popup.close();
        await row.getByTestId("oauth-state").getByText("connected", { exact: true }).waitFor();
        await row.getByText(/token expires/).waitFor();
        await row.getByRole("button", { name: "Reconnect" }).waitFor();
        assert.equal(exchanges, 1);
        await shot(page, "credentials-oauth");
      } finally {
        provider.close();
      }
    }),
  );

  it(
    "logs webhook deliveries and replays one",
    withSession(async ({ page }) => {
      await put(
        "echo-hook",
        `name: echo-hook
on:
  webhook: { path: echo-hook }
steps:
  - id: echo
    uses: transform
    with: { got: "{{ trigger.body.n }}" }
`,
      );
      const res = await fetch(`${BASE}/hooks/echo-hook`, { method: "POST", headers: { "Content-Type": "application/json" }, body: '{"n": 5}' });
      assert.equal(res.status, 202);
      await page.clock.install();
      await page.goto("/webhooks");
      // The log is written a moment after the 202; the page shows it at its next re-read.
      await rereadWhen(page, async () => ((await api("GET", "/api/v1/webhooks/deliveries?workflow=echo-hook")).data.items ?? []).length > 0, "the delivery to be logged");
      const row = page.locator("tr[data-delivery]").filter({ hasText: "/hooks/echo-hook" }).first();
      await row.getByText("accepted").waitFor();
      await shot(page, "webhooks");
      page.once("dialog", (d) => void d.accept()); // Replay asks first
      await row.getByRole("button", { name: "Replay" }).click();
      await page.waitForURL("**/executions/*");
      await page.locator(".summary .badge.st-succeeded").waitFor();
      await page.locator('.tl-row[data-step="echo"]').click();
      await page.getByTestId("step-output").getByText('"got": 5').waitFor();
    }),
  );

  it(
    "fits a 1920×1080 screen",
    withSession(
      async ({ page }) => {
        await put(
          "wide",
          `name: wide
on:
  webhook: { path: wide }
steps:
  - id: a
    uses: transform
    with: { n: 1 }
  - id: b
    needs: []
    uses: transform
    with: { n: 2 }
  - id: join
    needs: [a, b]
    uses: transform
    with: { sum: "{{ steps.a.output.n + steps.b.output.n }}" }
`,
        );
        await api("POST", "/api/v1/workflows/wide/executions?wait=30s", {});
        const noOverflow = async () => assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= innerWidth), "no horizontal scrolling");
        await page.goto("/dashboard");
        await page.locator('.lat-row[data-type="transform"]').waitFor();
        await noOverflow();
        await shot(page, "dashboard-1920");
        await page.goto("/workflows/wide");
        await page.locator('.react-flow__node[data-id="join"]').waitFor();
        await noOverflow();
        await shot(page, "editor-1920");
      },
      { viewport: { width: 1920, height: 1080 } },
    ),
  );
});
