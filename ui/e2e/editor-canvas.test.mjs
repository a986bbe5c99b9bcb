// The editor's canvas tells the truth about order (issue 15 §1.1): a dropped
// step waits for the node it is dropped below or the selected step, no edge
// passes behind a node, and dependency problems show at once.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { dropNear, edgesBehindNodes, launch, putWorkflow, shot, shutdown, withSession, yamlText } from "./helpers.mjs";

before(launch);
after(shutdown);

const node = (page, id) => page.locator(`.react-flow__node[data-id="${id}"]`);

describe("editor canvas", () => {
  it(
    "editor: a dropped step waits for the node it is dropped below, else the selected step; edges never pass behind nodes",
    withSession(
      async ({ page }) => {
        await page.goto("/workflows/new");
        await page.getByTestId("workflow-form").getByLabel("name", { exact: true }).fill("order-check");
        // The steps: HTTP request under the trigger, Transform under it, then Wait beside Transform with request selected.
        await dropNear(page, "http.request", "$trigger", 0, 90);
        await node(page, "request").waitFor();
        await dropNear(page, "transform", "request", 0, 90);
        await node(page, "transform").waitFor();
        await node(page, "request").click();
        await dropNear(page, "wait", "request", 260, 90);
        await node(page, "wait").waitFor();

        const text = await yamlText(page);
        assert.match(text, /  - id: request\n    uses: http\.request\n/);
        assert.doesNotMatch(text, /  - id: request\n[^-]*needs:/, "request is the first step: it runs at the start");
        assert.doesNotMatch(text, /  - id: transform\n    uses: transform\n(    [^\n]*\n)*    needs:/, "transform follows request: implicit, no needs");
        assert.match(text, /  - id: wait\n    uses: wait\n(    [^\n]*\n)*    needs: \[request\]/, `wait waits for the selected step:\n${text}`);
        await page.locator('.react-flow__edge[data-id="request->transform"]').waitFor();
        await page.locator('.react-flow__edge[data-id="request->wait"]').waitFor();
        assert.equal(await page.locator('.react-flow__edge[data-id="$trigger->transform"]').count(), 0);
        assert.equal(await page.locator('.react-flow__edge[data-id="$trigger->wait"]').count(), 0);
        assert.deepEqual(await edgesBehindNodes(page), []);
        await shot(page, "editor-drop-order-1366");
      },
      { viewport: { width: 1366, height: 768 } },
    ),
  );

  it(
    "editor: an edge that skips a node is routed around it",
    withSession(async ({ page }) => {
      // Three nodes stacked in one column; c needs a, so a straight line would run behind b.
      await putWorkflow(
        "route-around",
        `name: route-around
steps:
  - id: a
    uses: transform
    with: { x: 1 }
  - id: b
    uses: transform
    with: { x: 2 }
  - id: c
    uses: transform
    needs: [a, b]
    with: { x: 3 }
ui:
  positions:
    $trigger: { x: 0, y: 0 }
    a: { x: 0, y: 120 }
    b: { x: 0, y: 240 }
    c: { x: 0, y: 360 }
`,
      );
      await page.goto("/workflows/route-around");
      await page.locator('.react-flow__edge[data-id="a->c"]').waitFor({ state: "attached" });
      assert.deepEqual(await edgesBehindNodes(page), []);
      await shot(page, "editor-routed-edges");
    }),
  );

  it(
    "editor: a dependency problem shows on the node at once, before saving",
    withSession(async ({ page }) => {
      await putWorkflow(
        "dep-problem",
        `name: dep-problem
steps:
  - id: first
    uses: transform
    with: { x: 1 }
  - id: side
    uses: transform
    needs: []
    with: { y: 2 }
`,
      );
      await page.goto("/workflows/dep-problem");
      await node(page, "side").click();
      const ta = page.getByTestId("step-form").locator('textarea[aria-label="with YAML"]');
      await ta.fill('y: "{{ steps.first.output.x }}"');
      await ta.blur();
      const n = page.locator('.wf-node[data-step="side"]');
      await n.locator(".wf-node-problem").getByText("reads steps.first but does not wait for it").waitFor();
      assert.match(await n.getAttribute("class"), /has-problem/);
      // Making it wait (keyboard-friendly: the Depends on list) clears it.
      await page.getByRole("group", { name: "Depends on" }).getByLabel("needs first").check();
      await n.locator(".wf-node-problem").waitFor({ state: "detached" });
    }),
  );
});
