import { describe, expect, it } from "vitest";
import type { OpenItem, TimelineEntry } from "../api/types";
import { accountTotals, currentStatuses, daysOverdue } from "./account";

function item(id: string, due: string, open: string, currency = "EUR"): OpenItem {
  return {
    item_id: id,
    number: id,
    kind: "invoice",
    issue_date: "2026-01-01",
    due_date: due,
    amount: { amount: open, currency },
    open_amount: { amount: open, currency },
    reference: null,
  };
}

function qualified(id: string, itemIds: string[], status: string, since: string): TimelineEntry {
  return {
    id,
    occurred_at: `${since}T10:00:00Z`,
    kind: "item.qualified",
    actor: "marie@example.com",
    actor_type: "user",
    summary: "",
    item_ids: itemIds,
    detail: { status, since, owner: null, item_ids: itemIds, comment: "" },
  };
}

describe("a customer's account", () => {
  it("takes each item's newest status from the timeline", () => {
    const statuses = currentStatuses([
      qualified("e3", ["i1"], "promise_to_pay", "2026-11-20"),
      qualified("e2", ["i1", "i2"], "dispute", "2026-11-10"),
      qualified("e1", ["i3"], "", "2026-11-01"),
    ]);
    expect(statuses.get("i1")?.status).toBe("promise_to_pay");
    expect(statuses.get("i2")?.status).toBe("dispute");
    expect(statuses.has("i3")).toBe(false);
  });

  it("counts days overdue from the due day", () => {
    expect(daysOverdue("2026-11-20", "2026-11-25")).toBe(5);
    expect(daysOverdue("2026-11-30", "2026-11-25")).toBe(-5);
    expect(daysOverdue("2026-03-01", "2026-03-31")).toBe(30);
    expect(daysOverdue(null, "2026-11-25")).toBe(0);
  });

  it("totals open and overdue per currency", () => {
    const totals = accountTotals(
      [
        item("i1", "2026-10-01", "100.10"),
        item("i2", "2026-12-31", "50.00"),
        item("i3", "2026-10-15", "2000", "CZK"),
        item("cn", "2026-10-01", "-20.10"),
      ],
      "2026-11-25",
    );
    expect(totals.open).toEqual([
      { amount: "130.00", currency: "EUR" },
      { amount: "2000.00", currency: "CZK" },
    ]);
    // A credit note is not "overdue": it lowers the open balance only.
    expect(totals.overdue).toEqual([
      { amount: "100.10", currency: "EUR" },
      { amount: "2000.00", currency: "CZK" },
    ]);
    expect(totals.overdueItems).toBe(2);
  });
});
