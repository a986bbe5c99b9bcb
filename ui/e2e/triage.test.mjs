// The acceptance test: the seed ticket-triage workflow built by drag
// and drop and the forms (no YAML pasted), saved, checked with `weft
// validate`, round-tripped through the API, called through its webhook and
// watched live while the fake CRM, model and Slack answer.
//
// scripts/e2e.sh starts `weft serve` with CRM_URL and SLACK_URL pointing at
// E2E_FAKE_PORT on loopback (allowed past the SSRF guard) and lists them in
// WEFT_ENV_ALLOW; this test listens on that port. The model's key and base
// URL come from a credential named `openai`, as in examples/ticket-triage.yaml.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { api, BASE, connect, dropStep, launch, shot, shutdown, withSession, yamlText } from "./helpers.mjs";
import { startFakes } from "./fakes.mjs";

before(launch);
after(shutdown);

const run = promisify(execFile);

/** Drop a palette item, wait for its node, and give it the id the seed uses. */
async function addStep(page, type, id, y) {
  await page.getByLabel("Search steps").fill(type);
  await dropStep(page, type, 260, y);
  await page.getByLabel("Search steps").fill("");
  const idInput = page.getByTestId("step-form").getByLabel("Step id");
  await idInput.waitFor();
  const fresh = await idInput.inputValue();
  await idInput.fill(id);
  await idInput.press("Enter");
  await page.locator(`.react-flow__node[data-id="${id}"]`).waitFor();
  assert.notEqual(fresh, "", `a dropped ${type} gets an id`);
  return page.getByTestId("step-form");
}

/** Fill a free-form YAML field (headers, json, output_schema, transform's with) and commit it. */
async function yamlField(form, label, text) {
  const ta = form.locator(`textarea[aria-label="${label}"]`);
  await ta.fill(text);
  await ta.blur();
}

/** Fill a one-line field of the step's `with` (an expression field). */
async function field(form, name, value) {
  const input = form.locator(`[data-field="${name}"] [aria-label="${name}"]`);
  await input.fill(value);
  await input.press("Escape"); // close the expression suggestions, if any opened
}

async function retry(form, { max_attempts, backoff, initial, max }) {
  await form.getByLabel("max_attempts", { exact: true }).fill(String(max_attempts));
  if (backoff) await form.getByLabel("backoff", { exact: true }).selectOption(backoff);
  await form.getByLabel("initial", { exact: true }).fill(initial);
  await form.getByLabel("max", { exact: true }).fill(max);
}

/** The step's own timeout (the flow section), not http.request's `with.timeout`. */
const stepTimeout = (form) => form.locator('label.field:not([data-field]) input[aria-label="timeout"]');

