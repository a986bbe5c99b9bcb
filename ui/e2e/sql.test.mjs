// The sql steps in the console: their forms come from the step specs, the
// database credential types from the credential type specs.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { api, dropStep, launch, shot, shutdown, withSession } from "./helpers.mjs";

before(launch);
after(shutdown);

describe("sql steps", () => {
  it(
    "offers sql.query and sql.exec in the palette's Data group with their forms",
    withSession(async ({ page }) => {
      await page.goto("/workflows/new");
      await page.getByLabel("Search steps").fill("sql");
      for (const type of ["sql.query", "sql.exec"]) await page.locator(`.palette-item[data-type="${type}"]`).waitFor();
      await page.getByText("Data", { exact: true }).waitFor();
      await dropStep(page, "sql.query", 260, 200);
      await page.locator('.react-flow__node[data-id="query"]').waitFor();
      const form = page.getByTestId("step-form");
      await form.getByText("SQL query").first().waitFor();
      for (const f of ["credential", "sql", "max_rows", "on_limit"]) await form.locator(`[aria-label="${f}"]`).first().waitFor();
      await shot(page, "editor-sql-query");
    }),
  );

  it(
    "creates a postgres credential whose password is write-only",
    withSession(async ({ page }) => {
      await page.goto("/credentials");
      await page.getByRole("button", { name: "New credential" }).click();
      const form = page.getByRole("form", { name: "Credential" });
      await form.getByLabel("Credential name").fill("shop-db");
      await form.getByLabel("Credential type").selectOption("postgres");
      await form.getByLabel("host", { exact: true }).fill("db.example.com");
      await form.getByLabel("user", { exact: true }).fill("shop");
      await form.getByLabel("password", { exact: true }).fill("pg-pass-e2e-777");
      await form.getByLabel("database", { exact: true }).fill("shop");
      await form.getByLabel("sslmode", { exact: true }).selectOption("require");
      await shot(page, "credentials-postgres-form");
      await form.getByRole("button", { name: "Save credential" }).click();
      const row = page.locator('tr[data-credential="shop-db"]');
      await row.getByText("password ●●●").waitFor();
      await shot(page, "credentials-postgres");
      assert.doesNotMatch(await page.content(), /pg-pass-e2e-777/, "the password is not on the page");
      const got = await api("GET", "/api/v1/credentials/shop-db");
      assert.equal(got.status, 200);
      assert.equal(got.data.type, "postgres");
      assert.deepEqual(got.data.fields, ["database", "host", "password", "sslmode", "user"]);
      assert.doesNotMatch(JSON.stringify(got.data), /pg-pass-e2e-777/, "nor in the API");
    }),
  );
});
