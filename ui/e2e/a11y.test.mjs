// Accessibility (issue 15, acceptance): axe-core on every page of the
// console at 1366×768; any violation of impact serious or critical fails
// the test and is printed with the elements it found.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { api, launch, putWorkflow, session, shutdown, until, withSession } from "./helpers.mjs";

before(launch);
after(shutdown);

const AXE = createRequire(import.meta.url).resolve("axe-core/axe.min.js");
const VIEW = { width: 1366, height: 768 };

const YAML = `name: a11y-check
on:
  webhook: { path: a11y-check }
steps:
  - id: fetch
    uses: transform
    with: { id: 7, name: "{{ trigger.body.name }}" }
  - id: check
    needs: [fetch]
    uses: approval
    with: { message: "Ship {{ steps.fetch.output.name }}?" }
`;

/** Serious and critical violations on the page, as printable lines. */
async function audit(page, name) {
  if (!(await page.evaluate(() => "axe" in window))) await page.addScriptTag({ path: AXE });
  const res = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ["violations"] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map((n) => `${n.target.join(" ")} — ${n.failureSummary?.split("\n").slice(1, 3).join(" ")}`) }));
  });
  return res
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${name}: [${v.impact}] ${v.id}: ${v.help}\n    ${v.nodes.join("\n    ")}`);
}

describe("accessibility", () => {
  it(
    "a11y: no serious or critical axe violation on any page",
    withSession(
      async ({ page }) => {
        await putWorkflow("a11y-check", YAML);
        // A failed execution, so the dashboard draws its top failing workflows.
        await putWorkflow("a11y-fail", 'name: a11y-fail\nsteps:\n  - id: boom\n    uses: fail\n    with: { message: "for the dashboard" }\n');
        const failed = await api("POST", "/api/v1/workflows/a11y-fail/executions?wait=10s", {});
        assert.equal(failed.data.status, "failed", JSON.stringify(failed.data));
        const r = await api("POST", "/api/v1/workflows/a11y-check/executions", { body: { name: "ada" } });
        const id = r.data.id;
        // Until the approval waits, so the inbox has a card.
        await until(async () => (await api("GET", `/api/v1/executions/${id}`)).data.status === "waiting", "the execution to wait at its approval");
        const pages = [
          ["dashboard", "/dashboard", () => page.getByRole("list", { name: "Failures by workflow" }).getByRole("listitem").first().waitFor()],
          ["workflows", "/", () => page.locator('[data-workflow="a11y-check"], tr:has-text("a11y-check")').first().waitFor()],
          ["editor", "/workflows/a11y-check", async () => {
            await page.locator('.react-flow__node[data-id="fetch"]').click();
            await page.getByRole("complementary", { name: "Inspector" }).waitFor();
          }],
          ["executions", "/executions", () => page.locator(`tr[data-execution="${id}"]`).waitFor()],
          ["execution detail", `/executions/${id}`, () => page.locator('.tl-row[data-step="fetch"]').waitFor()],
          ["credentials", "/credentials", () => page.getByRole("heading", { level: 1, name: "Credentials" }).waitFor()],
          ["webhooks", "/webhooks", () => page.getByRole("heading", { level: 1 }).waitFor()],
          ["approvals", "/approvals", () => page.getByText("Ship ada?").first().waitFor()],
          ["usage", "/usage", () => page.getByRole("heading", { level: 1 }).waitFor()],
          ["templates", "/templates", () => page.locator("[data-template]").first().waitFor()],
        ];
        const found = [];
        for (const [name, path, ready] of pages) {
          await page.goto(path);
          await ready();
          found.push(...(await audit(page, name)));
        }
        const out = await session({ signedIn: false, viewport: VIEW, bypassCSP: true });
        try {
          await out.page.goto("/");
          await out.page.getByLabel("API token").waitFor();
          found.push(...(await audit(out.page, "sign-in")));
        } finally {
          await out.close();
        }
        await api("POST", "/api/v1/executions/cancel", { ids: [id] });
        if (found.length) console.log(found.join("\n"));
        assert.deepEqual(found, [], `axe found ${found.length} serious or critical violations`);
      },
      { viewport: VIEW, bypassCSP: true },
    ),
  );
});
