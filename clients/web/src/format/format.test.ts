import { describe, expect, it } from "vitest";
import { addAmounts, compareAmounts, formatDate, formatMoney, formatPercent, isoDay, totalsByCurrency } from "./format";

// Intl separates groups and currency symbols with (narrow) no-break spaces; tests read them as plain spaces.
const plain = (text: string) => text.replace(/[\u00a0\u202f]/g, " ");

describe("amounts", () => {
  it("are formatted per interface language with the currency's decimals", () => {
    expect(plain(formatMoney("1234567.5", "EUR", "en"))).toBe("€1,234,567.50");
    expect(plain(formatMoney("1234567.5", "EUR", "fr"))).toBe("1 234 567,50 €");
    expect(plain(formatMoney("1234567.5", "CZK", "cs"))).toBe("1 234 567,50 Kč");
    expect(plain(formatMoney("-40", "GBP", "en"))).toBe("-£40.00");
    expect(plain(formatMoney("1500", "JPY", "en"))).toBe("¥1,500");
  });

  it("keep digits a float would lose", () => {
    expect(plain(formatMoney("123456789012345.67", "EUR", "en"))).toBe("€123,456,789,012,345.67");
  });

  it("add up exactly", () => {
    expect(addAmounts(["0.1", "0.2"])).toBe("0.30");
    expect(addAmounts(["100.00", "-40.005", "0.000001"])).toBe("59.995001");
    expect(addAmounts([])).toBe("0.00");
  });

  it("are totalled per currency, never across currencies", () => {
    expect(
      totalsByCurrency([
        { amount: "100.10", currency: "EUR" },
        { amount: "50", currency: "CZK" },
        { amount: "0.90", currency: "EUR" },
      ]),
    ).toEqual([
      { amount: "101.00", currency: "EUR" },
      { amount: "50.00", currency: "CZK" },
    ]);
  });

  it("compare as decimals", () => {
    expect(compareAmounts("10.5", "9.99")).toBe(1);
    expect(compareAmounts("-1", "0")).toBe(-1);
    expect(compareAmounts("2.50", "2.5")).toBe(0);
  });

  it("refuse what is not a decimal", () => {
    expect(() => addAmounts(["1e3"])).toThrow(/not a decimal/);
  });
});

describe("dates", () => {
  it("are written as each language writes them", () => {
    expect(plain(formatDate("2026-03-05", "en"))).toBe("Mar 5, 2026");
    expect(plain(formatDate("2026-03-05", "fr"))).toBe("5 mars 2026");
    expect(plain(formatDate("2026-03-05", "cs"))).toBe("5. 3. 2026");
  });

  it("stay on their day whatever the user's time zone", () => {
    // A due date is a calendar day: formatting it must not go through the local midnight.
    expect(formatDate("2026-01-01", "en")).toContain("Jan 1, 2026");
  });

  it("leave a missing day blank", () => {
    expect(formatDate(null, "en")).toBe("");
  });

  it("count today in the user's calendar", () => {
    expect(isoDay(0, new Date(2026, 11, 31, 23, 30))).toBe("2026-12-31");
    expect(isoDay(1, new Date(2026, 11, 31, 23, 30))).toBe("2027-01-01");
  });
});

describe("percentages", () => {
  it("read the gateway's already multiplied figure", () => {
    expect(plain(formatPercent("37.25", "en"))).toBe("37.3%");
    expect(plain(formatPercent("37.25", "fr"))).toBe("37,3 %");
  });
});
