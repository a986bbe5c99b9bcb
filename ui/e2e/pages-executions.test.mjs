// The execution list (issue 15 §2): a search box for an id prefix, a
// workflow name or a field = value filter on the trigger data, a time
// range, and bulk retry/cancel of checked rows after a confirmation.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { api, launch, putWorkflow, shot, shutdown, until, withSession } from "./helpers.mjs";

before(launch);
after(shutdown);

const FAILING = `name: search-fail
steps:
  - id: boom
    uses: fail
    with: { message: "no luck" }
`;
const PARKED = `name: search-park
steps:
  - id: pause
    uses: wait
    with: { for: 1h }
`;

const rows = (page) => page.locator("tbody tr[data-execution]");

async function search(page, text) {
  const box = page.getByRole("searchbox", { name: "Search executions" });
  await box.fill(text);
  await box.press("Enter");
}

describe("execution list", () => {
  it(
    "executions: search by trigger data, id prefix and workflow, a time range, and bulk retry and cancel with a confirmation",
    withSession(
      async ({ page }) => {
        await putWorkflow("search-fail", FAILING);
        await putWorkflow("search-park", PARKED);
        const failed = [];
        for (const id of [1, 2, 3]) {
          const r = await api("POST", "/api/v1/workflows/search-fail/executions?wait=10s", { body: { customer: { id } } });
          assert.equal(r.data.status, "failed", JSON.stringify(r.data));
          failed.push(r.data.id);
        }
        const parked = [];
        for (let i = 0; i < 2; i++) parked.push((await api("POST", "/api/v1/workflows/search-park/executions", {})).data.id);

        await page.goto("/executions");
        // Trigger data.
        await search(page, "body.customer.id = 2");
        await until(async () => (await rows(page).count()) === 1, "one row for customer 2");
        assert.equal(await rows(page).first().getAttribute("data-execution"), failed[1]);
        // Id prefix.
        await search(page, failed[2].slice(0, -1));
        await until(async () => (await rows(page).count()) === 1, "one row for the id prefix");
        assert.equal(await rows(page).first().getAttribute("data-execution"), failed[2]);
        // Workflow name.
        await search(page, "search-park");
        await until(async () => (await rows(page).count()) === 2, "the two parked executions");
        // A time range in the future matches nothing.
        await page.getByLabel("From").fill("2999-01-01T00:00");
        await page.getByText("No executions match").waitFor();
        await page.getByRole("button", { name: "Clear" }).click();

        // Bulk retry of the failed ones, after a confirmation.
        await search(page, "search-fail");
        await until(async () => (await rows(page).count()) === 3, "the three failed executions");
        await page.getByRole("checkbox", { name: "Select all on this page" }).check();
        await page.getByText("3 selected").waitFor();
        await shot(page, "executions-search-1366");
        const asked = [];
        page.once("dialog", (d) => {
          asked.push(d.message());
          d.accept();
        });
        await page.getByRole("button", { name: "Retry selected" }).click();
        await page.getByTestId("bulk-outcome").getByText("Retried 3 of 3.").waitFor();
        assert.match(asked[0], /Retry 3 executions\?/);
        for (const id of failed) {
          const e = await until(async () => {
            const r = await api("GET", `/api/v1/executions/${id}`);
            return r.data.retries?.length === 1 && r.data.status === "failed" && r.data;
          }, `${id} retried`);
          assert.equal(e.retries[0].retried_by, "admin");
        }

        // Bulk cancel of one checked row; a dismissed confirmation does nothing.
        await search(page, "search-park");
        await until(async () => (await rows(page).count()) === 2, "the two parked executions");
        await page.getByRole("checkbox", { name: `Select ${parked[0]}` }).check();
        page.once("dialog", (d) => d.dismiss());
        await page.getByRole("button", { name: "Cancel selected" }).click();
        assert.notEqual((await api("GET", `/api/v1/executions/${parked[0]}`)).data.status, "canceled");
        page.once("dialog", (d) => d.accept());
        await page.getByRole("button", { name: "Cancel selected" }).click();
        await page.getByTestId("bulk-outcome").getByText("Canceled 1 of 1.").waitFor();
        await until(async () => (await api("GET", `/api/v1/executions/${parked[0]}`)).data.status === "canceled", "canceled");
        assert.notEqual((await api("GET", `/api/v1/executions/${parked[1]}`)).data.status, "canceled");
        await api("POST", "/api/v1/executions/cancel", { ids: [parked[1]] });
      },
      { viewport: { width: 1366, height: 768 } },
    ),
  );
});
