// Registration at the provider (on.webhook.register) on the Webhooks page:
// a workflow registered at a Stripe stand-in shows "registered" with the
// endpoint id; one whose connection is missing shows "error" with the
// reason.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { api, launch, putWorkflow, shot, shutdown, until, withSession } from "./helpers.mjs";

/** A Stripe stand-in holding webhook endpoints (form bodies, Stripe's list shape). */
function stripeStandIn() {
  const endpoints = [];
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      const send = (status, v) => {
        res.writeHead(status, { "Content-Type": "application/json" });
        res.end(JSON.stringify(v));
      };
      if (req.headers.authorization !== "Bearer sk_test_console") return send(401, { error: { type: "invalid_request_error", message: "Invalid API Key provided" } });
      const url = new URL(req.url, "http://x");
      if (req.method === "GET" && url.pathname === "/v1/webhook_endpoints") return send(200, { object: "list", data: endpoints, has_more: false });
      if (req.method === "POST" && url.pathname === "/v1/webhook_endpoints") {
        const f = new URLSearchParams(body);
        const e = { id: `we_console${endpoints.length + 1}`, object: "webhook_endpoint", url: f.get("url"), enabled_events: f.getAll("enabled_events[]"), metadata: { weft_workflow: f.get("metadata[weft_workflow]") }, status: "enabled" };
        endpoints.push(e);
        return send(200, { ...e, secret: "whsec_console" });
      }
      send(404, { error: { type: "invalid_request_error", message: "Unrecognized request URL" } });
    });
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve({ server, endpoints, url: `http://127.0.0.1:${server.address().port}` })));
}

const workflow = (name, connection) => `name: ${name}
on:
  webhook:
    path: ${name}
    preset: stripe
    register: { connection: ${connection}, events: [payment_intent.succeeded] }
steps:
  - { id: a, uses: transform, with: { t: "{{ trigger.body.type }}" } }
`;

let stripe;
before(async () => {
  await launch();
  stripe = await stripeStandIn();
});
after(async () => {
  stripe?.server.close();
  await shutdown();
});

describe("webhook registrations", () => {
  it(
    "shows registered with the endpoint id, and an error with its reason",
    withSession(async ({ page }) => {
      const cred = await api("PUT", "/api/v1/credentials/stripe-console", { type: "bearer", data: { token: "sk_test_console" }, base_url: stripe.url });
      assert.ok(cred.status < 300, JSON.stringify(cred.data));
      await putWorkflow("reg-paid", workflow("reg-paid", "stripe-console"));
      await putWorkflow("reg-broken", workflow("reg-broken", "stripe-missing"));
      const regs = await until(async () => {
        const items = (await api("GET", "/api/v1/webhooks/registrations")).data.items ?? [];
        const ok = items.find((r) => r.workflow === "reg-paid" && r.state === "registered");
        const bad = items.find((r) => r.workflow === "reg-broken" && r.state === "error");
        return ok && bad ? { ok, bad } : undefined;
      }, "both registrations to settle");
      assert.equal(stripe.endpoints.length, 1);
      assert.equal(regs.ok.endpoint_id, "we_console1");
      assert.match(stripe.endpoints[0].url, /\/hooks\/reg-paid$/);

      await page.goto("/webhooks");
      const ok = page.locator('tr[data-workflow="reg-paid"] [data-testid="registration"]');
      await ok.waitFor();
      assert.equal(await ok.getAttribute("data-state"), "registered");
      assert.match(await ok.innerText(), /we_console1/);
      const bad = page.locator('tr[data-workflow="reg-broken"] [data-testid="registration"]');
      assert.equal(await bad.getAttribute("data-state"), "error");
      assert.match(await bad.getByTestId("registration-error").innerText(), /stripe-missing/);
      await shot(page, "webhooks-registrations");
    }),
  );
});
