// Users, roles, API tokens, the audit trail and SSO in the console. The
// server enforces every permission; these tests check the console offers
// only what the role may do, and that the server refuses the rest.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer } from "node:net";
import { api, BASE, launch, putWorkflow, session, shot, shutdown, until, withSession } from "./helpers.mjs";
import { startIdP } from "./oidcfake.mjs";

const WF = "identity-check";
const wfYAML = `name: ${WF}\nsteps:\n  - id: a\n    uses: transform\n    with: { value: 1 }\n`;

async function signInWithPassword(page, email, password) {
  await page.goto("/");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.getByTestId("whoami").waitFor();
}

describe("identity", () => {
  before(async () => {
    await launch();
    await putWorkflow(WF, wfYAML);
    for (const [email, role] of [
      ["viewer@example.com", "viewer"],
      ["editor@example.com", "editor"],
    ]) {
      const r = await api("POST", "/api/v1/users", { email, role, password: "a long password 1" });
      assert.ok(r.status === 201 || r.status === 409, `creating ${email}: ${r.status} ${JSON.stringify(r.data)}`);
    }
  });
  after(shutdown);

  it(
    "a viewer signs in with a password, sees no edit controls, and the server refuses an edit",
    withSession(
      async ({ page, allow }) => {
        await page.goto("/");
        await shot(page, "sign-in");
        await signInWithPassword(page, "viewer@example.com", "a long password 1");
        await page.getByTestId("whoami").getByText("viewer@example.com · viewer").waitFor();
        await page.getByRole("heading", { name: "Workflows" }).waitFor();
        assert.equal(await page.getByRole("link", { name: "New workflow" }).count(), 0, "a viewer is offered New workflow");
        for (const hidden of ["Users", "Audit"]) assert.equal(await page.getByRole("link", { name: hidden, exact: true }).count(), 0, `a viewer sees ${hidden}`);
        await page.goto(`/workflows/${WF}`);
        const save = page.getByRole("button", { name: "Save", exact: true });
        await save.waitFor();
        assert.ok(await save.isDisabled(), "Save is enabled for a viewer");
        // The console hides it; the server enforces it, CSRF token and all.
        allow(/status of 403/);
        const status = await page.evaluate(async ([name, yaml]) => {
          const me = await (await fetch("/api/v1/session")).json();
          const res = await fetch(`/api/v1/workflows/${name}`, { method: "PUT", headers: { "Content-Type": "application/yaml", "X-CSRF-Token": me.csrf_token }, body: yaml });
          return res.status;
        }, [WF, wfYAML + "description: changed by a viewer\n"]);
        assert.equal(status, 403);
      },
      { signedIn: false },
    ),
  );

  it(
    "an editor makes an API token, sees it once, uses it and revokes it",
    withSession(
      async ({ page }) => {
        await signInWithPassword(page, "editor@example.com", "a long password 1");
        await page.getByRole("link", { name: "Tokens", exact: true }).click();
        const form = page.getByRole("form", { name: "New token" });
        await form.getByLabel("Name").fill("read workflows from CI");
        await form.getByLabel("workflows:read", { exact: true }).check();
        await form.getByRole("button", { name: "Create token" }).click();
        const value = (await page.getByTestId("token-value").textContent()).trim();
        assert.match(value, /^weftpat_/);
        await shot(page, "tokens");
        const use = () => fetch(`${BASE}/api/v1/workflows/${WF}`, { headers: { Authorization: `Bearer ${value}` } }).then((r) => r.status);
        assert.equal(await use(), 200);
        assert.equal(
          await fetch(`${BASE}/api/v1/workflows/${WF}`, { method: "DELETE", headers: { Authorization: `Bearer ${value}` } }).then((r) => r.status),
          403,
          "a workflows:read token deleted a workflow",
        );
        await page.locator('tr[data-token="read workflows from CI"]').getByRole("button", { name: "Revoke" }).click();
        await page.locator('tr[data-token="read workflows from CI"]').getByText("revoked").waitFor();
        assert.equal(await use(), 401);
      },
      { signedIn: false },
    ),
  );

  it(
    "an owner manages users and reads, filters and verifies the audit trail",
    withSession(async ({ page }) => {
      await page.goto("/users");
      const form = page.getByRole("form", { name: "New user" });
      await form.getByLabel("Email").fill("operator@example.com");
      await form.getByLabel("Role").selectOption("operator");
      await form.getByRole("button", { name: "Create user" }).click();
      await page.locator('tr[data-user="operator@example.com"]').waitFor();
      await page.getByLabel("Role of operator@example.com").selectOption("editor");
      await shot(page, "users");
      await page.getByRole("link", { name: "Audit", exact: true }).click();
      const filters = page.getByRole("form", { name: "Audit filters" });
      await filters.getByLabel("action").fill("user.");
      await filters.getByRole("button", { name: "Filter" }).click();
      await page.locator('tr[data-action="user.updated"]').getByText("operator@example.com").waitFor();
      // The unfiltered list shows that row too: wait for the filtered one to replace it.
      await until(async () => (await page.locator('tr[data-action="signin"]').count()) === 0, "the action filter to leave the sign-ins out");
      await page.getByRole("button", { name: "Verify chain" }).click();
      await page.getByTestId("audit-verify").getByText("Chain intact").waitFor();
      await shot(page, "audit");
    }),
  );

  it("signs in with SSO against a local OpenID Connect provider, groups mapped to a role", async () => {
    const idp = await startIdP({
      clientId: "weft-console",
      clientSecret: "e2e-client-secret",
      identity: { sub: "idp-7", email: "sso@example.com", name: "Sam SSO", groups: ["weft-editors"] },
    });
    const port = await new Promise((r) => {
      const s = createServer().listen(0, "127.0.0.1", () => {
        const p = s.address().port;
        s.close(() => r(p));
      });
    });
    const data = mkdtempSync(join(tmpdir(), "weft-sso-"));
    const url = `http://127.0.0.1:${port}`;
    const proc = spawn(process.env.WEFT_BIN, ["serve", "--addr", `127.0.0.1:${port}`, "--data", data, "--seed", "false", "--oidc-issuer", idp.issuer,
      "--oidc-client-id", "weft-console", "--oidc-redirect-url", `${url}/auth/oidc/callback`, "--oidc-role-map", "weft-editors=editor", "--oidc-name", "Keycloak"], {
      env: { ...process.env, WEFT_OIDC_CLIENT_SECRET: "e2e-client-secret", WEFT_ADMIN_TOKEN: "sso-admin-token-0123456789" },
      stdio: "ignore",
    });
    const s = await session({ signedIn: false });
    try {
      await until(() => fetch(`${url}/readyz`).then((r) => r.ok, () => false), "the SSO server to be ready", 10000);
      await s.page.goto(`${url}/`);
      await s.page.getByRole("link", { name: "Sign in with Keycloak" }).click();
      await s.page.getByTestId("whoami").getByText("sso@example.com · editor").waitFor();
      await s.page.getByRole("link", { name: "New workflow" }).waitFor();
      s.assertNoConsoleErrors();
      const trail = await fetch(`${url}/api/v1/audit?action=signin`, { headers: { Authorization: "Bearer sso-admin-token-0123456789" } }).then((r) => r.json());
      assert.deepEqual(
        trail.items.map((e) => [e.actor, e.action, JSON.parse(JSON.stringify(e.detail)).method]),
        [["sso@example.com", "signin", "oidc"]],
      );
    } finally {
      await s.close();
      proc.kill();
      await idp.close();
      rmSync(data, { recursive: true, force: true });
    }
  });
});
