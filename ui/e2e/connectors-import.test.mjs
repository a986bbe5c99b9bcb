// Import any OpenAPI service (issue 10 §3): paste a document, preview the
// operations it becomes, save it, and find its steps in the catalog and
// the editor's palette.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { api, launch, shot, shutdown, withSession } from "./helpers.mjs";

before(launch);
after(shutdown);

const doc = await readFile(new URL("../../connectors/apps/openapi/testdata/petstore.yaml", import.meta.url), "utf8");

describe("import openapi", () => {
  it(
    "import: a pasted OpenAPI document previews its operations and warnings, saves, and its steps reach the palette",
    withSession(
      async ({ page, allow }) => {
        allow(/status of 422/); // the Swagger 2.0 document is refused on purpose
        await page.goto("/");
        await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Import API" }).click();
        await page.getByRole("heading", { name: "Import OpenAPI" }).waitFor();

        // A bad document gets the server's error, with the fix.
        await page.getByLabel("Connector name").fill("pets_ui");
        await page.getByLabel("OpenAPI document", { exact: true }).fill('{"swagger": "2.0"}');
        await page.getByRole("button", { name: "Preview" }).click();
        await page.getByRole("alert").getByText(/Swagger 2\.0 document: convert it to OpenAPI 3/).waitFor();

        await page.getByLabel("OpenAPI document", { exact: true }).fill(doc);
        await page.getByRole("button", { name: "Preview" }).click();
        const ops = page.getByRole("table", { name: "Operations" });
        for (const t of ["pets_ui.list_pets", "pets_ui.create_pet", "pets_ui.get_pets_by_pet_id", "pets_ui.delete_pet"]) {
          await ops.getByRole("cell", { name: t, exact: true }).waitFor();
        }
        await page.getByText("4 operations · connections of kind bearer").waitFor();
        await page.getByText("https://eu.petstore.example/v1", { exact: true }).waitFor();
        const before = await api("GET", "/api/v1/steps");
        assert.ok(!before.data.items.some((s) => s.type === "pets_ui.create_pet"), "a preview registers nothing");
        await shot(page, "import-openapi-1366");

        await page.getByRole("button", { name: "Save connector" }).click();
        await page.getByRole("status").getByText(/Saved pets_ui\. saved and registered on this process/).waitFor();
        const after = await api("GET", "/api/v1/steps");
        const created = after.data.items.find((s) => s.type === "pets_ui.create_pet");
        assert.ok(created, "pets_ui.create_pet is in the catalog");
        assert.deepEqual(created.schema.required?.includes("name"), true, JSON.stringify(created.schema));

        // The palette of a new workflow offers it.
        await page.goto("/workflows/new");
        await page.locator('.palette-item[data-type="pets_ui.create_pet"]').waitFor();
      },
      { viewport: { width: 1366, height: 768 } },
    ),
  );
});
