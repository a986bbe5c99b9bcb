// Credentials (issue 15, defect 4): a custom credential takes any named
// fields, "Test connection" calls through it, a step's credential: is a
// choice of the credentials that exist (an unknown name is marked), and a
// missing credential is named once in the run's error.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { api, launch, shot, shutdown, withSession } from "./helpers.mjs";

before(launch);
after(shutdown);

const GOOD = "pages-good-token-7f3a9c";
const BAD = "pages-bad-token-1d2e4b";

async function upstream() {
  const srv = createServer((req, res) => {
    const auth = req.headers.authorization ?? "";
    if (auth === `Bearer ${GOOD}`) {
      res.writeHead(200, { "Content-Type": "application/json" });
      return res.end('{"me":"weft"}');
    }
    res.writeHead(401, { "Content-Type": "application/json" });
    res.end(JSON.stringify({ error: `bad token ${auth}` })); // echoes the token: the console must not show it
  });
  await new Promise((r) => srv.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${srv.address().port}`, close: () => srv.close() };
}

describe("credentials", () => {
  it(
    "adds api_key and base_url to a custom credential",
    withSession(async ({ page }) => {
      await api("DELETE", "/api/v1/credentials/pages-ai");
      await page.setViewportSize({ width: 1366, height: 768 });
      await page.goto("/credentials");
      await page.getByRole("button", { name: "New credential" }).click();
      const form = page.getByRole("form", { name: "Credential" });
      await form.getByLabel("Credential name").fill("pages-ai");
      await form.getByLabel("Credential type").selectOption("custom");
      const extra = form.getByTestId("extra-fields");
      assert.equal(await extra.getByLabel("Field 1 name").inputValue(), "api_key");
      assert.equal(await extra.getByLabel("Field 2 name").inputValue(), "base_url");
      await extra.getByLabel("Field 1 value").fill("sk-pages-123");
      await extra.getByLabel("Field 2 value").fill("http://127.0.0.1:9/v1");
      await extra.getByRole("button", { name: "Add field" }).click();
      await extra.getByLabel("Field 3 name").fill("organization");
      await extra.getByLabel("Field 3 value").fill("org-1");
      await shot(page, "credentials-custom-1366");
      await form.getByRole("button", { name: "Save credential" }).click();
      await page.locator('tr[data-credential="pages-ai"]').waitFor();
      const got = (await api("GET", "/api/v1/credentials/pages-ai")).data;
      assert.equal(got.type, "custom");
      assert.deepEqual([...got.fields].sort(), ["api_key", "base_url", "organization"]);
    }),
  );

  it(
    "tests a connection and shows the answer without the secret",
    withSession(async ({ page }) => {
      const up = await upstream();
      try {
        for (const [name, token] of [
          ["pages-svc", GOOD],
          ["pages-wrong", BAD],
        ]) {
          const r = await api("PUT", `/api/v1/credentials/${name}`, { type: "bearer", data: { token } });
          assert.equal(r.status, 200, JSON.stringify(r.data));
        }
        await page.setViewportSize({ width: 1366, height: 768 });
        await page.goto("/credentials");
        await page.locator('tr[data-credential="pages-svc"]').getByRole("button", { name: "Test connection" }).click();
        const row = page.locator('tr[data-test-for="pages-svc"]');
        await row.getByLabel("URL to test pages-svc against").fill(`${up.url}/me`);
        await row.getByRole("button", { name: "Test", exact: true }).click();
        await row.locator('[data-ok="true"]').getByText(/answered 200/).waitFor();

        await page.locator('tr[data-credential="pages-wrong"]').getByRole("button", { name: "Test connection" }).click();
        const wrong = page.locator('tr[data-test-for="pages-wrong"]');
        await wrong.getByLabel("URL to test pages-wrong against").fill(`${up.url}/me`);
        await wrong.getByRole("button", { name: "Test", exact: true }).click();
        await wrong.locator('[data-ok="false"]').getByText(/401/).first().waitFor();
        const text = await page.locator("main").innerText();
        assert.ok(!text.includes(BAD), "the token never reaches the page");
        await shot(page, "credentials-1366");
        await page.setViewportSize({ width: 1920, height: 1080 });
        await shot(page, "credentials-1920");
      } finally {
        up.close();
      }
    }),
  );

  it(
    "offers the existing credentials in a step's credential field and marks an unknown one",
    withSession(async ({ page }) => {
      await api("PUT", "/api/v1/credentials/pages-svc", { type: "bearer", data: { token: GOOD } });
      const yaml = `name: pages-cred
steps:
  - id: fetch
    uses: http.request
    with:
      url: http://127.0.0.1:9/x
      credential: pages-sv
`;
      const r = await api("PUT", "/api/v1/workflows/pages-cred", yaml, "application/yaml");
      assert.ok(r.status === 200 || r.status === 201, JSON.stringify(r.data));

      // A missing credential fails the run with its name said once.
      const run = await api("POST", "/api/v1/workflows/pages-cred/executions?wait=30s", {});
      assert.equal(run.data.status, "failed");
      assert.equal(run.data.error.message.split('"pages-sv"').length - 1, 1, run.data.error.message);
      assert.match(run.data.error.message, /does not exist/);

      await page.goto("/workflows/pages-cred");
      await page.locator('.react-flow__node[data-id="fetch"]').click();
      const form = page.getByTestId("step-form");
      const select = form.getByTestId("credential-select");
      await select.getByTestId("credential-unknown").waitFor();
      const field = select.getByLabel("credential");
      assert.equal(await field.inputValue(), "pages-sv");
      const options = await field.locator("option").allInnerTexts();
      assert.ok(options.includes("pages-svc (bearer)"), options.join(", "));
      assert.ok(options.includes("pages-sv (unknown)"), options.join(", "));
      await field.selectOption("pages-svc");
      assert.equal(await select.getByTestId("credential-unknown").count(), 0);
    }),
  );
});
