// App connectors in the console: HubSpot and Slack connected from the
// credentials page (the app picker pre-fills the kind; base_url points at
// local fakes), then "new Stripe payment → look up the HubSpot contact → AI
// summary → Slack message" built from the palette's app groups without
// writing a URL, saved, called through its webhook and checked at the fakes.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { api, BASE, connect, dropStep, launch, shot, shutdown, until, withSession } from "./helpers.mjs";

before(launch);
after(shutdown);

const HUBSPOT_TOKEN = "pat-e2e-hubspot";
const SLACK_TOKEN = "xoxb-e2e-apps";
const AI_KEY = "sk-e2e-apps";

/** HubSpot's CRM v3 and Slack's Web API, as far as this test needs them, checking the tokens. */
async function startAppFakes() {
  const seen = { hubspot: [], slack: [], ai: [] };
  const server = createServer(async (req, res) => {
    let body = "";
    for await (const c of req) body += c;
    const url = new URL(req.url, "http://x");
    const json = (status, v) => {
      res.writeHead(status, { "Content-Type": "application/json" });
      res.end(JSON.stringify(v));
    };
    if (url.pathname.startsWith("/hubspot/")) {
      seen.hubspot.push({ method: req.method, path: url.pathname, query: url.search, auth: req.headers.authorization });
      if (req.headers.authorization !== `Bearer ${HUBSPOT_TOKEN}`) return json(401, { status: "error", category: "INVALID_AUTHENTICATION", message: "Authentication credentials not found." });
      const m = url.pathname.match(/^\/hubspot\/crm\/v3\/objects\/contacts\/([^/]+)$/);
      if (m && decodeURIComponent(m[1]) === "ada@example.com" && url.searchParams.get("idProperty") === "email")
        return json(200, { id: "51", properties: { email: "ada@example.com", firstname: "Ada", lastname: "Lovelace", company: "Analytical Engines" } });
      if (url.pathname === "/hubspot/crm/v3/objects/contacts") return json(200, { results: [] });
      return json(404, { status: "error", category: "OBJECT_NOT_FOUND", message: "resource not found" });
    }
    if (url.pathname === "/openai/v1/chat/completions" && req.method === "POST") {
      if (req.headers.authorization !== `Bearer ${AI_KEY}`) return json(401, { error: { message: "Incorrect API key provided.", type: "invalid_request_error", param: null, code: "invalid_api_key" } });
      const b = JSON.parse(body || "{}");
      seen.ai.push(b);
      const prompt = b.messages?.map((m) => m.content).join("\n") ?? "";
      const content = prompt.includes("Ada Lovelace") ? "Ada Lovelace (Analytical Engines) paid 42.00 EUR." : "unknown customer";
      const base = { id: "chatcmpl-apps1", created: Math.floor(Date.now() / 1000), model: "gpt-4o-mini-2024-07-18" };
      const usage = { prompt_tokens: 40, completion_tokens: 12, total_tokens: 52 };
      if (!b.stream)
        return json(200, { ...base, object: "chat.completion", choices: [{ index: 0, message: { role: "assistant", content, refusal: null }, logprobs: null, finish_reason: "stop" }], usage });
      // Server-sent chunks, as the API streams them.
      res.writeHead(200, { "Content-Type": "text/event-stream", "Cache-Control": "no-cache" });
      const chunk = (choices, extra = {}) => res.write(`data: ${JSON.stringify({ ...base, object: "chat.completion.chunk", choices, ...extra })}\n\n`);
      chunk([{ index: 0, delta: { role: "assistant", content: "", refusal: null }, logprobs: null, finish_reason: null }]);
      for (const piece of content.match(/.{1,16}/gs)) chunk([{ index: 0, delta: { content: piece }, logprobs: null, finish_reason: null }]);
      chunk([{ index: 0, delta: {}, logprobs: null, finish_reason: "stop" }]);
      if (b.stream_options?.include_usage) chunk([], { usage });
      return res.end("data: [DONE]\n\n");
    }
    if (url.pathname.startsWith("/slack/")) {
      if (req.headers.authorization !== `Bearer ${SLACK_TOKEN}`) return json(200, { ok: false, error: "invalid_auth" });
      if (url.pathname === "/slack/auth.test") return json(200, { ok: true, team: "Weft", user: "weftbot" });
      if (url.pathname === "/slack/chat.postMessage") {
        const b = JSON.parse(body || "{}");
        seen.slack.push(b);
        return json(200, { ok: true, channel: b.channel, ts: "1712345678.000100" });
      }
      return json(200, { ok: false, error: "unknown_method" });
    }
    json(404, {});
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${server.address().port}`;
  return { url, seen, close: () => new Promise((r) => server.close(r)) };
}

/** Create a credential through the console's app picker. */
async function connectApp(page, app, kindTitle, token, baseURL) {
  await page.goto("/credentials");
  await page.getByRole("button", { name: "New credential" }).click();
  const form = page.getByRole("form", { name: "Credential" });
  await form.getByLabel("App", { exact: true }).selectOption(app);
  assert.equal(await form.getByLabel("Credential name").inputValue(), app, "the connection is named like the app");
  await form.getByRole("group", { name: /credential kinds/ }).getByRole("button", { name: kindTitle }).click();
  assert.equal(await form.getByLabel("Credential type").inputValue(), "bearer");
  await form.getByLabel("token", { exact: true }).fill(token);
  await form.getByLabel("Base URL").fill(baseURL);
  await form.getByRole("button", { name: "Save credential" }).click();
  await page.locator(`tr[data-credential="${app}"]`).waitFor();
}

describe("app connectors", () => {
  it(
    "connects HubSpot and Slack from the credentials page, builds a Stripe payment → HubSpot → AI summary → Slack workflow from the app palette and runs it",
    withSession(async ({ page }) => {
      const fakes = await startAppFakes();
      try {
        await api("DELETE", "/api/v1/workflows/new-payment");
        await api("DELETE", "/api/v1/credentials/hubspot");
        await api("DELETE", "/api/v1/credentials/slack");
        const cred = await api("PUT", "/api/v1/credentials/openai-apps", { type: "custom", description: "fake OpenAI for the apps e2e", data: { api_key: AI_KEY, base_url: `${fakes.url}/openai/v1` } });
        assert.ok(cred.status === 200 || cred.status === 201, JSON.stringify(cred.data));
        await connectApp(page, "hubspot", "Private app access token", HUBSPOT_TOKEN, `${fakes.url}/hubspot`);
        await connectApp(page, "slack", "Bot token", SLACK_TOKEN, `${fakes.url}/slack`);
        // Test connection runs Slack's own test call.
        const row = page.locator('tr[data-credential="slack"]');
        await row.getByRole("button", { name: "Test connection" }).click();
        const test = page.getByTestId("test-connection");
        assert.equal(await test.getByLabel("App to test slack with").inputValue(), "slack");
        await test.getByRole("button", { name: "Test", exact: true }).click();
        await test.locator('[data-ok="true"]').waitFor();
        await shot(page, "credentials-apps");

        await page.goto("/workflows/new");
        const wf = page.getByTestId("workflow-form");
        await wf.getByLabel("name", { exact: true }).fill("new-payment");
        await wf.getByLabel("path", { exact: true }).fill("stripe-payments");
        await page.getByRole("tab", { name: "Canvas" }).click();

        // The palette groups operations by app, with the app's icon.
        const hubspotGroup = page.locator('.palette section[data-group="app:hubspot"]');
        await hubspotGroup.locator("h4 img.app-icon").waitFor();
        assert.match(await hubspotGroup.locator("h4").textContent(), /HubSpot/);
        await page.getByLabel("Search steps").fill("contact");
        assert.equal(await hubspotGroup.locator('.palette-item[data-type="hubspot.get_contact"] .palette-title').textContent(), "Get a contact");
        await shot(page, "palette-apps");

        await dropStep(page, "hubspot.get_contact", 260, 120);
        let form = page.getByTestId("step-form");
        await form.getByLabel("Step id").fill("contact");
        await form.getByLabel("Step id").press("Enter");
        await page.locator('.react-flow__node[data-id="contact"]').waitFor();
        const fill = async (name, value) => {
          const input = form.locator(`[data-field="${name}"] [aria-label="${name}"]`);
          await input.fill(value);
          await input.press("Escape");
        };
        await fill("id", "{{ trigger.body.data.object.receipt_email }}");
        await fill("id_property", "email");
        await fill("properties", "firstname,lastname,company");

        // An AI summary of the payment and the contact.
        await page.getByLabel("Search steps").fill("ai.chat");
        await dropStep(page, "ai.chat", 260, 260);
        form = page.getByTestId("step-form");
        await form.getByLabel("Step id").fill("summary");
        await form.getByLabel("Step id").press("Enter");
        await page.locator('.react-flow__node[data-id="summary"]').waitFor();
        await connect(page, "contact", "summary");
        await form.getByLabel("provider", { exact: true }).selectOption("openai");
        await fill("model", "gpt-4o-mini");
        await form.locator('[data-field="credential"] select[aria-label="credential"]').selectOption("openai-apps");
        await fill("prompt", "Summarise in one line: {{ steps.contact.output.properties.firstname }} {{ steps.contact.output.properties.lastname }} of {{ steps.contact.output.properties.company }} paid {{ trigger.body.data.object.amount }} {{ trigger.body.data.object.currency }} cents.");

        await page.getByLabel("Search steps").fill("slack");
        await dropStep(page, "slack.post_message", 260, 420);
        form = page.getByTestId("step-form");
        await form.getByLabel("Step id").fill("tell-sales");
        await form.getByLabel("Step id").press("Enter");
        await page.locator('.react-flow__node[data-id="tell-sales"]').waitFor();
        await connect(page, "summary", "tell-sales");
        await fill("channel", "#sales");
        await fill("text", "{{ steps.summary.output.text }}");
        await page.getByRole("button", { name: "Save" }).click();
        await page.waitForURL("**/workflows/new-payment");
        await page.getByText("Saved new-payment.").waitFor();
        const saved = await api("GET", "/api/v1/workflows/new-payment");
        assert.doesNotMatch(saved.data.source, /https?:\/\//, "no URL written in the workflow");
        assert.match(saved.data.source, /uses: hubspot\.get_contact/);
        assert.match(saved.data.source, /uses: ai\.chat/);
        assert.match(saved.data.source, /uses: slack\.post_message/);

        const res = await fetch(`${BASE}/hooks/stripe-payments`, {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ id: "evt_1", type: "payment_intent.succeeded", data: { object: { id: "pi_1", amount: 4200, currency: "eur", receipt_email: "ada@example.com" } } }),
        });
        assert.equal(res.status, 202);
        const { execution_id: id } = await res.json();
        await until(async () => (await api("GET", `/api/v1/executions/${id}`)).data.status === "succeeded", "the execution succeeds", 30000);
        assert.equal(fakes.seen.slack.length, 1);
        assert.equal(fakes.seen.slack[0].channel, "#sales");
        assert.equal(fakes.seen.ai.length, 1);
        assert.match(fakes.seen.ai[0].messages.at(-1).content, /Ada Lovelace of Analytical Engines paid 4200 eur cents/);
        assert.equal(fakes.seen.slack[0].text, "Ada Lovelace (Analytical Engines) paid 42.00 EUR.");
        assert.ok(fakes.seen.hubspot.some((r) => r.path === "/hubspot/crm/v3/objects/contacts/ada@example.com" && r.auth === `Bearer ${HUBSPOT_TOKEN}`));
        await page.goto(`/executions/${id}`);
        await page.locator('.tl-row[data-step="tell-sales"] .badge.st-succeeded').waitFor();
        await shot(page, "execution-apps");
      } finally {
        await fakes.close();
      }
    }),
  );
});
