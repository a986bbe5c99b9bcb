// Shared set-up for the end-to-end tests: one Chromium per test file with a
// fresh profile, a 1280×800 page that records console errors, and helpers
// for the API and screenshots. scripts/e2e.sh sets the environment.
import { chromium } from "playwright-core";
import { mkdtempSync, mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import assert from "node:assert/strict";

export const BASE = process.env.WEFT_URL ?? "http://127.0.0.1:8080";
export const TOKEN = process.env.WEFT_TOKEN ?? "";
const SHOTS = process.env.SCREENSHOTS ?? "";

export async function open() {
  const profile = mkdtempSync(join(tmpdir(), "weft-e2e-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
    viewport: { width: 1280, height: 800 },
    baseURL: BASE,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(15000);
  const errors = [];
  // Responses the test asks for on purpose (a 422 on an invalid save) are allowed.
  const allowed = [];
  page.on("console", (m) => {
    if (m.type() !== "error") return;
    const text = m.text();
    if (allowed.some((re) => re.test(text))) return;
    errors.push(text);
  });
  page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
  return {
    page,
    errors,
    allow: (re) => allowed.push(re),
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
    assertNoConsoleErrors() {
      const seen = errors.splice(0);
      assert.deepEqual(seen, [], `console errors:\n${seen.join("\n")}`);
    },
  };
}

export async function signIn(page) {
  await page.goto("/");
  await page.getByLabel("API token").fill(TOKEN);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("navigation", { name: "Main" }).waitFor();
}

export async function shot(page, name) {
  if (!SHOTS) return;
  mkdirSync(SHOTS, { recursive: true });
  // Let transitions and the canvas' fitView settle.
  await page.waitForTimeout(400);
  await page.screenshot({ path: join(SHOTS, `${name}.png`) });
}

export async function api(method, path, body, contentType = "application/json") {
  const res = await fetch(BASE + path, {
    method,
    headers: { Authorization: `Bearer ${TOKEN}`, ...(body !== undefined ? { "Content-Type": contentType } : {}) },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let data;
  try {
    data = text ? JSON.parse(text) : undefined;
  } catch {
    data = text;
  }
  return { status: res.status, data };
}

/** The YAML tab's text. */
export async function yamlText(page) {
  await page.getByRole("tab", { name: /YAML/ }).click();
  const v = await page.getByTestId("yaml").inputValue();
  await page.getByRole("tab", { name: "Canvas" }).click();
  return v;
}

/** Drag a palette item onto the canvas at (x, y) relative to the canvas. */
export async function dropStep(page, type, x, y) {
  const item = page.locator(`.palette-item[data-type="${type}"]`);
  await item.dragTo(page.getByTestId("canvas"), { targetPosition: { x, y } });
}

/** Drag from a node's bottom handle to another node's top handle. */
export async function connect(page, from, to) {
  const src = page.locator(`.react-flow__node[data-id="${from}"] .react-flow__handle.source`);
  const dst = page.locator(`.react-flow__node[data-id="${to}"] .react-flow__handle.target`);
  const a = await src.boundingBox();
  const b = await dst.boundingBox();
  await page.mouse.move(a.x + a.width / 2, a.y + a.height / 2);
  await page.mouse.down();
  await page.mouse.move((a.x + b.x) / 2, (a.y + b.y) / 2, { steps: 5 });
  await page.mouse.move(b.x + b.width / 2, b.y + b.height / 2, { steps: 5 });
  await page.mouse.up();
}

export async function until(f, what, timeout = 15000) {
  const end = Date.now() + timeout;
  let last;
  while (Date.now() < end) {
    last = await f();
    if (last) return last;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}
