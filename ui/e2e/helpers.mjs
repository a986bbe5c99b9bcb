// Shared set-up for the end-to-end tests: one Chromium per test file, a fresh
// context per test (so no test sees another's state or console errors), and
// helpers for the API and screenshots. scripts/e2e.sh sets the environment.
// No fixed sleeps: wait for what the user would see (locators auto-wait).
import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import assert from "node:assert/strict";

export const BASE = process.env.WEFT_URL ?? "http://127.0.0.1:8080";
export const TOKEN = process.env.WEFT_TOKEN ?? "";
const SHOTS = process.env.SCREENSHOTS ?? "";

let browser;

/** One Chromium per test file; each test gets a context of its own (see session). */
export async function launch() {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
  return browser;
}

export async function shutdown() {
  await browser?.close();
}

/**
 * A fresh browser context (cookies, localStorage) with a 1280×800 page that
 * records console errors and failed API responses. signedIn puts the token
 * in localStorage before the app loads, so a test starts where it means to.
 */
export async function session({ signedIn = true, viewport = { width: 1280, height: 800 }, bypassCSP = false } = {}) {
  // bypassCSP lets a test inject a script tag (axe-core) past the console's script-src 'self'.
  const context = await browser.newContext({ viewport, baseURL: BASE, bypassCSP });
  if (signedIn) await context.addInitScript((t) => localStorage.setItem("weft.token", t), TOKEN);
  const page = await context.newPage();
  page.setDefaultTimeout(15000);
  const errors = [];
  // Responses the test asks for on purpose (a 422 on an invalid save) are allowed.
  const allowed = [];
  page.on("console", (m) => {
    if (m.type() !== "error") return;
    const text = `${m.text()} (${m.location().url || "?"})`;
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
    },
    assertNoConsoleErrors() {
      const seen = errors.splice(0);
      assert.deepEqual(seen, [], `console errors:\n${seen.join("\n")}`);
    },
  };
}

/** Run body with a fresh session; the test fails on any console error it leaves. */
export function withSession(body, opts) {
  return async () => {
    const s = await session(opts);
    try {
      await body(s);
      s.assertNoConsoleErrors();
    } finally {
      await s.close();
    }
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
  // Let the canvas' fitView and CSS transitions settle: two animation frames after fonts.
  await page.evaluate(() => document.fonts.ready.then(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))));
  await page.screenshot({ path: join(SHOTS, `${name}.png`), animations: "disabled" });
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

/**
 * Drag from a node's bottom handle to another node's top handle and wait for
 * the edge. Positions are read at the moment of each move (hover waits for
 * the handle to be stable), so a canvas that re-renders in between does not
 * make the drop miss.
 */
export async function connect(page, from, to) {
  const src = page.locator(`.react-flow__node[data-id="${from}"] .react-flow__handle.source`);
  const dst = page.locator(`.react-flow__node[data-id="${to}"] .react-flow__handle.target`);
  const edge = page.locator(`.react-flow__edge[data-id="${from}->${to}"]`);
  await src.hover();
  await page.mouse.down();
  const b = await dst.boundingBox();
  await page.mouse.move(b.x + b.width / 2, b.y + b.height / 2 + 12, { steps: 8 });
  await dst.hover();
  await page.mouse.up();
  await edge.waitFor({ state: "attached" });
}

export async function until(f, what, timeout = 15000) {
  const end = Date.now() + timeout;
  let last;
  while (Date.now() < end) {
    last = await f();
    if (last) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/**
 * The console re-reads its lists on timers (every 5 s, the navigation's
 * badges every 10 s). A test that calls page.clock.install() before its
 * page loads waits with this for the server to report what it expects, then
 * moves the page's clock past the longest of those intervals, so the page's
 * own timers fire its next re-read now instead of some seconds later.
 */
export async function rereadWhen(page, f, what, timeout = 15000) {
  const got = await until(f, what, timeout);
  await page.clock.fastForward(10_000);
  return got;
}

/** Store a workflow through the API (create or replace). */
export async function putWorkflow(name, yaml) {
  const r = await api("PUT", `/api/v1/workflows/${name}`, yaml, "application/yaml");
  assert.ok(r.status === 200 || r.status === 201, `PUT ${name}: ${r.status} ${JSON.stringify(r.data)}`);
  return r.data;
}

/**
 * Edges drawn behind a node they do not connect: each edge's path is sampled
 * every few pixels in screen coordinates and tested against the node boxes.
 */
export async function edgesBehindNodes(page) {
  return page.evaluate(() => {
    const boxes = [...document.querySelectorAll(".react-flow__node")].map((n) => ({ id: n.getAttribute("data-id"), r: n.getBoundingClientRect() }));
    const out = new Set();
    for (const e of document.querySelectorAll(".react-flow__edge")) {
      const [src, dst] = e.getAttribute("data-id").split("->");
      const path = e.querySelector("path.react-flow__edge-path");
      if (!path) continue;
      const m = path.getScreenCTM();
      const len = path.getTotalLength();
      for (let i = 0; i <= len; i += 3) {
        const p = path.getPointAtLength(i);
        const x = m.a * p.x + m.c * p.y + m.e;
        const y = m.b * p.x + m.d * p.y + m.f;
        for (const b of boxes) {
          if (b.id === src || b.id === dst) continue;
          if (x > b.r.left + 1 && x < b.r.right - 1 && y > b.r.top + 1 && y < b.r.bottom - 1) out.add(`${src}->${dst} behind ${b.id}`);
        }
      }
    }
    return [...out];
  });
}

/** Drop a palette item at a point relative to a node's box (dx from its left, dy from its bottom). */
export async function dropNear(page, type, node, dx, dy) {
  const canvas = await page.getByTestId("canvas").boundingBox();
  const b = await page.locator(`.react-flow__node[data-id="${node}"]`).boundingBox();
  await page.getByLabel("Search steps").fill(type);
  await page.locator(`.palette-item[data-type="${type}"]`).dragTo(page.getByTestId("canvas"), {
    targetPosition: { x: b.x - canvas.x + dx, y: b.y + b.height - canvas.y + dy },
  });
  await page.getByLabel("Search steps").fill("");
}
