import { Api, expect, isoDay, openSignedIn, test, user } from "./system";

// An ERP file uploaded through the imports screen: columns read, mapping saved, rows imported, a bad row reported.

const HEADER =
  "entity;account_number;customer_name;email;language;country;item_number;item_type;issue_date;due_date;amount;open_amount;currency";

function receivablesCsv(): string {
  const issued = isoDay(-20);
  const due = isoDay(10);
  return [
    HEADER,
    `DEMO;E2E1;Initech Components SA;ap@initech.example;fr;FR;E2E-101;invoice;${issued};${due};1250,00;1250,00;EUR`,
    `DEMO;E2E1;Initech Components SA;ap@initech.example;fr;FR;E2E-102;invoice;${issued};${due};310,40;310,40;EUR`,
    `DEMO;E2E1;Initech Components SA;ap@initech.example;fr;FR;E2E-103;invoice;${issued};not-a-date;99,00;99,00;EUR`,
    "",
  ].join("\n");
}

test("an uploaded receivables file is mapped, imported and reported", async ({ page, admin, system }) => {
  // A credit manager imports: files may hold any entity's rows, so a collector's scope of one entity may not.
  await openSignedIn(page, await Api.signIn(system.baseUrl, user(system, "credit_manager")), "/imports");
  await expect(page.getByRole("heading", { name: "Imports", exact: true })).toBeVisible();

  const form = page.getByRole("form", { name: "Customers and open items" });
  await form.getByLabel("Receivables file").setInputFiles({
    name: "e2e-ledger.csv",
    mimeType: "text/csv",
    buffer: Buffer.from(receivablesCsv(), "utf8"),
  });
  await form.getByRole("button", { name: "Read the columns" }).click();

  await expect(page.getByRole("heading", { name: "Column mapping" })).toBeVisible();
  // A new layout is saved under a name first; one seen before imports as it is.
  await page.getByRole("button", { name: /^(Save the mapping and import|Import)$/ }).click();

  await expect(page.getByRole("heading", { name: /Import of e2e-ledger\.csv/ })).toBeVisible({ timeout: 30_000 });
  await expect(page.getByRole("heading", { name: "1 rejected row" })).toBeVisible();
  const importId = new URL(page.url()).searchParams.get("report");
  expect(importId, "the report's id in the address").toBeTruthy();

  const report = await admin.get<{
    rows_rejected: number;
    items_opened: number;
    errors: { row: number; column: string }[];
  }>(`/imports/${importId}`);
  expect(report).toMatchObject({ rows_rejected: 1, items_opened: 2 });
  expect(report.errors.map((e) => e.column)).toContain("due_date");
  const account = await admin.get<{
    customer: { name: string };
    items: { number: string; open_amount: { amount: string } }[];
  }>("/customers/DEMO/E2E1");
  expect(account.customer.name).toBe("Initech Components SA");
  expect(account.items.map((i) => [i.number, i.open_amount.amount]).sort()).toEqual([
    ["E2E-101", "1250.00"],
    ["E2E-102", "310.40"],
  ]);
});
