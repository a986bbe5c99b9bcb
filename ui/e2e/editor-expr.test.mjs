// Expression help at 1366×768 (issue 15 §1.6): the suggestion list stays on
// screen for a field at the bottom of the inspector, keys come from the
// workflow's newest execution on a fresh page load (no test run in this
// session), and the field shows the evaluated value under it.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { api, launch, putWorkflow, shutdown, withSession } from "./helpers.mjs";

before(launch);
after(shutdown);

const YAML = `name: expr-check
steps:
  - id: fetch
    uses: transform
    with: { id: 7 }
  - id: send
    needs: [fetch]
    uses: http.request
    with:
      url: "http://127.0.0.1:9/never"
      method: POST
`;

/** Parts of the element's box that something on the way up to the viewport cuts off. */
function clipped(sel) {
  const el = document.querySelector(sel);
  const r = el.getBoundingClientRect();
  const cuts = [];
  if (r.top < 0 || r.bottom > window.innerHeight) cuts.push(`viewport (${r.top}..${r.bottom} of ${window.innerHeight})`);
  for (let p = el.parentElement; p; p = p.parentElement) {
    if (getComputedStyle(p).overflowY === "visible") continue;
    const b = p.getBoundingClientRect();
    if (r.top < b.top - 0.5 || r.bottom > b.bottom + 0.5) cuts.push(`${p.className || p.tagName} (${r.top}..${r.bottom} outside ${b.top}..${b.bottom})`);
  }
  return cuts;
}

describe("editor expressions", () => {
  it(
    "editor: suggestions near the bottom stay visible, offer the newest execution's keys on a fresh load, and the value shows under the field",
    withSession(
      async ({ page, allow }) => {
        // The preview evaluates what is typed once typing pauses for 250 ms; a slow
        // machine pauses inside "{{ trigger.body." and the server refuses that
        // half-typed expression (422). The final value is asserted below.
        allow(/422.*expressions\/evaluate/);
        await putWorkflow("expr-check", YAML);
        // An earlier execution, started outside this browser session.
        const r = await api("POST", "/api/v1/workflows/expr-check/executions?wait=10s", { body: { customer: { id: 41, name: "ada" } } });
        assert.ok(r.status === 200 || r.status === 202, JSON.stringify(r.data));
        await page.goto("/workflows/expr-check");
        await page.locator('.react-flow__node[data-id="send"]').click();
        const inspector = page.getByRole("complementary", { name: "Inspector" });
        // The last single-line text field of the form, scrolled to the inspector's bottom edge.
        const fields = inspector.locator('input[role="combobox"]');
        await fields.first().waitFor();
        const field = fields.last();
        await field.evaluate((e) => e.scrollIntoView({ block: "end" }));
        const fb = await field.boundingBox();
        assert.ok(fb.y + fb.height > 768 - 120, `the field is near the bottom (y=${fb.y})`);
        await field.fill("");
        await field.pressSequentially("{{ trigger.body.");
        const list = page.getByRole("listbox", { name: "Expression suggestions" });
        await list.getByRole("option", { name: /customer/ }).waitFor();
        await list.getByText(/values from the last run/).waitFor();
        const cuts = await page.evaluate(clipped, '[role="listbox"][aria-label="Expression suggestions"]');
        assert.deepEqual(cuts, [], "the suggestion list is not cut off");
        await field.fill("{{ trigger.body.customer.id + 1 }}");
        await inspector.getByTestId("expr-preview").getByText("= 42").waitFor();
      },
      { viewport: { width: 1366, height: 768 } },
    ),
  );
});
