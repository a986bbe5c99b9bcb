// The Alerts page against a real `weft serve`: a rule made in the console
// over a workflow that failed fires at once (creating a rule evaluates it),
// shows red with its value, is counted in the navigation and on the
// dashboard, runs its notify workflow, and can be deleted.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { api, launch, putWorkflow, rereadWhen, shot, shutdown, until, withSession } from "./helpers.mjs";

before(launch);
after(shutdown);

describe("alerts", () => {
  it(
    "creates a rule that fires, shows it everywhere, and deletes it",
    withSession(async ({ page, allow }) => {
      await putWorkflow("alert-flaky", ["name: alert-flaky", "steps:", "  - id: boom", "    uses: fail", '    with: { message: "downstream said no" }', ""].join("\n"));
      await putWorkflow("alert-pager", ["name: alert-pager", "steps:", "  - id: note", "    uses: transform", '    with: { got: "{{ trigger.alert }} {{ trigger.state }}" }', ""].join("\n"));
      for (let i = 0; i < 2; i++) {
        const r = await api("POST", "/api/v1/workflows/alert-flaky/executions", {});
        assert.ok(r.status < 300, JSON.stringify(r.data));
      }
      await until(async () => {
        const r = await api("GET", "/api/v1/executions?workflow=alert-flaky&status=failed");
        return (r.data?.items ?? []).length >= 2;
      }, "two failed executions");

      await page.clock.install();
      await page.goto("/alerts");
      await page.getByRole("heading", { name: "Alerts" }).waitFor();
      await page.getByRole("button", { name: "New alert" }).click();
      const form = page.getByRole("form", { name: "New alert" });
      await form.locator('[name="name"]').fill("flaky-failing");
      await form.locator('[name="kind"]').selectOption("failures");
      await form.locator('[name="target"]').fill("alert-flaky");
      await form.locator('[name="window"]').fill("1h");
      await form.locator('[name="threshold"]').fill("2");
      await form.locator('[name="notify"]').fill("alert-pager");
      await form.getByRole("button", { name: "Create alert" }).click();

      const row = page.locator('tr[data-alert="flaky-failing"]');
      await row.waitFor();
      // The page and the navigation show it at their next re-read of the list.
      await rereadWhen(page, async () => (await api("GET", "/api/v1/alerts")).data.items?.find((a) => a.rule.name === "flaky-failing")?.status.state === "firing", "the alert to fire", 20000);
      await until(async () => (await row.getByTestId("alert-state").textContent()) === "firing", "the alert to fire", 20000);
      assert.match(await row.getByTestId("alert-state").getAttribute("class"), /st-failed/);
      assert.match(await row.getByTestId("alert-value").textContent(), /^2/);
      assert.equal(await page.getByTestId("alerts-summary").textContent(), "1 firing");
      await page.getByTestId("nav-firing").waitFor({ timeout: 15000 });
      assert.equal(await page.getByTestId("nav-firing").textContent(), "1");
      await shot(page, "alerts-firing");

      // The notify workflow ran with the alert's name and state.
      const runs = await until(async () => {
        const r = await api("GET", "/api/v1/executions?workflow=alert-pager");
        return (r.data?.items ?? []).length ? r.data.items : undefined;
      }, "the notify workflow to run");
      const ex = await api("GET", `/api/v1/executions/${runs[0].id}`);
      assert.equal(ex.data.trigger, "alert");
      assert.equal(ex.data.input.alert, "flaky-failing");
      assert.equal(ex.data.input.state, "firing");

      await page.goto("/dashboard");
      const banner = page.getByTestId("dashboard-alerts");
      await banner.waitFor();
      assert.match(await banner.textContent(), /1 alert firing: flaky-failing/);

      // A bad rule is refused with the reason (the 422 is expected).
      allow(/422.*alerts\/Bad/);
      await page.goto("/alerts");
      await page.getByRole("button", { name: "New alert" }).click();
      await form.locator('[name="name"]').fill("Bad Name");
      await form.locator('[name="target"]').fill("alert-flaky");
      await form.locator('[name="notify"]').fill("alert-pager");
      await form.getByRole("button", { name: "Create alert" }).click();
      await form.getByRole("alert").waitFor();
      assert.match(await form.getByRole("alert").textContent(), /lower-case/);

      await page.getByRole("button", { name: "Delete alert flaky-failing" }).click();
      await row.waitFor({ state: "detached" });
      assert.equal((await api("GET", "/api/v1/alerts")).data.items.length, 0);
      await api("DELETE", "/api/v1/workflows/alert-flaky");
      await api("DELETE", "/api/v1/workflows/alert-pager");
    }),
  );
});
