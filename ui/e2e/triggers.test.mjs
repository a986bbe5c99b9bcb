// Runs alone (scripts/e2e.sh): it counts the unhealthy triggers of the whole
// server, which a polling trigger of another test could change.
// The Triggers page against a real `weft serve`: a queue trigger whose broker
// cannot be reached is red in the list and counted next to "Triggers" in the
// navigation, wherever the user is.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { api, launch, rereadWhen, shot, shutdown, withSession } from "./helpers.mjs";

before(launch);
after(shutdown);

describe("triggers", () => {
  it(
    "shows an unhealthy queue trigger at a glance",
    withSession(async ({ page }) => {
      // Port 1 on loopback refuses connections: the consumer fails and retries.
      const cred = await api("PUT", "/api/v1/credentials/dead-broker", { type: "amqp", data: { url: "amqp://guest:guest@127.0.0.1:1/" } });
      assert.equal(cred.status, 200, JSON.stringify(cred.data));
      const yaml = [
        "name: orders-from-rabbit",
        "on:",
        "  queue: { broker: rabbitmq, connection: dead-broker, queue: orders }",
        "steps:",
        "  - id: record",
        "    uses: transform",
        '    with: { order: "{{ trigger.body }}" }',
        "",
      ].join("\n");
      const wf = await api("PUT", "/api/v1/workflows/orders-from-rabbit", yaml, "application/yaml");
      assert.ok(wf.status === 200 || wf.status === 201, JSON.stringify(wf.data));

      await page.clock.install();
      await page.goto("/executions");
      // The navigation badge appears once the consumer has failed, at the
      // navigation's next re-read of the trigger list.
      await rereadWhen(page, async () => (await api("GET", "/api/v1/triggers")).data.unhealthy === 1, "the consumer to fail");
      const alert = page.getByTestId("nav-unhealthy");
      await alert.waitFor({ timeout: 30000 });
      assert.equal(await alert.textContent(), "1");

      await page.getByRole("link", { name: /Triggers/ }).click();
      await page.getByRole("heading", { name: "Triggers" }).waitFor();
      const row = page.locator('tr[data-trigger="orders-from-rabbit/0"]');
      await row.waitFor();
      assert.equal(await row.getByTestId("trigger-status").textContent(), "unhealthy");
      assert.match(await row.getByTestId("trigger-status").getAttribute("class"), /st-failed/);
      assert.match(await row.getByTestId("trigger-error").textContent(), /RabbitMQ/);
      assert.equal(await page.getByTestId("triggers-summary").textContent(), "1 unhealthy");
      // The URL holds a password: it must not be shown anywhere.
      assert.ok(!(await page.content()).includes("guest:guest"), "the connection URL leaked into the page");
      await shot(page, "triggers-unhealthy");

      await api("DELETE", "/api/v1/workflows/orders-from-rabbit");
      await api("DELETE", "/api/v1/credentials/dead-broker");
    }),
  );

  it(
    "shows a mailbox trigger whose server is unreachable as unhealthy",
    withSession(async ({ page }) => {
      // Port 1 on loopback refuses connections; the connection may reach
      // loopback, so the error is the refusal, not the SSRF guard.
      const cred = await api("PUT", "/api/v1/credentials/dead-mailbox", {
        type: "imap",
        data: { host: "127.0.0.1", port: "1", username: "ann", password: "imap-secret-pw", tls: "none" },
        allow_private_net: ["127.0.0.0/8"],
      });
      assert.equal(cred.status, 200, JSON.stringify(cred.data));
      const yaml = ["name: inbox-watch", "on:", "  imap: { connection: dead-mailbox, mailbox: INBOX }", "steps:", "  - id: record", "    uses: transform", '    with: { subject: "{{ trigger.subject }}" }', ""].join("\n");
      const wf = await api("PUT", "/api/v1/workflows/inbox-watch", yaml, "application/yaml");
      assert.ok(wf.status === 200 || wf.status === 201, JSON.stringify(wf.data));

      await page.clock.install();
      await page.goto("/triggers");
      await rereadWhen(page, async () => (await api("GET", "/api/v1/triggers")).data.items?.find((h) => h.workflow === "inbox-watch")?.status === "error", "the mailbox trigger to fail", 30000);
      const row = page.locator('tr[data-trigger="inbox-watch/0"]');
      await row.waitFor({ timeout: 30000 });
      await row.getByTestId("trigger-error").waitFor({ timeout: 30000 });
      assert.equal(await row.getByTestId("trigger-status").textContent(), "unhealthy");
      assert.match(await row.textContent(), /imap/);
      assert.match(await row.textContent(), /mailbox INBOX/);
      assert.match(await row.getByTestId("trigger-error").textContent(), /dialling 127\.0\.0\.1/);
      assert.ok(!(await page.content()).includes("imap-secret-pw"), "the mailbox password leaked into the page");
      await shot(page, "triggers-imap-unhealthy");

      await api("DELETE", "/api/v1/workflows/inbox-watch");
      await api("DELETE", "/api/v1/credentials/dead-mailbox");
    }),
  );
});
