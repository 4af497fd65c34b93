import { Api, expect, openSignedIn, test, user } from "./system";

// The sales rep's phone view, at a phone's size: find a customer, read the account (again offline, from the copy
// the phone kept), and answer a dispute assigned to the rep.

test.use({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });

interface Summary {
  customer: { name: string };
  balances: { currency: string; open: string; overdue: string }[];
  disputes: { item_id: string; answers: string[] }[];
}

/** "780.00" → "780.00", "14500" → "14,500.00": an amount as the English screens write it, symbol aside. */
function english(amount: string): string {
  return new Intl.NumberFormat("en", { minimumFractionDigits: 2 }).format(Number(amount));
}

test("a sales rep finds a customer and reads the account again offline", async ({ page, context, system }) => {
  const sales = await Api.signIn(system.baseUrl, user(system, "sales"));
  const summary = await sales.get<Summary>("/mobile/customers/DEMO/C005");
  const balance = summary.balances[0]!;

  await openSignedIn(page, sales, "/mobile");
  await expect(page.getByRole("heading", { name: "Sales rep", level: 2 })).toBeVisible();
  await expect(page.getByText("The accounts you open are kept here, readable offline.")).toBeVisible();
  // Part of the name, in other capitals.
  await page
    .getByRole("main")
    .getByRole("search", { name: "Find a customer" })
    .getByLabel("Name or account number")
    .fill("gLOBEX");
  await page.getByRole("button", { name: "Search", exact: true }).click();
  const found = page.getByRole("list", { name: "Customers matching “gLOBEX”" });
  await found.getByRole("link", { name: /Globex Corporation/ }).click();

  await expect(page).toHaveURL(/\/app\/mobile\/accounts\/DEMO\/C005$/);
  await expect(page.getByRole("heading", { name: summary.customer.name, level: 2 })).toBeVisible();
  const open = page.getByTestId(`open-${balance.currency}`);
  await expect(open).toContainText(english(balance.open));
  await expect(page.getByTestId(`overdue-${balance.currency}`)).toContainText(english(balance.overdue));
  // The shell is kept by the service worker once it runs: only then may the network go.
  await page.evaluate(async () => {
    await navigator.serviceWorker.ready;
  });

  await context.setOffline(true);
  try {
    await page.reload();
    await expect(page.getByRole("status").filter({ hasText: "Offline" })).toContainText(
      "offline: the figures may have changed since",
    );
    await expect(page.getByRole("heading", { name: summary.customer.name, level: 2 })).toBeVisible();
    await expect(open).toContainText(english(balance.open));
    // The start page lists it among the accounts readable offline.
    await page.getByRole("link", { name: "Sales rep home" }).click();
    await expect(
      page.getByRole("region", { name: "Recently viewed" }).getByRole("link", { name: /Globex Corporation/ }),
    ).toBeVisible();
  } finally {
    await context.setOffline(false);
  }
});

test("a sales rep answers a dispute assigned to them", async ({ page, collectorSession, system }) => {
  const rep = user(system, "sales");
  // The demo data assigns no dispute to the sales rep: the collector records one, as in the account screen.
  await collectorSession.send("POST", "/customers/DEMO/C005/qualifications", {
    item_ids: ["DEMO/invoice/INV-5001"],
    status: "dispute",
    owner: rep.email,
    comment: "Is the discount of the framework agreement due on this order? (e2e)",
  });
  const sales = await Api.signIn(system.baseUrl, rep);
  await expect
    .poll(
      async () =>
        (await sales.get<{ disputes: { item_id: string }[] }>("/mobile/disputes")).disputes.map((d) => d.item_id),
      { message: "the dispute on INV-5001 among the sales rep's", timeout: 30_000 },
    )
    .toContain("DEMO/invoice/INV-5001");

  await openSignedIn(page, sales, "/mobile");
  const disputes = page.getByRole("region", { name: "Disputes assigned to me" });
  // The collector's comment stays confidential to a sales role (the gateway leaves it out): the card names the item.
  await expect(disputes.getByRole("listitem").filter({ hasText: "INV-5001" })).toContainText("Globex Corporation");
  await disputes.getByRole("button", { name: "Answer the question on INV-5001" }).click();
  const form = page.getByRole("form", { name: "Answer on INV-5001" });
  await form.getByLabel("Your answer").fill("Yes: 5 % off, a credit note of 39.00 follows (e2e)");
  await form.getByRole("button", { name: "Send the answer" }).click();
  await expect(page.getByText("Answer sent: the dispute's owner gets it as a task.")).toBeVisible();

  await expect
    .poll(
      async () =>
        (await sales.get<Summary>("/mobile/customers/DEMO/C005")).disputes.find(
          (d) => d.item_id === "DEMO/invoice/INV-5001",
        )?.answers,
      { message: "the answer on the dispute of INV-5001", timeout: 30_000 },
    )
    .toContain("Yes: 5 % off, a credit note of 39.00 follows (e2e)");
});
