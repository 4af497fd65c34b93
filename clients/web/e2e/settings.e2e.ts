import { Api, expect, openSignedIn, test } from "./system";

// The administrator's settings: a user created, a partner's API key issued (its secret shown once), a status
// added, an entity's sending hours changed; each checked through the API afterwards.

/** A code no earlier run of the same system has used (a system started by hand may run the tests twice). */
const RUN = Date.now().toString(36);

interface User {
  email: string;
  name: string | null;
  role: string;
  entities: "all" | string[];
  disabled: boolean;
  created_by: string | null;
}

test("an administrator creates a user who can then sign in", async ({ page, admin, system }) => {
  const email = `rep.${RUN}@opendso.local`;
  const password = `Lime-otter-${RUN}-73`;
  await openSignedIn(page, admin, "/settings");
  await expect(page.getByRole("heading", { name: "Settings" })).toBeVisible();
  await expect(page.getByRole("tab", { name: "Users and roles" })).toHaveAttribute("aria-selected", "true");

  const form = page.getByRole("form", { name: "New user" });
  await form.getByLabel("E-mail").fill(email);
  await form.getByLabel("Name").fill("Rep E2E");
  await form.getByLabel("Role").selectOption({ label: "Sales" });
  await form.getByLabel("First password").fill(password);
  await form.getByLabel("Entity codes").fill("DEMO");
  await form.getByRole("button", { name: "Create the user" }).click();
  await expect(page.getByText(`${email} can now sign in`)).toBeVisible();
  await expect(page.getByRole("table", { name: "Users" }).getByRole("row", { name: new RegExp(email) })).toBeVisible();

  const users = await admin.get<{ users: User[] }>("/users");
  expect(users.users.find((u) => u.email === email)).toMatchObject({
    name: "Rep E2E",
    role: "sales",
    entities: ["DEMO"],
    disabled: false,
    created_by: (await admin.get<{ email: string }>("/me")).email,
  });
  await Api.signIn(system.baseUrl, { role: "sales", email, password });
});

test("a partner's API key is shown once and authenticates the partner API", async ({ page, admin }) => {
  const name = `Call centre ${RUN}`;
  await openSignedIn(page, admin, "/settings");
  await page.getByRole("tab", { name: "Partners and API keys" }).click();

  const form = page.getByRole("form", { name: "New partner" });
  await form.getByLabel("Name").fill(name);
  await form.getByLabel("Kind").selectOption({ label: "Call centre" });
  // The partner's webhook is on the test machine: a private address, allowed for an on-premises partner.
  await form.getByLabel("Webhook URL").fill("http://127.0.0.1:9/opendso-hook");
  await form.getByLabel(/may reach a private address/).check();
  await form.getByRole("button", { name: "Create the partner" }).click();
  await expect(page.getByRole("region", { name: "Webhook signing secret" })).toBeVisible();
  await page
    .getByRole("region", { name: "Webhook signing secret" })
    .getByRole("button", { name: "I have copied it" })
    .click();

  await page.getByRole("button", { name: `API keys of ${name}` }).click();
  const keys = page.getByRole("region", { name: `API keys of ${name}` });
  await expect(keys.getByText("No key issued yet.")).toBeVisible();
  await keys.getByRole("form", { name: "Issue a key" }).getByRole("button", { name: "Issue a key" }).click();
  const shown = keys.getByRole("region", { name: "New API key" });
  await expect(shown.getByText("Copy it now: it will not be shown again.")).toBeVisible();
  const secret = (await shown.getByTestId("one-time-secret").textContent())!.trim();
  expect(secret).toMatch(/^\S{20,}$/);

  // The secret works: the partner API answers the key, and refuses one that is not it.
  const asPartner = await admin.fetch("/partner/cases", {}, { headers: { "X-API-Key": secret } });
  expect(asPartner.status, await asPartner.clone().text()).toBe(200);
  expect(Array.isArray(await asPartner.json())).toBe(true);
  const wrong = await admin.fetch("/partner/cases", {}, { headers: { "X-API-Key": `${secret}x` } });
  expect(wrong.status).toBe(401);

  // Closed, it is gone for good: not on the screen, not after a reload, never in the API's answers.
  await shown.getByRole("button", { name: "I have copied it" }).click();
  await expect(shown).toHaveCount(0);
  await expect(page.getByText(secret)).toHaveCount(0);
  const partners = await admin.get<{ partner_id: string; name: string }[]>("/partners");
  const partner = partners.find((p) => p.name === name);
  expect(partner, `partner ${name} through the API`).toBeTruthy();
  const detail = await admin.fetch(`/partners/${partner!.partner_id}`);
  const text = await detail.text();
  expect(text).not.toContain(secret);
  const issued = (JSON.parse(text) as { keys: { prefix: string; revoked_at: string | null }[] }).keys;
  expect(issued).toHaveLength(1);
  expect(secret.startsWith(issued[0]!.prefix), `the secret starts with the key's prefix ${issued[0]!.prefix}`).toBe(
    true,
  );
  await expect(keys.getByRole("table").getByText(issued[0]!.prefix)).toBeVisible();
  await page.reload();
  await page.getByRole("tab", { name: "Partners and API keys" }).click();
  await page.getByRole("button", { name: `API keys of ${name}` }).click();
  await expect(page.getByRole("table", { name: `API keys of ${name}` }).getByText(issued[0]!.prefix)).toBeVisible();
  await expect(page.getByText(secret)).toHaveCount(0);
});

