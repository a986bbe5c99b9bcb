// The template gallery (issue 15 §2): every example of examples/, shipped
// in the binary, one click to import into the editor, unsaved, with the
// name made unique when a workflow already has it.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { api, launch, putWorkflow, shot, shutdown, withSession, yamlText } from "./helpers.mjs";

before(launch);
after(shutdown);

describe("templates", () => {
  it(
    "templates: the examples are listed and Import opens the editor with the YAML, unsaved, under a free name",
    withSession(
      async ({ page }) => {
        // A workflow that already has the echo example's name.
        await putWorkflow("echo", "name: echo\nsteps:\n  - id: a\n    uses: transform\n    with: { x: 1 }\n");
        const listed = await api("GET", "/api/v1/templates");
        assert.ok(listed.data.items.length >= 2, JSON.stringify(listed.data));
        await page.goto("/");
        await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Templates" }).click();
        for (const t of listed.data.items) {
          const card = page.locator(`[data-template="${t.name}"]`);
          await card.getByText(t.description).waitFor();
        }
        await shot(page, "templates-1366");
        await page.getByRole("button", { name: "Import echo" }).click();
        await page.waitForURL(/\/workflows\/new/);
        await page.locator('.react-flow__node[data-id="reply"]').waitFor();
        const yaml = await yamlText(page);
        assert.match(yaml, /^name: echo-2$/m);
        assert.match(yaml, /uses: respond/);
        assert.equal((await api("GET", "/api/v1/workflows/echo-2")).status, 404, "nothing is saved by an import");
        const echo = await api("GET", "/api/v1/workflows/echo");
        assert.match(echo.data.source, /uses: transform/, "the existing echo is untouched");
      },
      { viewport: { width: 1366, height: 768 } },
    ),
  );
});
