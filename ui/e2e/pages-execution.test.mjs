// The execution view never misleads (issue 15, defects 8 and 9): steps a
// failed execution never ran say "not run", waits read "814 ms", a refused
// HTTP answer shows its status and body, an error is written once, and a
// retry keeps the failed run with who started it.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { api, launch, shot, shutdown, withSession } from "./helpers.mjs";

before(launch);
after(shutdown);

async function put(name, yaml) {
  const r = await api("PUT", `/api/v1/workflows/${name}`, yaml, "application/yaml");
  assert.ok(r.status === 200 || r.status === 201, `PUT ${name}: ${r.status} ${JSON.stringify(r.data)}`);
}

/** A loopback service: /missing answers 404 with a JSON body, /boom 500, /flaky 503 twice then 200. */
async function service() {
  let flaky = 0;
  const srv = createServer((req, res) => {
    const send = (status, body) => {
      res.writeHead(status, { "Content-Type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (req.url.startsWith("/missing")) return send(404, { error: "no such order", order: 42 });
    if (req.url.startsWith("/boom")) return send(500, { error: "database on fire" });
    flaky++;
    return flaky <= 2 ? send(503, { error: "down for now" }) : send(200, { ok: true, call: flaky });
  });
  await new Promise((r) => srv.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${srv.address().port}`, close: () => srv.close() };
}

describe("execution view", () => {
  it(
    "says not run, formats waits, shows a refused response's body and each error once",
    withSession(async ({ page }) => {
      const svc = await service();
      try {
        await put(
          "pages-fail",
          `name: pages-fail
steps:
  - id: other
    uses: http.request
    needs: []
    with: { url: "${svc.url}/boom" }
    retry: { max_attempts: 3, backoff: exponential, initial: 150ms, max: 400ms }
  - id: fetch
    uses: http.request
    needs: []
    with: { url: "${svc.url}/missing" }
  - id: shape
    uses: transform
    needs: [fetch]
    with: { a: 1 }
`,
        );
        // Let "other" fail once and wait before "fetch" fails the execution.
        const run = await api("POST", "/api/v1/workflows/pages-fail/executions?wait=30s", {});
        assert.equal(run.data.status, "failed", JSON.stringify(run.data));
        const id = run.data.id;
        const stored = (await api("GET", `/api/v1/executions/${id}`)).data;
        const raw = Object.fromEntries(stored.steps.map((s) => [s.step_id, s.status]));
        assert.equal(raw.shape, "pending", "the store keeps the step that never started as pending");

        await page.setViewportSize({ width: 1366, height: 768 });
        await page.goto(`/executions/${id}`);
        await page.locator(".summary .badge.st-failed").waitFor();
        // Defect 9: a step after the failure is "not run", never "pending".
        await page.locator('.tl-row[data-step="shape"][data-status="not run"]').waitFor();
        assert.equal(await page.locator(".timeline").getByText("pending", { exact: true }).count(), 0, "no step reads pending in a finished execution");

        // The failed step is selected: its 404 and the body it answered with.
        const detail = page.getByTestId("step-detail");
        await detail.getByText("fetch", { exact: true }).waitFor();
        const refused = detail.getByTestId("refused-response");
        await refused.locator(".http-status").getByText("404").waitFor();
        await refused.getByText('"no such order"').waitFor();
        // The error's text is on the page once (not in the summary, the step and every attempt).
        const html = await page.locator("main").innerText();
        assert.equal(html.split("answered 404").length - 1, 1, `the 404 error is written once:\n${html}`);
        await page.getByTestId("execution-error").getByRole("button", { name: "fetch" }).waitFor();
        await shot(page, "execution-failed-1366");

        // A retried step: waits read like "150 ms", never "150.416646ms"; a repeated error says so.
        await page.locator('.tl-row[data-step="other"]').click();
        await detail.getByText("other", { exact: true }).waitFor();
        const attempts = detail.getByTestId("step-attempts");
        await attempts.locator("li").first().waitFor();
        const text = await attempts.innerText();
        assert.match(text, /then waited \d+ ms/, text);
        assert.doesNotMatch(text, /\d+\.\d+ms|\dms/, text);
        await page.setViewportSize({ width: 1920, height: 1080 });
        await shot(page, "execution-failed-1920");
      } finally {
        svc.close();
      }
    }),
  );

  it(
    "keeps the failed run after a retry and says who retried it",
    withSession(async ({ page }) => {
      const svc = await service();
      try {
        await put(
          "pages-retry",
          `name: pages-retry
steps:
  - id: prepare
    uses: transform
    with: { n: 1 }
  - id: call
    uses: http.request
    with: { url: "${svc.url}/flaky" }
    retry: { max_attempts: 2, backoff: fixed, initial: 100ms }
  - id: done
    uses: transform
    with: { result: "{{ steps.call.output.body }}" }
`,
        );
        const run = await api("POST", "/api/v1/workflows/pages-retry/executions?wait=30s", {});
        assert.equal(run.data.status, "failed", JSON.stringify(run.data));
        const id = run.data.id;

        await page.setViewportSize({ width: 1366, height: 768 });
        await page.goto(`/executions/${id}`);
        await page.locator(".summary .badge.st-failed").waitFor();
        await page.getByRole("button", { name: "Retry from failed step" }).click();
        await page.locator(".summary .badge.st-succeeded").waitFor({ timeout: 30000 });

        // Defect 8: the failed run is still there, as run 1, with who retried it.
        await page.getByTestId("execution-run").getByText(/retried by admin/).waitFor();
        const earlier = page.getByTestId("earlier-runs");
        await earlier.locator('[data-run="1"] .badge.st-failed').waitFor();
        await earlier.getByText(/retried by admin/).waitFor();
        // The step's failed attempts are kept next to its new, successful one.
        await page.locator('.tl-row[data-step="call"]').click();
        const detail = page.getByTestId("step-detail");
        await detail.locator(".badge.st-succeeded").first().waitFor();
        const prior = detail.getByTestId("step-earlier-runs");
        await prior.getByText("Run 1").waitFor();
        assert.equal(await prior.locator('li[data-outcome="retry"]').count(), 1);
        assert.equal(await prior.locator('li[data-outcome="failed"]').count(), 1);
        await detail.getByTestId("step-attempts").first().locator('li[data-outcome="succeeded"]').waitFor();
        await shot(page, "execution-retried-1366");
        await page.setViewportSize({ width: 1920, height: 1080 });
        await shot(page, "execution-retried-1920");

        // The API says the same: the run is kept with its steps' attempts.
        const after = (await api("GET", `/api/v1/executions/${id}`)).data;
        assert.equal(after.status, "succeeded");
        assert.equal(after.retries.length, 1);
        assert.equal(after.retries[0].retried_by, "admin");
        assert.deepEqual(
          after.retries[0].steps.find((s) => s.step_id === "call").history.map((h) => h.outcome),
          ["retry", "failed"],
        );
      } finally {
        svc.close();
      }
    }),
  );
});
