import { describe, expect, it } from "vitest";
import { checkSplit, defaultAmount, splitCustomerId, subtract, type SplitLine } from "./split";

const PAYMENT = { amount: "0.30", currency: "EUR" };

function line(item: string, amount: string, extra: Partial<SplitLine> = {}): SplitLine {
  return { item_id: `FR01/invoice/${item}`, label: item, currency: "EUR", open: null, amount, write_off: "", ...extra };
}

describe("splitting a payment", () => {
  it("adds amounts exactly: 0.1 + 0.2 is the 0.30 received, not more", () => {
    const check = checkSplit("FR01/C1", [line("F-1", "0.1"), line("F-2", "0,2")], PAYMENT, true);
    expect(check.ok).toBe(true);
    if (!check.ok) return;
    expect(check.allocated).toEqual({ amount: "0.30", currency: "EUR" });
    expect(check.left).toEqual({ amount: "0.00", currency: "EUR" });
    expect(check.body).toEqual({
      customer_id: "FR01/C1",
      allocations: [
        { item_id: "FR01/invoice/F-1", amount: "0.1" },
        { item_id: "FR01/invoice/F-2", amount: "0.2" },
      ],
      learn: true,
    });
  });

  it("refuses to allocate more than the payment, by one cent", () => {
    const check = checkSplit("FR01/C1", [line("F-1", "0.2"), line("F-2", "0.11")], PAYMENT, true);
    expect(check).toMatchObject({ ok: false, problem: "overAllocated", allocated: { amount: "0.31" } });
  });

  it("names each wrong line: no amount, zero, a bad write-off, an item twice", () => {
    const check = checkSplit(
      "FR01/C1",
      [line("F-1", "abc"), line("F-2", "0.00"), line("F-3", "0.10", { write_off: "-1" }), line("F-3", "0.01")],
      { amount: "100.00", currency: "EUR" },
      false,
    );
    expect(check).toMatchObject({ ok: false, lines: { 0: "amount", 1: "amount", 2: "writeOff", 3: "twice" } });
  });

  it("keeps a write-off and a customer's remainder, and leaves other currencies out of the sum", () => {
    const check = checkSplit(
      "FR01/C1",
      [line("F-1", "1200.00", { write_off: "15.5" }), line("F-9", "80", { currency: "USD" })],
      { amount: "1500.00", currency: "EUR" },
      false,
    );
    expect(check.ok).toBe(true);
    if (!check.ok) return;
    expect(check.body.allocations).toEqual([
      { item_id: "FR01/invoice/F-1", amount: "1200.00", write_off: "15.5" },
      { item_id: "FR01/invoice/F-9", amount: "80" },
    ]);
    expect(check.allocated).toEqual({ amount: "1200.00", currency: "EUR" });
    // Two currencies: what the payment leaves cannot be told without the rate.
    expect(check.left).toBeNull();
  });

  it("asks for a customer and a line", () => {
    expect(checkSplit(" ", [line("F-1", "1")], PAYMENT, true)).toMatchObject({ ok: false, problem: "noCustomer" });
    expect(checkSplit("FR01/C1", [], PAYMENT, true)).toMatchObject({ ok: false, problem: "noLine" });
  });

  it("fills a picked item with what it owes, capped at what the payment has left", () => {
    const payment = { amount: "1000.00", currency: "EUR" };
    expect(defaultAmount({ amount: "400.00", currency: "EUR" }, [], payment)).toBe("400.00");
    expect(defaultAmount({ amount: "900.00", currency: "EUR" }, [line("F-1", "400.00")], payment)).toBe("600.00");
    expect(defaultAmount({ amount: "50.00", currency: "USD" }, [line("F-1", "1000")], payment)).toBe("50.00");
    expect(subtract("0.3", "0.1")).toBe("0.20");
    expect(subtract("10", "-2.5")).toBe("12.50");
  });

  it("reads a customer id as entity and account", () => {
    expect(splitCustomerId("FR01/C00042")).toEqual({ entity: "FR01", account: "C00042" });
    expect(splitCustomerId("FR01/A/B")).toEqual({ entity: "FR01", account: "A/B" });
    expect(splitCustomerId("C00042")).toBeNull();
  });
});
