// The editor keeps work and takes the keyboard (issue 15 §1.3, 1.5, 1.7,
// 1.11, 1.14): unsaved edits are not lost to an in-app link, steps travel as
// YAML on the system clipboard, control flow is findable, nodes take a
// visible focus and connect without a mouse, the test run dialog is modal.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { BASE, launch, putWorkflow, shutdown, withSession, yamlText } from "./helpers.mjs";

before(launch);
after(shutdown);

const node = (page, id) => page.locator(`.react-flow__node[data-id="${id}"]`);
const TWO = (name) => `name: ${name}
steps:
  - id: a
    uses: transform
    with: { x: 1 }
  - id: b
    uses: transform
    needs: []
    with: { y: "{{ trigger.body }}" }
`;

describe("editor flow", () => {
  it(
    "editor: leaving with unsaved edits through a link or Back asks first",
    withSession(async ({ page }) => {
      await putWorkflow("nav-guard", TWO("nav-guard"));
      await page.goto("/executions");
      await page.goto("/workflows/nav-guard");
      await page.getByTestId("workflow-form").getByLabel("description").fill("changed");
      const asked = [];
      page.on("dialog", (d) => {
        asked.push(d.message());
        void (asked.length === 1 ? d.dismiss() : d.accept());
      });
      await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Executions" }).click();
      await page.getByText("unsaved").waitFor();
      assert.equal(asked.length, 1, "a confirm was shown");
      assert.match(asked[0], /nav-guard.*unsaved changes/);
      assert.match(page.url(), /\/workflows\/nav-guard$/);
      assert.equal(await page.getByTestId("workflow-form").getByLabel("description").inputValue(), "changed");
      // Back, accepted this time: the app leaves.
      await page.goBack();
      await page.waitForURL("**/executions");
      assert.equal(asked.length, 2);
    }),
  );

  it(
    "editor: copy puts steps on the system clipboard as YAML; paste wires them after the selected step, in another workflow too",
    withSession(async ({ page }) => {
      await page.context().grantPermissions(["clipboard-read", "clipboard-write"], { origin: BASE });
      await putWorkflow("clip-a", TWO("clip-a"));
      await putWorkflow(
        "clip-b",
        `name: clip-b
steps:
  - id: first
    uses: transform
    with: { z: 1 }
`,
      );
      await page.goto("/workflows/clip-a");
      await node(page, "b").click();
      await page.keyboard.press("Control+c");
      const copied = await page.evaluate(() => navigator.clipboard.readText());
      assert.match(copied, /^steps:\n  - id: b\n    uses: transform\n/, copied);
      // Paste after a: a new step that waits for a, below it, on no other node.
      await node(page, "a").click();
      await page.keyboard.press("Control+v");
      await node(page, "b_2").waitFor();
      let text = await yamlText(page);
      assert.match(text, /  - id: b_2\n    uses: transform\n(    [^\n]*\n)*/);
      assert.match(text, /  - id: b_2\n(    [^\n]*\n)*    needs: \[a\]/, `b_2 waits for a, the selected step:\n${text}`);
      await page.locator('.react-flow__edge[data-id="a->b_2"]').waitFor({ state: "attached" });
      const boxes = await page.locator(".react-flow__node").evaluateAll((ns) => ns.map((n) => ({ id: n.dataset.id, r: n.getBoundingClientRect().toJSON() })));
      const p = boxes.find((x) => x.id === "b_2").r;
      for (const o of boxes)
        if (o.id !== "b_2") assert.ok(p.right <= o.r.left || p.left >= o.r.right || p.bottom <= o.r.top || p.top >= o.r.bottom, `b_2 overlaps ${o.id}`);
      await page.keyboard.press("Control+s");
      await page.getByText("Saved clip-a.").waitFor();

      // Another workflow: the same clipboard.
      await page.goto("/workflows/clip-b");
      await node(page, "first").click();
      await page.keyboard.press("Control+v");
      await node(page, "b").waitFor();
      text = await yamlText(page);
      assert.match(text, /  - id: b\n    uses: transform\n/);
      await page.locator('.react-flow__edge[data-id="first->b"]').waitFor({ state: "attached" });
      // And YAML written by hand (a file, a chat message).
      await page.evaluate(() => navigator.clipboard.writeText("- id: hand\n  uses: wait\n  with: { for: 1s }\n"));
      await node(page, "b").click();
      await page.keyboard.press("Control+v");
      await node(page, "hand").waitFor();
      await page.locator('.react-flow__edge[data-id="b->hand"]').waitFor({ state: "attached" });
    }),
  );

  it(
    "editor: the server's error banner goes once the document is fixed",
    withSession(async ({ page, allow }) => {
      allow(/status of 422/);
      await putWorkflow("stale-banner", TWO("stale-banner"));
      await page.goto("/workflows/stale-banner");
      await page.getByRole("tab", { name: /YAML/ }).click();
      const ta = page.getByTestId("yaml");
      const good = await ta.inputValue();
      await ta.fill(good.replace("needs: []", "needs: [ghost]"));
      await page.getByRole("button", { name: "Save" }).click();
      const banner = page.locator(".error-box").getByText(/The server found/);
      await banner.waitFor();
      await ta.fill(good.replace("with: { x: 1 }", "with: { x: 2 }"));
      await banner.waitFor({ state: "detached" });
    }),
  );

  it(
    "editor: searching if, condition, switch, loop or merge explains Weft's control flow; an empty search says so; branch edges show the condition",
    withSession(async ({ page }) => {
      await putWorkflow(
        "branches",
        `name: branches
steps:
  - id: score
    uses: transform
    with: { v: 1 }
  - id: alert
    uses: transform
    if: "{{ steps.score.output.v < 0 }}"
    with: { a: 1 }
`,
      );
      await page.goto("/workflows/branches");
      const search = page.getByLabel("Search steps");
      for (const [q, title] of [
        ["if", "If / condition"],
        ["condition", "If / condition"],
        ["switch", "Switch / branches"],
        ["loop", "Loop / for each"],
        ["merge", "Merge / join"],
      ]) {
        await search.fill(q);
        await page.getByRole("region", { name: "Control flow" }).getByText(title).waitFor();
      }
      await search.fill("zzqx");
      await page.getByTestId("palette-empty").getByText("No step matches “zzqx”").waitFor();
      await page.locator('.react-flow__edge[data-id="score->alert"]').getByText("if steps.score.output.v < 0").waitFor();
    }),
  );

  it(
    "editor: nodes show a focus ring, connect from the keyboard, and the test run dialog is modal",
    withSession(async ({ page }) => {
      await putWorkflow("keys", TWO("keys"));
      await page.goto("/workflows/keys");
      await node(page, "a").waitFor();
      // Tab from the toolbar into the canvas until a node has focus (past the
      // palette, which lists every app operation).
      await page.getByRole("button", { name: "Auto-layout" }).focus();
      let focused = "";
      for (let i = 0; i < 400 && !focused; i++) {
        await page.keyboard.press("Tab");
        focused = await page.evaluate(() => (document.activeElement?.classList.contains("react-flow__node") ? document.activeElement.getAttribute("data-id") : ""));
      }
      assert.ok(focused, "a node takes focus from the keyboard");
      const ring = await page.evaluate(() => {
        const s = getComputedStyle(document.activeElement.querySelector(".wf-node"));
        return { style: s.outlineStyle, width: parseFloat(s.outlineWidth) };
      });
      assert.notEqual(ring.style, "none", "a visible focus ring");
      assert.ok(ring.width >= 2);
      // Tab on to step b and select it with Enter.
      for (let i = 0; i < 10 && focused !== "b"; i++) {
        await page.keyboard.press("Tab");
        focused = await page.evaluate(() => document.activeElement?.getAttribute("data-id") ?? "");
      }
      assert.equal(focused, "b");
      await page.keyboard.press("Enter");
      const dep = page.getByRole("group", { name: "Depends on" }).getByLabel("needs a");
      await dep.focus();
      await page.keyboard.press("Space");
      await page.locator('.react-flow__edge[data-id="a->b"]').waitFor({ state: "attached" });

      // The test run dialog: modal, keeps the focus, Escape closes it and focus goes back.
      const opener = page.getByRole("button", { name: "Test run" });
      await opener.click();
      const dialog = page.getByRole("dialog", { name: "Test run" });
      await dialog.waitFor();
      assert.equal(await dialog.getAttribute("aria-modal"), "true");
      for (let i = 0; i < 8; i++) {
        await page.keyboard.press("Tab");
        assert.ok(await dialog.evaluate((d) => d.contains(document.activeElement)), `focus left the dialog after ${i + 1} Tab(s)`);
      }
      await page.keyboard.press("Escape");
      await dialog.waitFor({ state: "detached" });
      assert.equal(await opener.evaluate((b) => b === document.activeElement), true, "focus returns to Test run");
    }),
  );

  it(
    "editor: the inspector starts at the top for each node, auto-layout fits the view, the webhook path follows the name, a YAML error keeps the name, dark mode",
    withSession(
      async ({ page }) => {
        const steps = Array.from({ length: 14 }, (_, i) => `  - id: s${i}\n    uses: transform\n    with: { v: ${i} }\n`).join("");
        const pos = Array.from({ length: 14 }, (_, i) => `    s${i}: { x: ${(i % 3) * 500}, y: ${i * 160} }\n`).join("");
        await putWorkflow("tidy", `name: tidy\nsteps:\n${steps}ui:\n  positions:\n    $trigger: { x: 0, y: -300 }\n${pos}`);
        await page.goto("/workflows/tidy");
        await node(page, "s0").click();
        const insp = page.getByRole("complementary", { name: "Inspector" });
        await insp.evaluate((el) => (el.scrollTop = el.scrollHeight));
        assert.ok((await insp.evaluate((el) => el.scrollTop)) > 0);
        // Zoomed in, the laid-out graph is taller than the canvas unless the view is fitted.
        for (let i = 0; i < 4; i++) await page.getByTestId("canvas").getByRole("button", { name: /zoom in/i }).click();
        await page.getByRole("button", { name: "Auto-layout" }).click();
        // Every node inside the canvas after auto-layout.
        await page.waitForFunction(() => {
          const c = document.querySelector('[data-testid="canvas"]').getBoundingClientRect();
          return [...document.querySelectorAll(".react-flow__node")].every((n) => {
            const r = n.getBoundingClientRect();
            return r.left >= c.left - 1 && r.right <= c.right + 1 && r.top >= c.top - 1 && r.bottom <= c.bottom + 1;
          });
        });
        await node(page, "s5").click();
        assert.equal(await page.getByRole("complementary", { name: "Inspector" }).evaluate((el) => el.scrollTop), 0);

        // A YAML error keeps the header.
        await page.getByRole("tab", { name: /YAML/ }).click();
        const ta = page.getByTestId("yaml");
        await ta.fill((await ta.inputValue()).replace("name: tidy", "name tidy"));
        assert.equal(await page.getByTestId("workflow-name").textContent(), "tidy");

        // A new workflow's webhook path follows its name until it is changed by hand.
        await page.goto("/workflows/new");
        const wf = page.getByTestId("workflow-form");
        await wf.getByLabel("name", { exact: true }).fill("renamed-flow");
        assert.equal(await wf.getByLabel("path", { exact: true }).inputValue(), "renamed-flow");
        await wf.getByLabel("path", { exact: true }).fill("custom");
        await wf.getByLabel("name", { exact: true }).fill("renamed-again");
        assert.equal(await wf.getByLabel("path", { exact: true }).inputValue(), "custom");

        // Dark mode follows the system.
        await page.emulateMedia({ colorScheme: "dark" });
        const bg = await page.evaluate(() => getComputedStyle(document.querySelector(".inspector")).backgroundColor);
        const [r, g, b] = bg.match(/\d+/g).map(Number);
        assert.ok(r + g + b < 200, `dark panels (${bg})`);
      },
      { viewport: { width: 1366, height: 768 } },
    ),
  );
});
