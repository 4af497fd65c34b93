import { readFile } from "node:fs/promises";
import type { Locator, Page } from "@playwright/test";
import { type Api, expect, openSignedIn, test } from "./system";

// The aging balance on the reports screen, at two levels and two currency modes, read against what the gateway
// answers for the same parameters; then its CSV export as the browser saves it.

interface Money {
  amount: string;
  currency: string;
}

interface AgingBalance {
  header: { problems: string[]; next_page_token: string | null };
  rows: { key: string; label: string; currency: string; total: Money; overdue: Money; count: number }[];
}

/** "€14,500.00", "US$4,999.99" → "14500.00": the figure a cell shows, without the locale's symbols. */
function figure(text: string): string {
  return text.replace(/[^\d.-]/g, "");
}

/** Exact sum of decimal strings with two decimals, in cents. */
function sumCents(amounts: string[]): bigint {
  return amounts.reduce((sum, a) => sum + BigInt(a.replace(".", "")), 0n);
}

/** The table's body, one object per row keyed by the column headers, as the screen shows it. */
async function readTable(table: Locator): Promise<Record<string, string>[]> {
  return table.evaluate((element: HTMLTableElement) => {
    const headers = Array.from(element.tHead!.rows[0]!.cells).map((c) => c.textContent!.trim());
    return Array.from(element.tBodies[0]!.rows).map((row) =>
      Object.fromEntries(Array.from(row.cells).map((cell, i) => [headers[i]!, cell.textContent!.trim()])),
    );
  });
}

/** Shows the aging balance for a level and a currency mode, as a person sets the switches. */
async function show(page: Page, level: string, currency: string): Promise<void> {
  const form = page.getByRole("form", { name: "Report parameters" });
  await form.getByLabel("One row per").selectOption({ label: level });
  await form.getByLabel("Currency").selectOption({ label: currency });
  await form.getByRole("button", { name: "Show the report" }).click();
}

/** The screen shows what the API answers: a row per API row with its total, a chart per currency, or none. */
async function expectSameAsApi(page: Page, answer: AgingBalance): Promise<void> {
  const table = page.getByRole("table", { name: "Aging balance" });
  if (answer.rows.length === 0) {
    await expect(page.getByText("Nothing to report for these parameters.")).toBeVisible();
    await expect(table).toHaveCount(0);
  } else {
    await expect
      .poll(async () =>
        (await readTable(table)).map((r) => [r.Name, r.Currency, figure(r.Total!), figure(r.Overdue!), r.Items]),
      )
      .toEqual(answer.rows.map((r) => [r.label, r.currency, r.total.amount, r.overdue.amount, String(r.count)]));
  }
  for (const currency of new Set(answer.rows.map((r) => r.currency))) {
    const chart = page.getByRole("figure", { name: `Aging balance in ${currency}` });
    await expect(chart.locator(".recharts-bar-rectangle").first(), `the chart in ${currency}`).toBeVisible();
    // Charts in different currencies look alike: each says which it is.
    await expect(chart.locator("figcaption")).toHaveText(currency);
  }
  for (const problem of answer.header.problems) await expect(page.getByText(problem, { exact: false })).toBeVisible();
}

function csvRows(text: string): string[][] {
  // The gateway quotes a field with a comma or a quote in it (RFC 4180); the demo's names have none, but a
  // customer imported by another test might.
  return text
    .trim()
    .split(/\r?\n/)
    .map((line) =>
      [...line.matchAll(/("(?:[^"]|"")*"|[^,]*)(,|$)/g)]
        .slice(0, -1)
        .map((m) => m[1]!.replace(/^"|"$/g, "").replace(/""/g, '"')),
    );
}

async function agingBalance(session: Api, level: string, currency: string): Promise<AgingBalance> {
  // The screen asks for pages of 100 rows.
  return session.get<AgingBalance>("/reports/aging-balance", { level, currency, page_size: "100" });
}

test("the aging balance matches the API at each level and currency, and exports as CSV", async ({
  page,
  collectorSession,
}) => {
  await openSignedIn(page, collectorSession, "/reports");
  await expect(page.getByRole("heading", { name: "Reports", exact: true })).toBeVisible();
  await expect(page.getByLabel("Report", { exact: true })).toHaveValue("aging-balance");

  // The group's totals, one row per currency.
  const group = await agingBalance(collectorSession, "group", "item");
  expect(group.rows.length, "the demo ledger's currencies at group level").toBeGreaterThan(0);
  await expectSameAsApi(page, group);

  // One row per customer in the invoices' currencies: the same totals, split.
  await show(page, "Customer", "Invoice currencies");
  const customers = await agingBalance(collectorSession, "customer", "item");
  expect(customers.rows.length).toBeGreaterThan(group.rows.length);
  await expectSameAsApi(page, customers);
  // More customers than a page (OPENDSO_E2E_DEMO_CUSTOMERS) would leave some out of this sum.
  for (const total of customers.header.next_page_token ? [] : group.rows) {
    const split = customers.rows.filter((r) => r.currency === total.currency).map((r) => r.total.amount);
    expect(sumCents(split), `the customers' totals in ${total.currency}`).toBe(sumCents([total.total.amount]));
  }

  // The CSV is the report on screen: its header, and a line per row with the same total.
  const download = page.waitForEvent("download");
  await page.getByRole("button", { name: "Export as CSV" }).click();
  const file = await download;
  expect(file.suggestedFilename()).toMatch(/^aging-\d{4}-\d{2}-\d{2}\.csv$/);
  const [header, ...lines] = csvRows(await readFile((await file.path())!, "utf8"));
  expect(header!.slice(0, 3)).toEqual(["key", "label", "currency"]);
  expect(header).toEqual(expect.arrayContaining(["total", "overdue", "count"]));
  const column = (name: string) => header!.indexOf(name);
  expect(lines.map((l) => [l[column("key")], l[column("label")], l[column("currency")], l[column("total")]])).toEqual(
    customers.rows.map((r) => [r.key, r.label, r.currency, r.total.amount]),
  );

  // In each entity's currency: whatever the gateway can convert, and what it leaves out said as it says it.
  await show(page, "Entity", "Entity currency");
  await expectSameAsApi(page, await agingBalance(collectorSession, "entity", "entity"));
});
