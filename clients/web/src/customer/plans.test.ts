import { describe, expect, it } from "vitest";
import type { OpenItem } from "../api/types";
import { emptyPlanForm, plannable, planRequest } from "./plans";
import { promisesFrom } from "./promises";

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

function entry(id: string, kind: string, detail: Record<string, unknown>, at = "2026-11-20T09:00:00Z") {
  return {
    id,
    occurred_at: at,
    kind,
    actor: "marie@example.com",
    actor_type: "user",
    summary: "",
    item_ids: [],
    detail,
  };
}

describe("the account's promises", () => {
  it("are open, broken with the figures of the break, or replaced by a later status", () => {
    const promises = promisesFrom([
      entry("e4", "item.qualified", { status: "dispute", item_ids: ["F-3"] }, "2026-11-24T09:00:00Z"),
      entry("e3", "promise.broken", {
        promise_id: "p2",
        promised_amount: { amount: "250.00", currency: "EUR" },
        promised_on: "2026-11-15",
        paid: { amount: "50.00", currency: "EUR" },
        missing: { amount: "200.00", currency: "EUR" },
      }),
      entry("e2", "item.qualified", {
        status: "promise_to_pay",
        item_ids: ["F-1"],
        promise_id: "p3",
        comment: "Friday",
      }),
      entry("e1", "item.qualified", { status: "promise_to_pay", item_ids: ["F-2"], promise_id: "p2" }),
      entry("e0", "item.qualified", { status: "promise_to_pay", item_ids: ["F-3"], promise_id: "p1" }),
    ]);
    expect(promises.map((p) => [p.id, p.state])).toEqual([
      ["p3", "open"],
      ["p2", "broken"],
      ["p1", "replaced"],
    ]);
    expect(promises[0]!.comment).toBe("Friday");
    expect(promises[1]).toMatchObject({
      promised: { amount: "250.00", currency: "EUR" },
      promisedOn: "2026-11-15",
      missing: { amount: "200.00", currency: "EUR" },
    });
  });
});