test("a status added with an English label is saved in the catalogue", async ({ page, admin }) => {
  const code = `e2e_${RUN}`;
  await openSignedIn(page, admin, "/settings");
  await page.getByRole("tab", { name: "Statuses" }).click();
  const before = await admin.get<{ version: number }>("/item-statuses");

  await page.getByRole("button", { name: "Add a status" }).click();
  const editor = page.getByRole("form", { name: "New status" });
  await editor.getByLabel("Code").fill(code);
  await editor.getByLabel("Label (English)").fill("Waiting for the customer's auditor");
  await editor.getByRole("button", { name: "Apply" }).click();
  await expect(page.getByText("Unsaved changes: save them to apply them")).toBeVisible();
  await page.getByRole("button", { name: "Save the statuses" }).click();
  await expect(page.getByText("Item statuses saved")).toBeVisible();
  await expect(
    page.getByRole("table", { name: "Item statuses" }).getByRole("row", { name: new RegExp(code) }),
  ).toContainText("Waiting for the customer's auditor");

  const after = await admin.get<{ version: number; statuses: { code: string; labels: Record<string, string> }[] }>(
    "/item-statuses",
  );
  expect(after.version).toBe(before.version + 1);
  expect(after.statuses.find((s) => s.code === code)?.labels).toEqual({ en: "Waiting for the customer's auditor" });
});

test("an entity's sending days and time slots are changed", async ({ page, admin }) => {
  // The demo ledger's entity is not in the entities register: one is imported for this test, as a set-up sheet would.
  const entity = `E2E${RUN}`.toUpperCase().slice(0, 12);
  await admin.upload(
    "/imports/entities",
    "entities.csv",
    `code,name,country,currency,time_zone\n${entity},E2E Hours SAS,FR,EUR,Europe/Paris\n`,
  );
  await expect
    .poll(async () => (await admin.get<{ items: { code: string }[] }>("/entities")).items.map((e) => e.code), {
      message: `entity ${entity} in the register`,
    })
    .toContain(entity);

  await openSignedIn(page, admin, "/settings");
  await page.getByRole("tab", { name: "Time slots" }).click();
  await page.getByLabel("Entity", { exact: true }).selectOption(entity);
  const form = page.getByRole("form", { name: `Sending days and time slots of ${entity}` });
  await expect(form.getByText("Times are in Europe/Paris.")).toBeVisible();
  await form.getByLabel("Friday").uncheck();
  await form.getByLabel("Start of slot 1").fill("09:00");
  await form.getByLabel("End of slot 1").fill("12:00");
  await form.getByRole("button", { name: "Add a slot" }).click();
  await form.getByLabel("Start of slot 2").fill("14:00");
  await form.getByLabel("End of slot 2").fill("17:30");
  await form.getByRole("button", { name: `Save the hours of ${entity}` }).click();
  await expect(page.getByText(`Sending hours of ${entity} saved`)).toBeVisible();

  const hours = await admin.get<{ weekdays: string[]; slots: { start: string; end: string }[]; version: number }>(
    `/entities/${entity}/sending-hours`,
  );
  expect(hours).toMatchObject({
    weekdays: ["mon", "tue", "wed", "thu"],
    slots: [
      { start: "09:00", end: "12:00" },
      { start: "14:00", end: "17:30" },
    ],
    version: 1,
  });
});
