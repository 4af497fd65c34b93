import { screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { fakeFetch, json, renderApp } from "../test/render";
import { bucketLabel } from "./AgingChart";
import { DashboardPage } from "./DashboardPage";

function bucket(label: string, amount: string, count: number) {
  return { label, amount: { amount, currency: "EUR" }, count };
}

const AGING = {
  header: { as_of: "2026-11-25", level: "group", currency_mode: "item", problems: [], next_page_token: null },
  rows: [
    {
      key: "",
      label: "Group",
      currency: "EUR",
      buckets: [bucket("not due", "1500.00", 2), bucket("1-30", "15405.50", 4), bucket(">30", "0.00", 0)],
      total: { amount: "16905.50", currency: "EUR" },
      overdue: { amount: "15405.50", currency: "EUR" },
      percent_overdue: "91.13",
      count: 6,
    },
  ],
};

describe("the dashboard", () => {
  it("shows the aging balance, % overdue and the day's task count", async () => {
    const { fn, calls } = fakeFetch(({ url }) => {
      if (url.pathname === "/api/v1/me")
        return json({ entities: ["DEMO"], permissions: { agenda: ["read", "write"], reports: ["read"] } });
      if (url.pathname === "/api/v1/entities") return json({ items: [] });
      if (url.pathname === "/api/v1/reports/aging-balance") return json(AGING);
      if (url.pathname === "/api/v1/agenda") return json({ items: [], total: 7, next_page_token: null });
      return undefined;
    });
    renderApp(<DashboardPage />, { fetch: fn });

    expect(await screen.findByText("91.1%")).toBeInTheDocument();
    expect(screen.getByText("€15,405.50 of €16,905.50")).toBeInTheDocument();
    expect(await screen.findByText("7")).toBeInTheDocument();
    // The chart's figures are also a table, for screen readers.
    expect(screen.getByRole("rowheader", { name: "1–30 d" })).toBeInTheDocument();
    expect(screen.getByRole("rowheader", { name: "Not due" })).toBeInTheDocument();
    const agenda = calls.find((c) => c.url.pathname === "/api/v1/agenda")!;
    expect(agenda.url.searchParams.get("entity")).toBe("DEMO");
    expect(agenda.url.searchParams.get("page_size")).toBe("1");
  });

  it("names the gateway's buckets in the interface language", () => {
    const t = (key: string, options?: Record<string, unknown>) => `${key}${JSON.stringify(options ?? {})}`;
    expect(bucketLabel("not due", t)).toBe("dashboard.bucket.notDue{}");
    expect(bucketLabel("31-60", t)).toBe('dashboard.bucket.range{"from":"31","to":"60"}');
    expect(bucketLabel(">180", t)).toBe('dashboard.bucket.over{"days":"180"}');
    expect(bucketLabel("custom", t)).toBe("custom");
  });
});
