import { describe, expect, it } from "vitest";
import { agingQuery, defaultForm, reportQuery } from "./query";
import { fileNameOf } from "./download";

describe("a report's query", () => {
  it("carries the level, currency, entity and day switches", () => {
    const built = reportQuery("aging-balance", {
      ...defaultForm,
      level: "customer",
      currency: "group",
      entity: "FR01",
      asOf: "2026-10-31",
      key: " FR01/C001 ",
      buckets: "30, 60,90",
    });
    expect(built).toEqual({
      query: {
        level: "customer",
        currency: "group",
        page_size: 100,
        entity: ["FR01"],
        key: "FR01/C001",
        as_of: "2026-10-31",
        buckets: "30,60,90",
      },
    });
  });

  it("leaves out the parameters the report does not take", () => {
    const form = { ...defaultForm, buckets: "30,60", from: "2026-01-01", maxItems: "5" };
    const built = reportQuery("dso", form, "page-2");
    expect(built).toEqual({
      query: {
        level: "group",
        currency: "item",
        page_size: 100,
        page_token: "page-2",
        period_days: 90,
        max_months: 24,
      },
    });
  });

  it("takes each report's own parameters", () => {
    const receipts = reportQuery("cash-receipts", {
      ...defaultForm,
      from: "2026-01-01",
      to: "2026-06-30",
      receiptsPeriod: "week",
    });
    expect(receipts).toMatchObject({ query: { from: "2026-01-01", to: "2026-06-30", period: "week" } });
    const forecast = reportQuery("cash-forecast", { ...defaultForm, forecastPeriod: "month", periods: "6" });
    expect(forecast).toMatchObject({ query: { period: "month", periods: 6 } });
    const disputes = reportQuery("disputes", { ...defaultForm, maxItems: "25" });
    expect(disputes).toMatchObject({ query: { max_items: 25 } });
    expect(reportQuery("item-status", defaultForm)).toEqual({
      query: { level: "group", currency: "item", page_size: 100 },
    });
  });

  it("names the field out of the gateway's limits", () => {
    expect(reportQuery("aging-balance", { ...defaultForm, buckets: "60,30" })).toEqual({ invalid: "buckets" });
    expect(reportQuery("aging-balance", { ...defaultForm, buckets: "30,abc" })).toEqual({ invalid: "buckets" });
    expect(reportQuery("dso", { ...defaultForm, periodDays: "0" })).toEqual({ invalid: "periodDays" });
    expect(reportQuery("dso", { ...defaultForm, maxMonths: "121" })).toEqual({ invalid: "maxMonths" });
    expect(reportQuery("cash-forecast", { ...defaultForm, periods: "1.5" })).toEqual({ invalid: "periods" });
    expect(reportQuery("disputes", { ...defaultForm, maxItems: "1001" })).toEqual({ invalid: "maxItems" });
    expect(reportQuery("collector-activity", { ...defaultForm, from: "2026-02-01", to: "2026-01-01" })).toEqual({
      invalid: "range",
    });
  });

  it("asks the older aging for one entity and a day only", () => {
    expect(agingQuery({ ...defaultForm, entity: "CZ01", level: "customer", asOf: "2026-11-01" })).toEqual({
      entity: "CZ01",
      as_of: "2026-11-01",
    });
    expect(agingQuery(defaultForm)).toEqual({});
  });
});

describe("an export's file name", () => {
  it("prefers the exact UTF-8 name, then the plain one, then the fallback", () => {
    expect(fileNameOf(`attachment; filename="aging_ko.csv"; filename*=UTF-8''aging%20k%C4%8D.csv`, "x.csv")).toBe(
      "aging kč.csv",
    );
    expect(fileNameOf('attachment; filename="dso.xlsx"', "x.xlsx")).toBe("dso.xlsx");
    expect(fileNameOf(null, "dso.xlsx")).toBe("dso.xlsx");
  });
});
