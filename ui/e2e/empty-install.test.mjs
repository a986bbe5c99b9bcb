// Runs alone (scripts/e2e.sh): it removes every workflow to see what a new
// user sees, which would pull the workflows from under a test running beside it.
// The sign-in page and the first screen of an empty install.
import { after, before, describe, it } from "node:test";
import { api, launch, shot, shutdown, signIn, withSession } from "./helpers.mjs";

before(launch);
after(shutdown);

describe("empty install", () => {
  it(
    "signs in and teaches on an empty install",
    withSession(
      async ({ page, allow }) => {
        // The server installs an example on first start; remove it to see what a new user sees.
        for (const w of (await api("GET", "/api/v1/workflows?limit=500")).data.items) await api("DELETE", `/api/v1/workflows/${w.name}`);
        await page.goto("/");
        await page.getByLabel("API token").waitFor();
        await shot(page, "sign-in");
        // A wrong token is refused with a hint.
        allow(/status of 401/);
        await page.getByLabel("API token").fill("wrong");
        await page.getByRole("button", { name: "Sign in" }).click();
        await page.getByText("That token was not accepted").waitFor();
        await signIn(page);
        await page.getByRole("heading", { name: "Create your first workflow" }).waitFor();
        await shot(page, "workflows-empty");
      },
      { signedIn: false },
    ),
  );
});
