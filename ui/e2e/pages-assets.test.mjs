// Loading the console (issue 15, defect 13): the bundle goes out gzipped
// with long-lived immutable caching, and the step catalog carries an ETag
// so opening the editor again is a 304, not 72 KB.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { BASE, launch, shutdown, TOKEN, withSession } from "./helpers.mjs";

before(launch);
after(shutdown);

describe("assets", () => {
  it(
    "serves the bundle compressed and cached, and the step catalog with an ETag",
    withSession(async ({ page }) => {
      const seen = [];
      page.on("response", (r) => {
        if (/\/assets\/.*\.js$/.test(r.url())) seen.push(r);
      });
      await page.goto("/workflows/new");
      await page.getByTestId("canvas").waitFor();
      assert.ok(seen.length > 0, "the page loaded its scripts");
      for (const r of seen) {
        const h = await r.allHeaders();
        assert.equal(h["content-encoding"], "gzip", `${r.url()} is compressed`);
        assert.equal(h["cache-control"], "public, max-age=31536000, immutable", r.url());
      }

      // The catalog: an ETag, and the same ETag back is a 304 with no body.
      const first = await fetch(`${BASE}/api/v1/steps`, { headers: { Authorization: `Bearer ${TOKEN}` } });
      const etag = first.headers.get("etag");
      assert.equal(first.status, 200);
      assert.ok(etag, "the catalog has an ETag");
      assert.ok((await first.json()).items.length > 5);
      const again = await fetch(`${BASE}/api/v1/steps`, { headers: { Authorization: `Bearer ${TOKEN}`, "If-None-Match": etag } });
      assert.equal(again.status, 304);
      assert.equal((await again.text()).length, 0);
    }),
  );
});
