// Dark mode (issue 15): with the browser set to prefers-color-scheme: dark,
// every page of the console draws dark surfaces — the main area, cards,
// panels, tables, dialogs and fields — and axe-core finds no serious or
// critical colour-contrast violation. Before, styles.css redefined the colour
// variables only for the editor while pages kept hard-coded white panels.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { api, launch, putWorkflow, shot, shutdown, until, withSession } from "./helpers.mjs";

before(launch);
after(shutdown);

const AXE = createRequire(import.meta.url).resolve("axe-core/axe.min.js");
const VIEW = { width: 1366, height: 768 };
// Relative luminance (WCAG) above this is a light surface; the dark panel
// #181c27 is about 0.012, a light grey #f0f1f5 about 0.88.
const MAX_LUMINANCE = 0.2;

const YAML = `name: dark-check
on:
  webhook: { path: dark-check }
steps:
  - id: fetch
    uses: transform
    with: { id: 7, name: "{{ trigger.body.name }}" }
  - id: check
    needs: [fetch]
    uses: approval
    with: { message: "Ship {{ steps.fetch.output.name }}?" }
`;

// Surfaces checked whatever their size; any other element larger than
// MIN_AREA px² with an opaque background is checked too, so a panel with a
// class this list does not know still fails when it is light.
const SURFACES = [
  ".main", ".card", ".template-card", ".table", ".table th", ".table td", ".modal", ".inspector",
  ".json", "pre", "input", "select", "textarea", ".btn:not(.primary)", ".badge", ".error-box",
  ".ai-stat", ".decision", ".tabs", ".segmented", ".chip", ".url", ".yaml-view", ".gutter",
  ".palette-item", ".wf-node", ".runbar", ".problems", ".http-status", ".attempt-error", "[role=dialog]",
].join(", ");
const MIN_AREA = 1500;
// Data marks of the dashboard's charts (bars, latency bars, token sparks) are accent
// colours sized by the data, not surfaces: a busy instance draws them large.
const DATA_MARKS = "[class*='bar-fill'], [class^='lat-'], [class*=' lat-'], [class^='spark-'], [class*=' spark-'], svg *";

/** Visible elements on the page whose own background is light, as lines. */
async function lightSurfaces(page, name) {
  const found = await page.evaluate(
    ({ selectors, minArea, max, dataMarks }) => {
      const lum = (rgb) => {
        const [r, g, b] = rgb.map((c) => {
          c /= 255;
          return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
        });
        return 0.2126 * r + 0.7152 * g + 0.0722 * b;
      };
      const listed = new Set(document.querySelectorAll(selectors));
      const marks = new Set(document.querySelectorAll(dataMarks));
      const out = [];
      for (const el of document.querySelectorAll("body *")) {
        const box = el.getBoundingClientRect();
        if (box.width === 0 || box.height === 0) continue;
        const cs = getComputedStyle(el);
        if (cs.visibility === "hidden" || cs.display === "none") continue;
        if (!listed.has(el) && (marks.has(el) || box.width * box.height < minArea)) continue;
        const m = cs.backgroundColor.match(/rgba?\(([^)]+)\)/);
        if (!m) continue;
        const parts = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
        const alpha = parts.length > 3 ? parts[3] : 1;
        if (alpha < 0.5) continue;
        const l = lum(parts.slice(0, 3));
        if (l > max) {
          const id = el.tagName.toLowerCase() + (el.className && typeof el.className === "string" ? "." + el.className.trim().split(/\s+/).join(".") : "");
          out.push(`${id} ${cs.backgroundColor} (luminance ${l.toFixed(2)})`);
        }
      }
      return [...new Set(out)];
    },
    { selectors: SURFACES, minArea: MIN_AREA, max: MAX_LUMINANCE, dataMarks: DATA_MARKS },
  );
  return found.map((f) => `${name}: light surface ${f}`);
}

