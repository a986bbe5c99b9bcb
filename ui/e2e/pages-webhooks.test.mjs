// The webhooks log (issue 15, defect 12): an accepted delivery whose
// workflow then failed shows that outcome with a link, and Replay asks
// before it runs the workflow again.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { api, BASE, launch, shot, shutdown, until, withSession } from "./helpers.mjs";

before(launch);
after(shutdown);

describe("webhooks log", () => {
  it(
    "shows accepted → failed and confirms a replay",
    withSession(async ({ page }) => {
      const put = await api(
        "PUT",
        "/api/v1/workflows/pages-hook-fail",
        `name: pages-hook-fail
on:
  webhook: { path: pages-hook-fail }
steps:
  - id: boom
    uses: fail
    with: { message: "the CRM said no" }
`,
        "application/yaml",
      );
      assert.ok(put.status === 200 || put.status === 201, JSON.stringify(put.data));
      const hook = await fetch(`${BASE}/hooks/pages-hook-fail`, { method: "POST", headers: { "Content-Type": "application/json" }, body: '{"n":1}' });
      assert.equal(hook.status, 202);
      const delivery = await until(async () => {
        const items = (await api("GET", "/api/v1/webhooks/deliveries?workflow=pages-hook-fail")).data.items ?? [];
        return items.find((d) => d.execution_status === "failed");
      }, "the delivery's execution to fail");
      assert.equal(delivery.outcome, "accepted");

      await page.goto("/webhooks");
      const row = page.locator(`tr[data-delivery="${delivery.id}"]`);
      const outcome = row.getByTestId("delivery-execution-status");
      await outcome.locator(".badge.st-failed").waitFor();
      assert.equal(await outcome.locator("a").getAttribute("href"), `/executions/${delivery.execution_id}`);
      await shot(page, "webhooks-outcome");

      // Replay asks first; dismissing starts nothing.
      const before = (await api("GET", "/api/v1/executions?workflow=pages-hook-fail")).data.items.length;
      let asked = "";
      page.once("dialog", (d) => {
        asked = d.message();
        void d.dismiss();
      });
      await row.getByRole("button", { name: "Replay" }).click();
      await until(async () => asked !== "", "the confirmation");
      assert.match(asked, /new execution/);
      assert.equal(new URL(page.url()).pathname, "/webhooks");
      assert.equal((await api("GET", "/api/v1/executions?workflow=pages-hook-fail")).data.items.length, before, "a dismissed replay starts nothing");

      page.once("dialog", (d) => void d.accept());
      await row.getByRole("button", { name: "Replay" }).click();
      await page.waitForURL(/\/executions\/[0-9A-Z]+$/);
      assert.equal((await api("GET", "/api/v1/executions?workflow=pages-hook-fail")).data.items.length, before + 1);
    }),
  );
});
