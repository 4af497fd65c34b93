import { expect, openSignedIn, test } from "./system";

// The scenario editor saves a changed step as a new version; the template editor previews a message for a real
// customer, its #hashtags filled in.

interface Scenario {
  code: string;
  name: string;
  version: number;
  steps: { code: string; offset_days: number }[];
}

test("a step's days changed in the editor are saved as a new version", async ({ page, admin }) => {
  // A copy of the standard scenario that no rule picks: editing it changes no other test's agenda.
  const code = `e2e_${Date.now().toString(36)}`;
  const copy = await admin.send<Scenario>("POST", "/scenarios/standard/duplicate", {
    code,
    name: `E2E ${code}`,
    language: "",
  });
  const step = copy.steps[1]!;
  const days = step.offset_days + 4;

  await openSignedIn(page, admin, "/scenarios");
  await expect(page.getByRole("heading", { name: "Scenarios and templates" })).toBeVisible();
  await page.getByRole("button", { name: `Open E2E ${code}` }).click();
  const editor = page.getByRole("form", { name: `${code} (version ${copy.version})` });
  await expect(editor.getByLabel("Code of step 2")).toHaveValue(step.code);
  await editor.getByLabel("Days of step 2").fill(String(days));
  await editor.getByRole("button", { name: "Save the scenario" }).click();
  await expect(page.getByText(`E2E ${code} saved (version ${copy.version + 1})`)).toBeVisible();
  // The editor reopens on the version saved.
  await expect(page.getByRole("form", { name: `${code} (version ${copy.version + 1})` })).toBeVisible();

  const saved = await admin.get<Scenario>(`/scenarios/${code}`);
  expect(saved.version, `the version of scenario ${code}`).toBe(copy.version + 1);
  expect(saved.steps.map((s) => [s.code, s.offset_days])).toEqual(
    copy.steps.map((s, i) => [s.code, i === 1 ? days : s.offset_days]),
  );
});

test("the template preview fills the #hashtags in for a chosen customer", async ({ page, admin }) => {
  const account = await admin.get<{ customer: { name: string } }>("/customers/DEMO/C003");
  // What #TotalOverdue stands for: the account's overdue amount, credit notes netted as the aging nets them.
  const aging = await admin.get<{ rows: { currency: string; overdue: { amount: string } }[] }>(
    "/reports/aging-balance",
    { level: "customer", key: "DEMO/C003", currency: "item" },
  );
  const overdue = aging.rows.find((r) => r.currency === "EUR")!.overdue.amount;

  await openSignedIn(page, admin, "/scenarios");
  await page.getByRole("tab", { name: "Message templates" }).click();
  await page.getByLabel("Template", { exact: true }).selectOption("overdue_notice");
  await page.getByLabel("Preview for entity").fill("DEMO");
  await page.getByLabel("Customer account").fill("C003");
  // The preview is of the draft as typed, before it is saved (and it is not saved here).
  await page.getByLabel("Text (en)").fill("#CustomerName owes #TotalOverdue.");

  const preview = page.getByRole("region", { name: "Preview in en" });
  await expect(preview).toContainText(`${account.customer.name} owes`);
  await expect(preview).toContainText(
    new Intl.NumberFormat("en", { minimumFractionDigits: 2 }).format(Number(overdue)),
  );
  await expect(preview).toContainText("Payment overdue: account C003");
  await expect(preview).not.toContainText("#");
});
