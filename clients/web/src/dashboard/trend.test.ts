import { describe, expect, it } from "vitest";
import { dsoTrend, scopeQuery } from "./trend";

function dso(as_of: string, rows: { currency: string; countback: string }[]) {
  return {
    header: { as_of, next_page_token: null },
    rows: rows.map((r) => ({
      key: "",
      label: "Group",
      currency: r.currency,
      receivables: { amount: "1.00", currency: r.currency },
      period_sales: { amount: "1.00", currency: r.currency },
      period_days: 90,
      simple_dso: "1",
      countback_dso: r.countback,
      countback: [],
      countback_exhausted: false,
    })),
  };
}

describe("the dashboard's DSO trend", () => {
  it("draws a line per currency and leaves a gap where a day has no figure", () => {
    const { model, latest } = dsoTrend(
      ["2026-09-30", "2026-10-31", "2026-11-25"],
      [
        dso("2026-09-30", [{ currency: "EUR", countback: "51.0" }]),
        dso("2026-10-31", [
          { currency: "EUR", countback: "48.5" },
          { currency: "CZK", countback: "30.2" },
        ]),
        dso("2026-11-25", [{ currency: "EUR", countback: "46.2" }]),
      ],
      (day) => day.slice(5),
    );
    expect(model.categories).toEqual(["09-30", "10-31", "11-25"]);
    expect(model.series).toEqual([
      { name: "EUR", label: "EUR", values: [51, 48.5, 46.2] },
      { name: "CZK", label: "CZK", values: [null, 30.2, null] },
    ]);
    expect(latest.map((r) => r.countback_dso)).toEqual(["46.2"]);
  });

  it("asks for the whole group or one entity, in the chosen currency", () => {
    expect(scopeQuery({ entity: "", currency: "group" })).toEqual({ level: "group", currency: "group" });
    expect(scopeQuery({ entity: "FR01", currency: "entity" })).toEqual({
      level: "group",
      currency: "entity",
      entity: ["FR01"],
    });
  });
});
