// Polling triggers and the protocol steps in the console: the Triggers page
// shows a polling trigger's liveness (items seen, next poll, paused by a
// 429) from a real `weft serve`, and the palette offers graphql.query,
// soap.call and email.send with forms made from their specs.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { api, dropStep, launch, rereadWhen, shot, shutdown, withSession } from "./helpers.mjs";

before(launch);
after(shutdown);

/** A list API on loopback: GET /items answers two items, or 429 when told. */
async function feed() {
  const state = { limited: false };
  const server = http.createServer((req, res) => {
    if (state.limited) {
      res.writeHead(429, { "Retry-After": "60", "Content-Type": "application/json" });
      res.end('{"error":"slow down"}');
      return;
    }
    res.writeHead(200, { "Content-Type": "application/json" });
    res.end(JSON.stringify({ results: [{ id: "c-1", name: "Ada" }, { id: "c-2", name: "Grace" }] }));
  });
  await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
  return { state, url: `http://127.0.0.1:${server.address().port}`, close: () => server.close() };
}

describe("polling triggers and protocol steps", () => {
  it(
    "shows a polling trigger's liveness, and its pause on 429",
    withSession(async ({ page }) => {
      const f = await feed();
      try {
        const yaml = [
          "name: new-contacts",
          "on:",
          "  poll:",
          "    step: http.request",
          `    with: { url: "${f.url}/items" }`,
          "    every: 1s",
          '    items: "{{ poll.output.body.results }}"',
          '    id: "{{ item.id }}"',
          "steps:",
          "  - id: greet",
          "    uses: transform",
          '    with: { hello: "{{ trigger.item.name }}" }',
          "",
        ].join("\n");
        const wf = await api("PUT", "/api/v1/workflows/new-contacts", yaml, "application/yaml");
        assert.ok(wf.status === 200 || wf.status === 201, JSON.stringify(wf.data));

        const poll = async () => (await api("GET", "/api/v1/triggers")).data.polls?.find((p) => p.workflow === "new-contacts");
        await page.clock.install();
        await page.goto("/triggers");
        await rereadWhen(page, async () => (await poll())?.items_seen >= 2, "the two items to be seen", 20000);
        await page.getByRole("heading", { name: "Polling triggers" }).waitFor({ timeout: 20000 });
        const row = page.locator('tr[data-poll="new-contacts/0"]');
        await row.waitFor();
        await row.getByTestId("poll-items").filter({ hasText: "2" }).waitFor({ timeout: 20000 });
        assert.equal(await row.getByTestId("poll-status").textContent(), "healthy");
        assert.match(await row.textContent(), /http\.request/);
        await shot(page, "triggers-poll");

        f.state.limited = true;
        await rereadWhen(page, async () => (await poll())?.status === "paused", "the poll to pause on the 429", 20000);
        await row.getByTestId("poll-status").filter({ hasText: "paused" }).waitFor({ timeout: 20000 });
        assert.match(await row.getByTestId("poll-error").textContent(), /429/);
        assert.match(await row.textContent(), /paused, resumes in \d+s/);
        // Two items, each started exactly once, however many polls ran.
        const list = await api("GET", "/api/v1/executions?workflow=new-contacts");
        assert.equal(list.data.items.length, 2, JSON.stringify(list.data.items.map((e) => e.input)));
        await shot(page, "triggers-poll-paused");
      } finally {
        await api("DELETE", "/api/v1/workflows/new-contacts");
        f.close();
      }
    }),
  );

  it(
    "offers graphql.query, soap.call and email.send in the palette with their forms",
    withSession(async ({ page }) => {
      const cases = [
        { type: "graphql.query", search: "graphql", title: "GraphQL query", fields: ["endpoint", "query", "variables", "operation_name", "connection"] },
        { type: "soap.call", search: "soap", title: "SOAP call", fields: ["endpoint", "action", "version", "body", "select"] },
        { type: "email.send", search: "email", title: "Send email", fields: ["connection", "to", "subject", "text", "html"] },
      ];
      for (const c of cases) {
        await page.goto("/workflows/new");
        await page.getByLabel("Search steps").fill(c.search);
        await page.locator(`.palette-item[data-type="${c.type}"]`).waitFor();
        await dropStep(page, c.type, 260, 200);
        const form = page.getByTestId("step-form");
        await form.getByText(c.title).first().waitFor();
        for (const name of c.fields) await form.locator(`[aria-label="${name}"]`).first().waitFor();
        await shot(page, `editor-${c.type.replace(".", "-")}`);
      }
    }),
  );
});