/** The main content area itself must be dark (and present). */
async function mainIsDark(page, name) {
  const bg = await page.evaluate(() => {
    const m = document.querySelector("main");
    if (!m) return null;
    // The main area is transparent over the body: walk up to the first opaque background.
    for (let el = m; el; el = el.parentElement) {
      const c = getComputedStyle(el).backgroundColor;
      if (!/rgba\(.*,\s*0\)$/.test(c) && c !== "transparent") return c;
    }
    return getComputedStyle(document.documentElement).backgroundColor;
  });
  assert.ok(bg, `${name}: no <main> element`);
  const [r, g, b] = bg.match(/\d+(\.\d+)?/g).slice(0, 3).map(Number);
  assert.ok(r + g + b < 3 * 60, `${name}: main area background ${bg} is not dark`);
}

/** Serious and critical colour-contrast violations, as lines. */
async function contrast(page, name) {
  if (!(await page.evaluate(() => "axe" in window))) await page.addScriptTag({ path: AXE });
  const res = await page.evaluate(async () => {
    const r = await window.axe.run(document, { runOnly: { type: "rule", values: ["color-contrast"] }, resultTypes: ["violations"] });
    return r.violations.map((v) => ({ impact: v.impact, nodes: v.nodes.slice(0, 8).map((n) => `${n.target.join(" ")} — ${n.failureSummary?.split("\n").slice(1, 3).join(" ")}`) }));
  });
  return res.filter((v) => v.impact === "serious" || v.impact === "critical").map((v) => `${name}: [${v.impact}] color-contrast\n    ${v.nodes.join("\n    ")}`);
}

describe("dark mode", () => {
  it(
    "dark mode: every page draws dark surfaces with readable contrast",
    withSession(
      async ({ page }) => {
        await page.emulateMedia({ colorScheme: "dark" });
        await putWorkflow("dark-check", YAML);
        const r = await api("POST", "/api/v1/workflows/dark-check/executions", { body: { name: "ada" } });
        const id = r.data.id;
        await until(async () => (await api("GET", `/api/v1/executions/${id}`)).data.status === "waiting", "the execution to wait at its approval");
        const pages = [
          ["workflows", "/", () => page.locator('[data-workflow="dark-check"], tr:has-text("dark-check")').first().waitFor()],
          ["editor", "/workflows/dark-check", async () => {
            await page.locator('.react-flow__node[data-id="fetch"]').click();
            await page.getByRole("complementary", { name: "Inspector" }).waitFor();
          }],
          ["executions", "/executions", () => page.locator(`tr[data-execution="${id}"]`).waitFor()],
          ["execution detail", `/executions/${id}`, async () => {
            await page.locator('.tl-row[data-step="fetch"]').waitFor();
            await shot(page, "dark-execution-1366");
          }],
          ["credentials", "/credentials", () => page.getByRole("heading", { level: 1, name: "Credentials" }).waitFor()],
          ["webhooks", "/webhooks", () => page.getByRole("heading", { level: 1 }).waitFor()],
          ["approvals", "/approvals", () => page.getByText("Ship ada?").first().waitFor()],
          ["triggers", "/triggers", () => page.getByRole("heading", { level: 1 }).waitFor()],
          ["templates", "/templates", () => page.locator("[data-template]").first().waitFor()],
          ["dashboard", "/dashboard", () => page.getByRole("heading", { level: 1 }).waitFor()],
        ];
        const found = [];
        for (const [name, path, ready] of pages) {
          await page.goto(path);
          await ready();
          assert.equal(await page.evaluate(() => matchMedia("(prefers-color-scheme: dark)").matches), true);
          await mainIsDark(page, name);
          found.push(...(await lightSurfaces(page, name)));
          found.push(...(await contrast(page, name)));
        }
        await api("POST", "/api/v1/executions/cancel", { ids: [id] });
        if (found.length) console.log(found.join("\n"));
        assert.deepEqual(found, [], `dark mode: ${found.length} light surfaces or contrast failures`);
      },
      { viewport: VIEW, bypassCSP: true },
    ),
  );
});