describe("ticket triage", () => {
  it(
    "builds the seed ticket-triage workflow by drag and drop, validates and round-trips its YAML, runs it from its webhook and shows the AI usage",
    withSession(async ({ page }) => {
      const fakes = await startFakes(Number(process.env.E2E_FAKE_PORT));
      const dir = mkdtempSync(join(tmpdir(), "weft-e2e-"));
      try {
        // The model's key and address, as the example expects them: a credential named openai.
        const cred = await api("PUT", "/api/v1/credentials/openai", { type: "custom", description: "fake OpenAI for the e2e", data: { api_key: fakes.aiKey, base_url: `${fakes.url}/openai/v1` } });
        assert.ok(cred.status === 200 || cred.status === 201, JSON.stringify(cred.data));
        await api("DELETE", "/api/v1/workflows/ticket-triage");

        await page.goto("/workflows/new");
        const wf = page.getByTestId("workflow-form");
        await wf.getByLabel("name", { exact: true }).fill("ticket-triage");
        await wf.getByLabel("description").fill("Analyse each new support ticket with an AI model, update the CRM, alert Slack on unhappy customers.");
        await wf.getByLabel("path", { exact: true }).fill("tickets");

        // customer: GET the CRM's customer, retried with backoff.
        let form = await addStep(page, "http.request", "customer", 130);
        await form.getByLabel("method", { exact: true }).selectOption("GET");
        await field(form, "url", "{{ env.CRM_URL }}/customers/{{ trigger.body.customer_id }}");
        await yamlField(form, "headers", 'Authorization: "Bearer {{ env.CRM_TOKEN }}"');
        await retry(form, { max_attempts: 5, backoff: "exponential", initial: "1s", max: "1m" });
        await stepTimeout(form).fill("30s");

        // analyse: ai.chat with an output_schema, so the answer is validated JSON.
        form = await addStep(page, "ai.chat", "analyse", 230);
        await connect(page, "customer", "analyse");
        await form.getByLabel("provider", { exact: true }).selectOption("openai");
        await field(form, "model", "{{ env.AI_MODEL ?? 'gpt-4o-mini' }}");
        // credential: is a choice of the existing credentials.
        await form.locator('[data-field="credential"] select[aria-label="credential"]').selectOption("openai");
        await field(form, "temperature", "0");
        await field(form, "system", "You triage customer support tickets.");
        await field(form, "prompt", "Customer {{ steps.customer.output.body.name }} ({{ steps.customer.output.body.plan }} plan) wrote: {{ trigger.body.message }}");
        await yamlField(
          form,
          "output_schema",
          `type: object
required: [sentiment, category, summary]
additionalProperties: false
properties:
  sentiment: { type: string, enum: [positive, neutral, negative] }
  category: { type: string, enum: [billing, bug, question, other] }
  summary: { type: string, description: One sentence. }`,
        );
        await retry(form, { max_attempts: 4, initial: "2s", max: "30s" });
        await stepTimeout(form).fill("60s");

        // triage: a transform that gathers what the next steps need.
        form = await addStep(page, "transform", "triage", 330);
        await connect(page, "analyse", "triage");
        await yamlField(
          form,
          "with YAML",
          `ticket_id: "{{ trigger.body.ticket_id }}"
customer_id: "{{ trigger.body.customer_id }}"
customer_name: "{{ steps.customer.output.body.name }}"
analysis: "{{ steps.analyse.output.json }}"`,
        );

        // update-crm: PATCH the ticket with the analysis.
        form = await addStep(page, "http.request", "update-crm", 430);
        await connect(page, "triage", "update-crm");
        await form.getByLabel("method", { exact: true }).selectOption("PATCH");
        await field(form, "url", "{{ env.CRM_URL }}/tickets/{{ steps.triage.output.ticket_id }}");
        await yamlField(form, "headers", 'Authorization: "Bearer {{ env.CRM_TOKEN }}"');
        await yamlField(
          form,
          "json",
          `sentiment: "{{ steps.triage.output.analysis.sentiment }}"
category: "{{ steps.triage.output.analysis.category }}"
ai_summary: "{{ steps.triage.output.analysis.summary }}"`,
        );

        // alert-slack: only for unhappy customers.
        form = await addStep(page, "http.request", "alert-slack", 530);
        await connect(page, "update-crm", "alert-slack");
        const cond = form.getByLabel("if", { exact: true });
        await cond.fill("{{ steps.analyse.output.json.sentiment == 'negative' }}");
        await cond.press("Escape");
        await form.getByLabel("method", { exact: true }).selectOption("POST");
        await field(form, "url", "{{ env.SLACK_URL }}/api/chat.postMessage");
        await yamlField(form, "headers", 'Authorization: "Bearer {{ env.SLACK_TOKEN }}"');
        await yamlField(
          form,
          "json",
          `channel: "{{ env.SLACK_CHANNEL ?? '#support' }}"
text: ":rotating_light: Unhappy customer {{ steps.triage.output.customer_name }} on ticket {{ steps.triage.output.ticket_id }}: {{ steps.triage.output.analysis.summary }}"`,
        );
        // No inline problem anywhere in the forms.
        assert.equal(await page.locator(".field-problem").count(), 0, await page.locator(".field-problem").allTextContents().then((t) => t.join("; ")));
        await page.locator(".react-flow__pane").click({ position: { x: 40, y: 40 } });
        await shot(page, "editor-triage");

        // The YAML tab: the seed's shape, written by the forms.
        const text = await yamlText(page);
        assert.match(text, /^name: ticket-triage$/m);
        assert.match(text, /webhook: \{ path: tickets, method: POST, respond: async \}/);
        assert.match(text, /  - id: customer\n    uses: http\.request\n    with:\n      method: GET\n      url: "\{\{ env\.CRM_URL \}\}\/customers\/\{\{ trigger\.body\.customer_id \}\}"\n/);
        assert.match(text, /retry:\n      max_attempts: 5\n      backoff: exponential\n      initial: 1s\n      max: 1m\n/);
        assert.match(text, /  - id: analyse\n    uses: ai\.chat\n/);
        assert.match(text, /credential: openai/);
        assert.match(text, /temperature: 0\n/);
        assert.match(text, /sentiment: \{ type: string, enum: \[ ?positive, neutral, negative ?\] \}|sentiment:\n\s+type: string/);
        assert.match(text, /  - id: update-crm\n    uses: http\.request\n    with:\n      method: PATCH\n/);
        assert.match(text, /if: "\{\{ steps\.analyse\.output\.json\.sentiment == 'negative' \}\}"/);
        assert.doesNotMatch(text, /needs:/, "a chain in file order needs no needs:");
        assert.match(text, /ui:\n  positions:\n/);
        await page.getByRole("tab", { name: /YAML/ }).click();
        await shot(page, "editor-triage-yaml");
        await page.getByRole("tab", { name: "Canvas" }).click();

        await page.getByRole("button", { name: "Save" }).click();
        await page.waitForURL("**/workflows/ticket-triage");
        await page.getByText("Saved ticket-triage.").waitFor();

        // Round trip: the server keeps the editor's text byte for byte, and weft validate accepts it.
        const saved = await api("GET", "/api/v1/workflows/ticket-triage");
        assert.equal(saved.status, 200);
        assert.equal(saved.data.source, text, "the YAML round-trips unchanged");
        const file = join(dir, "ticket-triage.yaml");
        writeFileSync(file, saved.data.source);
        const v = await run(process.env.WEFT_BIN ?? "weft", ["validate", file]).catch((e) => e);
        assert.equal(v.code ?? 0, 0, `weft validate: ${v.stdout}${v.stderr}`);
        assert.match(v.stdout, /1 file OK/);
        // The canvas draws the condition on the node.
        await page.locator('.react-flow__node[data-id="alert-slack"]').getByText(/negative/).waitFor();

        // Call the webhook as the help desk would; hold the model's answer until the page shows the run going.
        const res = await fetch(`${BASE}/hooks/tickets`, {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ ticket_id: "T-1001", customer_id: "c42", message: "I was charged twice this month and nobody answers my emails." }),
        });
        assert.equal(res.status, 202);
        const { execution_id: id } = await res.json();
        await page.goto(`/executions/${id}`);
        await page.locator('.tl-row[data-step="customer"] .badge.st-succeeded').waitFor();
        await page.locator('.tl-row[data-step="analyse"] .badge.st-running').waitFor();
        await page.locator(".summary .badge.st-running").waitFor();
        fakes.releaseModel();
        await page.locator(".summary .badge.st-succeeded").waitFor({ timeout: 30000 });
        await page.locator('.tl-row[data-step="alert-slack"] .badge.st-succeeded').waitFor();

        // The fakes saw what the seed workflow promises.
        assert.deepEqual(fakes.tickets.get("T-1001"), { id: "T-1001", sentiment: "negative", category: "billing", ai_summary: fakes.summary });
        assert.equal(fakes.slack.length, 1);
        assert.equal(fakes.slack[0].channel, "#support");
        assert.match(fakes.slack[0].text, /Unhappy customer Ada Lovelace on ticket T-1001/);
        assert.equal(fakes.crmAuth.every((a) => a === `Bearer ${fakes.crmToken}`), true);

        // A step's output, and the AI step's model, tokens and cost.
        await page.locator('.tl-row[data-step="analyse"]').click();
        await page.getByTestId("step-output").getByText('"sentiment": "negative"').waitFor();
        const ai = page.getByTestId("ai-usage");
        await ai.getByText("gpt-4o-mini-2024-07-18").waitFor();
        assert.equal(await ai.locator('[data-stat="input"] .value').textContent(), "182");
        assert.equal(await ai.locator('[data-stat="output"] .value').textContent(), "31");
        assert.match(await page.getByTestId("execution-ai").textContent(), /213 tokens/);
        await shot(page, "execution-ai");
        await page.locator('.tl-row[data-step="update-crm"]').click();
        const exch = page.getByTestId("step-exchange");
        await exch.getByText(/PATCH/).waitFor();
        await exch.getByText("200").waitFor();
        await shot(page, "execution-request");
      } finally {
        await fakes.close();
        rmSync(dir, { recursive: true, force: true });
      }
    }),
  );
});
