import { describe, expect, it } from "vitest";
import type { OpenItem } from "../api/types";
import { emptyPlanForm, plannable, planRequest } from "./plans";

function item(id: string, open: string, currency = "EUR", kind = "invoice"): OpenItem {
  return {
    item_id: id,
    number: id,
    kind,
    issue_date: "2026-01-01",
    due_date: "2026-02-01",
    amount: { amount: open, currency },
    open_amount: { amount: open, currency },
    reference: null,
  };
}

const ITEMS = [
  item("F-1", "400.10"),
  item("F-2", "250.20"),
  item("F-3", "99.00", "CZK"),
  item("I-1", "50.00", "EUR", "instalment"),
];
const TODAY = "2026-11-25";

describe("a payment plan's form", () => {
  it("builds the request and the covered total from the chosen items", () => {
    const built = planRequest(
      {
        ...emptyPlanForm,
        itemIds: ["F-1", "F-2"],
        count: "4",
        firstDate: "2026-12-15",
        frequency: "weekly",
        downPayment: "100,30",
        downPaymentOn: "2026-12-01",
        comment: "  agreed by phone ",
      },
      ITEMS,
      TODAY,
    );
    expect(built).toEqual({
      request: {
        item_ids: ["F-1", "F-2"],
        instalment_count: 4,
        first_date: "2026-12-15",
        frequency: "weekly",
        comment: "agreed by phone",
        down_payment: { amount: "100.30", currency: "EUR" },
        down_payment_on: "2026-12-01",
      },
      total: { amount: "650.30", currency: "EUR" },
    });
  });

  it("names the first field to fix", () => {
    const ok = { ...emptyPlanForm, itemIds: ["F-1"], firstDate: "2026-12-15" };
    expect(planRequest({ ...ok, itemIds: [] }, ITEMS, TODAY)).toEqual({ invalid: "items" });
    expect(planRequest({ ...ok, itemIds: ["F-1", "I-1"] }, ITEMS, TODAY)).toEqual({ invalid: "instalment" });
    expect(planRequest({ ...ok, itemIds: ["F-1", "F-3"] }, ITEMS, TODAY)).toEqual({ invalid: "currency" });
    expect(planRequest({ ...ok, count: "0" }, ITEMS, TODAY)).toEqual({ invalid: "count" });
    expect(planRequest({ ...ok, count: "2.5" }, ITEMS, TODAY)).toEqual({ invalid: "count" });
    expect(planRequest({ ...ok, count: "521" }, ITEMS, TODAY)).toEqual({ invalid: "count" });
    expect(planRequest({ ...ok, firstDate: "" }, ITEMS, TODAY)).toEqual({ invalid: "firstDate" });
    expect(planRequest({ ...ok, firstDate: "2026-11-24" }, ITEMS, TODAY)).toEqual({ invalid: "firstDate" });
    // A down payment must leave something to pay in instalments.
    expect(planRequest({ ...ok, downPayment: "400.10" }, ITEMS, TODAY)).toEqual({ invalid: "downPayment" });
    expect(planRequest({ ...ok, downPayment: "abc" }, ITEMS, TODAY)).toEqual({ invalid: "downPayment" });
    expect(planRequest({ ...ok, downPayment: "10", downPaymentOn: "2026-12-16" }, ITEMS, TODAY)).toEqual({
      invalid: "downPaymentOn",
    });
    expect(planRequest(ok, ITEMS, TODAY)).toMatchObject({ request: { instalment_count: 3, frequency: "monthly" } });
  });

  it("offers only items with something to pay that are not instalments already", () => {
    expect(plannable([...ITEMS, item("C-1", "-20.00", "EUR", "credit_note")]).map((i) => i.item_id)).toEqual([
      "F-1",
      "F-2",
      "F-3",
    ]);
  });
});
