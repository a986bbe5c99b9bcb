// Human in the loop through the console: an execution parks at an approval
// step, shows why it waits, is approved in the Approvals inbox with a
// comment, finishes, and shows the decision (who, when, why).
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { api, launch, shot, shutdown, until, withSession } from "./helpers.mjs";

before(launch);
after(shutdown);

const refund = `name: refund-approval
steps:
  - id: approve
    uses: approval
    with:
      message: "Refund {{ trigger.amount }} EUR to {{ trigger.customer }}?"
      details: { order: "{{ trigger.order }}" }
  - id: pay
    if: "{{ steps.approve.output.approved }}"
    uses: transform
    with: { refunded: "{{ trigger.amount }}", note: "{{ steps.approve.output.comment }}" }
`;

describe("approvals", () => {
  it(
    "approves a pending approval from the inbox and records the decision",
    withSession(async ({ page }) => {
      const put = await api("PUT", "/api/v1/workflows/refund-approval", refund, "application/yaml");
      assert.ok(put.status === 200 || put.status === 201, `PUT: ${put.status} ${JSON.stringify(put.data)}`);
      const started = await api("POST", "/api/v1/workflows/refund-approval/executions", { amount: 120, customer: "ACME", order: "o-77" });
      assert.ok(started.status === 202 || started.status === 201 || started.status === 200, `start: ${started.status}`);
      const id = started.data.id;
      await until(async () => (await api("GET", `/api/v1/executions/${id}`)).data.status === "waiting", "the execution parks at the approval");

      // The execution view says why it waits.
      await page.goto(`/executions/${id}`);
      await page.getByTestId("execution-waiting-reason").getByText("Waiting for an approval").waitFor();

      await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Approvals" }).click();
      const card = page.getByTestId("approval").filter({ hasText: id });
      await card.getByText("Refund 120 EUR to ACME?").waitFor();
      await card.getByLabel("Comment").fill("known customer, ok");
      await shot(page, "approvals-inbox");
      await card.getByRole("button", { name: "Approve" }).click();
      await card.waitFor({ state: "detached" });

      await until(async () => (await api("GET", `/api/v1/executions/${id}`)).data.status === "succeeded", "the execution finishes");
      const ex = (await api("GET", `/api/v1/executions/${id}`)).data;
      assert.deepEqual(ex.output, { refunded: 120, note: "known customer, ok" });

      await page.goto(`/executions/${id}`);
      await page.locator('.tl-row[data-step="approve"]').click();
      const decision = page.getByTestId("approval-decision");
      await decision.getByText("Approved").waitFor();
      await decision.getByText("by admin").waitFor();
      assert.equal(ex.steps.find((s) => s.step_id === "approve").output.by, "admin");
      await decision.getByText("known customer, ok").waitFor();
      await shot(page, "approval-decision");

      // A second decision is refused.
      const again = await api("POST", `/api/v1/approvals/${id}/approve`, { decision: "reject" });
      assert.ok(again.status === 409 || again.status === 410, `second decision: ${again.status}`);
    }),
  );
});
