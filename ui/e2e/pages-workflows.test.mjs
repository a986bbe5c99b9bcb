// Runs alone (scripts/e2e.sh): it removes every workflow but the managed one
// and asserts that exactly that one is left.
// The workflow list (issue 15, defect 10): the delivery workflow Weft
// installs itself is listed apart, without Delete, so an install with no
// workflows of the user's own (weft serve --seed=false) shows the empty
// state and its examples.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { api, launch, shot, shutdown, withSession } from "./helpers.mjs";

before(launch);
after(shutdown);

const MANAGED = "weft-webhook-delivery";

describe("workflow list", () => {
  it(
    "keeps the managed delivery workflow apart so the empty state shows",
    withSession(async ({ page }) => {
      const list = (await api("GET", "/api/v1/workflows?limit=500")).data.items;
      for (const w of list) if (w.name !== MANAGED) await api("DELETE", `/api/v1/workflows/${w.name}`);
      if (!list.some((w) => w.name === MANAGED)) {
        // An earlier test file may have removed it; weft serve installs it at start.
        const src = `name: ${MANAGED}
description: Delivers one Weft event to one webhook subscription. Managed by Weft; do not edit.
steps:
  - id: send
    uses: webhook.send
    with:
      url: "{{ trigger.url }}"
      credential: "subscription:{{ trigger.subscription_id }}"
      message_id: "{{ trigger.message_id }}"
      payload: "{{ trigger.event }}"
`;
        const r = await api("PUT", `/api/v1/workflows/${MANAGED}`, src, "application/yaml");
        assert.ok(r.status === 200 || r.status === 201, JSON.stringify(r.data));
      }
      const now = (await api("GET", "/api/v1/workflows?limit=500")).data.items;
      assert.deepEqual(
        now.map((w) => [w.name, w.managed === true]),
        [[MANAGED, true]],
      );

      await page.goto("/");
      await page.getByRole("heading", { name: "Create your first workflow" }).waitFor();
      assert.ok((await page.locator(".examples .example").count()) > 0, "the examples are offered");
      const system = page.getByTestId("system-workflows");
      await system.locator("summary").click();
      await system.locator(`[data-workflow="${MANAGED}"]`).waitFor();
      assert.equal(await page.getByRole("button", { name: "Delete" }).count(), 0, "no Delete for a system workflow");
      await shot(page, "workflows-empty-system");
    }),
  );
});
