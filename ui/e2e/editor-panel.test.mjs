// The step panel (issue 15 §1.2 and §2): a node's run data at the top of the
// inspector, Input | Parameters | Output side by side when opened wide, Run
// this step with upstream data, Pin output, dragging a field into a
// parameter, and the live value of an expression.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { api, launch, putWorkflow, shot, shutdown, withSession } from "./helpers.mjs";

before(launch);
after(shutdown);

const YAML = `name: panel-check
steps:
  - id: fetch
    uses: transform
    with: { id: 7, name: "{{ trigger.body.name }}", tags: [a, b] }
  - id: greet
    uses: transform
    with:
      text: "{{ steps.fetch.output.name }}!"
`;

async function runOnce(name) {
  const r = await api("POST", "/api/v1/workflows/panel-check/executions?wait=10s", { body: { name } });
  assert.equal(r.status, 200, JSON.stringify(r.data));
  assert.equal(r.data.status, "succeeded");
}

const node = (page, id) => page.locator(`.react-flow__node[data-id="${id}"]`);

describe("editor step panel", () => {
  it(
    "editor: after a run a node's Input and Output are at the top of the inspector",
    withSession(
      async ({ page }) => {
        await putWorkflow("panel-check", YAML);
        await runOnce("ada");
        await page.goto("/workflows/panel-check");
        await node(page, "fetch").click();
        const out = page.getByRole("tab", { name: "Output" });
        const box = await out.boundingBox();
        assert.ok(box.y < 200, `the Output tab is at the top (y=${box.y})`);
        await out.click();
        const value = page.getByTestId("panel-output").getByTestId("step-output").getByText('"name": "ada"');
        await value.waitFor();
        const vb = await value.boundingBox();
        assert.ok(vb.y + vb.height < 768, `the output is on screen without scrolling (y=${vb.y})`);
        await node(page, "greet").click();
        await page.getByRole("tab", { name: "Input" }).click();
        await page.getByTestId("panel-input").locator('[data-path="steps.fetch.output.name"]').waitFor();
        await shot(page, "editor-step-tabs-1366");
      },
      { viewport: { width: 1366, height: 768 } },
    ),
  );

  for (const [w, h] of [
    [1366, 768],
    [1920, 1080],
  ]) {
    it(
      `editor: the step panel shows Input, Parameters and Output side by side at ${w}×${h}`,
      withSession(
        async ({ page }) => {
          await putWorkflow("panel-check", YAML);
          await runOnce("ada");
          await page.goto("/workflows/panel-check");
          await node(page, "greet").click();
          await page.getByRole("tab", { name: "Output" }).click();
          await shot(page, `editor-step-output-${w}`);
          await node(page, "greet").dblclick();
          const panel = page.getByRole("dialog", { name: "Step panel: greet" });
          await panel.waitFor();
          assert.equal(await panel.getAttribute("aria-modal"), "true");
          const cols = await Promise.all(["Input", "Parameters", "Output"].map((n) => panel.getByRole("region", { name: n }).boundingBox()));
          assert.ok(cols[0].x + cols[0].width <= cols[1].x + 1 && cols[1].x + cols[1].width <= cols[2].x + 1, `columns side by side: ${JSON.stringify(cols)}`);
          assert.ok(Math.abs(cols[0].y - cols[2].y) < 2, "on one row");
          await panel.getByTestId("panel-input").locator('[data-path="steps.fetch.output.name"]').waitFor();
          await panel.getByTestId("panel-output").getByTestId("step-output").getByText('"text": "ada!"').waitFor();
          await shot(page, `editor-step-panel-${w}`);
          await page.keyboard.press("Escape");
          await panel.waitFor({ state: "detached" });
        },
        { viewport: { width: w, height: h } },
      ),
    );
  }

  it(
    "editor: clicking nodes and tabs never hides a node of the canvas",
    withSession(async ({ page }) => {
      // The canvas rebuilt its nodes on every render of the editor, and React Flow hides
      // (visibility: hidden) a node it has not measured until it measures it again: the
      // graph blinked at each click, and a click on a node could wait for it in vain.
      await putWorkflow("panel-check", YAML);
      await runOnce("ada");
      await page.goto("/workflows/panel-check");
      for (const id of ["fetch", "greet"]) await node(page, id).waitFor({ state: "visible" });
      await page.evaluate(() => {
        window.hiddenNodes = [];
        new MutationObserver((ms) => {
          for (const m of ms) if (m.target.classList.contains("react-flow__node") && m.target.style.visibility === "hidden") window.hiddenNodes.push(m.target.dataset.id);
        }).observe(document.querySelector(".react-flow"), { attributes: true, attributeFilter: ["style"], subtree: true });
      });
      await node(page, "greet").click();
      await page.getByRole("tab", { name: "Output" }).click();
      await page.getByTestId("panel-output").getByTestId("step-output").getByText('"text": "ada!"').waitFor();
      await node(page, "fetch").click();
      await page.getByRole("tab", { name: "Input" }).click();
      await page.getByTestId("panel-input").getByText("trigger").first().waitFor();
      assert.deepEqual(await page.evaluate(() => window.hiddenNodes), [], "nodes hidden while the user clicked");
    }),
  );

  it(
    "editor: Run this step uses pinned upstream output; the pin survives a reload",
    withSession(async ({ page }) => {
      await putWorkflow("panel-check", YAML);
      await runOnce("ada");
      await page.goto("/workflows/panel-check");
      await node(page, "fetch").click();
      await page.getByRole("tab", { name: "Output" }).click();
      await page.getByRole("button", { name: "Pin output" }).click();
      await page.getByTestId("pinned-output").getByText('"name": "ada"').waitFor();
      await page.locator('.wf-node[data-step="fetch"] .pin').waitFor();

      // A newer run says bob; the pin still says ada, and Run this step on greet uses the pin.
      await runOnce("bob");
      await page.reload();
      await page.locator('.wf-node[data-step="fetch"] .pin').waitFor();
      await node(page, "greet").click();
      await page.getByRole("tab", { name: "Input" }).click();
      await page.getByTestId("panel-input").getByText("from pinned data").waitFor();
      await page.getByRole("tab", { name: "Output" }).click();
      await page.getByRole("button", { name: "▶ Run this step" }).click();
      await page.getByTestId("step-test-output").getByText('"text": "ada!"').waitFor();
      // Nothing was stored: still the two runs.
      const list = await api("GET", "/api/v1/executions?workflow=panel-check&limit=50");
      assert.equal(list.data.items.length >= 2, true);
      assert.ok(list.data.items.every((e) => !e.id.startsWith("test-")));

      // Unpin: the next step run uses the last run's output again.
      await node(page, "fetch").click();
      await page.getByRole("tab", { name: "Output" }).click();
      await page.getByRole("button", { name: "Unpin" }).click();
      await page.locator('.wf-node[data-step="fetch"] .pin').waitFor({ state: "detached" });
      await node(page, "greet").click();
      await page.getByRole("tab", { name: "Output" }).click();
      await page.getByRole("button", { name: "▶ Run this step" }).click();
      await page.getByTestId("step-test-output").getByText('"text": "bob!"').waitFor();
    }),
  );

  it(
    "editor: dragging an input field into a parameter writes its expression, and the expression's value shows live",
    withSession(async ({ page }) => {
      await putWorkflow("panel-check", YAML);
      await runOnce("ada");
      await page.goto("/workflows/panel-check");
      await node(page, "greet").click();
      await page.getByRole("tab", { name: "Input" }).click();
      const key = page.getByTestId("panel-input").locator('[data-path="steps.fetch.output.id"]');
      await key.waitFor();
      // Drag onto the "if" field: the panel is in tabs here, so open it wide to see both.
      await page.getByRole("button", { name: "Open step panel" }).click();
      const panel = page.getByRole("dialog", { name: "Step panel: greet" });
      const cond = panel.getByRole("region", { name: "Parameters" }).getByLabel("if", { exact: true });
      await panel.getByTestId("panel-input").locator('[data-path="steps.fetch.output.id"]').dragTo(cond);
      await page.waitForFunction(() => [...document.querySelectorAll('[role="dialog"] input[aria-label="if"]')].some((i) => i.value.includes("{{ steps.fetch.output.id }}")));
      // Live value with the run's data.
      await cond.fill("{{ steps.fetch.output.id * 6 }}");
      await panel.getByTestId("expr-preview").getByText("= 42").waitFor();
      await cond.fill("{{ steps.fetch.output.name + '?' }}");
      await panel.getByTestId("expr-preview").getByText('= "ada?"').waitFor();
      await cond.fill("{{ steps.fetch.output.id > 5 }}");
      await panel.getByTestId("expr-preview").getByText("= true").waitFor();
    }),
  );
});
