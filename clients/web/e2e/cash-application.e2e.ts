import { expect, openSignedIn, test, timelineOf } from "./system";

// The demo bank statement's transfer from Boulangerie Dupont waits in the review queue with its best proposal
// (INV-2001): the collector confirms it, and the matching service applies the payment.

interface ReviewEntry {
  transaction: { transaction_id: string; counterparty_name: string | null };
  status: string;
  proposal: { customer_id: string | null; allocations: { item_id: string }[] };
}

test("confirming a proposed match applies the bank line", async ({ page, admin, collectorSession }) => {
  let entry: ReviewEntry | undefined;
  await expect
    .poll(
      async () => {
        const queue = await admin.get<{ entries: ReviewEntry[] }>("/matching/review", { entity: "DEMO" });
        entry = queue.entries.find((e) => e.proposal.allocations.some((a) => a.item_id === "DEMO/invoice/INV-2001"));
        return entry?.transaction.transaction_id;
      },
      { message: "the demo transfer for INV-2001 in the review queue", timeout: 30_000 },
    )
    .toBeTruthy();
  const id = entry!.transaction.transaction_id;

  await openSignedIn(page, collectorSession, "/cash-application");
  await expect(page.getByRole("heading", { name: "Cash application" })).toBeVisible();
  const card = page.getByRole("article").filter({ hasText: "BOULANGERIE DUPONT" });
  await expect(card.getByRole("table", { name: "Proposed allocations" })).toContainText("INV-2001");
  await card.getByRole("button", { name: "Confirm the proposal" }).click();
  await expect(page.getByText("Bank line applied")).toBeVisible();
  await expect(card).toHaveCount(0);

  const after = await admin.get<ReviewEntry>(`/matching/transactions/${id}`);
  expect(after.status, `transaction ${id} through the API`).toBe("applied");
  // The ledger stays the ERP's (an item closes when its file says so); the allocation is on the account's timeline.
  await expect
    .poll(
      async () =>
        (await timelineOf(admin, "DEMO", "C002"))
          .filter((e) => e.kind === "payment.allocated")
          .flatMap((e) => e.item_ids),
      { message: "the payment allocated to INV-2001 on the timeline of DEMO/C002", timeout: 30_000 },
    )
    .toContain("DEMO/invoice/INV-2001");
});
