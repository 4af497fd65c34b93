import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { fakeFetch, json, renderApp } from "../test/render";
import { bucketLabel } from "./AgingChart";
import { DashboardPage } from "./DashboardPage";
import { isoDay } from "../format/format";

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

function dsoRow(asOf: string) {
  // Today's figure is the only one the test reads; earlier month-ends differ so the table is not all alike.
  const today = asOf === isoDay();
  return {
    key: "",
    label: "Group",
    currency: "EUR",
    receivables: { amount: "223650.00", currency: "EUR" },
    period_sales: { amount: "412800.00", currency: "EUR" },
    period_days: 90,
    simple_dso: "48.8",
    countback_dso: today ? "46.2" : "50.0",
    countback: [],
    countback_exhausted: false,
  };
}

const FORECAST = {
  header: { as_of: "2026-11-25", next_page_token: null },
  rows: [
    {
      key: "",
      label: "Group",
      currency: "EUR",
      overdue: { amount: "450.00", currency: "EUR" },
      disputed: { amount: "0.00", currency: "EUR" },
      periods: [
        {
          start: "2026-11-23",
          end: "2026-11-29",
          label: "2026-W48",
          amount: { amount: "50.00", currency: "EUR" },
          count: 1,
        },
        {
          start: "2026-11-30",
          end: "2026-12-06",
          label: "2026-W49",
          amount: { amount: "250.00", currency: "EUR" },
          count: 1,
        },
      ],
      later: { amount: "2450.00", currency: "EUR" },
      total: { amount: "3200.00", currency: "EUR" },
    },
  ],
};

const ALERT = {
  alert_id: "al-1",
  key: "limit_exceeded:FR01/C042",
  rule: "limit_exceeded",
  severity: "high",
  summary: "Dupont SARL uses 105% of its 50,000.00 EUR limit",
  facts: {},
  customer_id: "FR01/C042",
  entity: "FR01",
  account_number: "C042",
  customer_name: "Dupont SARL",
  collector: "c.martin",
  subject_id: "FR01/C042",
  raised_at: "2026-11-25T08:00:00+00:00",
  raised_on: "2026-11-25",
  status: "open",
  acknowledged_by: null,
  acknowledged_at: null,
  comment: null,
};

// The machine running the tests may be loaded: wait longer than the default second for answers to show.
const SLOW = { timeout: 8000 };

describe("the dashboard", { timeout: 30_000 }, () => {
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

    expect(await screen.findByText("91.1%", undefined, SLOW)).toBeInTheDocument();
    expect(screen.getByText("€15,405.50 of €16,905.50")).toBeInTheDocument();
    expect(await screen.findByText("7", undefined, SLOW)).toBeInTheDocument();
    // The chart's figures are also a table, for screen readers.
    expect(screen.getByRole("rowheader", { name: "1–30 d" })).toBeInTheDocument();
    expect(screen.getByRole("rowheader", { name: "Not due" })).toBeInTheDocument();
    const agenda = calls.find((c) => c.url.pathname === "/api/v1/agenda")!;
    expect(agenda.url.searchParams.get("entity")).toBe("DEMO");
    expect(agenda.url.searchParams.get("page_size")).toBe("1");
  });

  it("shows the DSO trend, the cash forecast and the open risk alerts, and acknowledges one", async () => {
    const user = userEvent.setup();
    const acknowledged: string[] = [];
    const { fn, calls } = fakeFetch(({ method, url }) => {
      if (url.pathname === "/api/v1/me")
        return json({
          entities: "all",
          permissions: { reports: ["read"], risk_alerts: ["read", "write"] },
        });
      if (url.pathname === "/api/v1/entities")
        return json({
          items: [
            { code: "FR01", name: "France", country: "FR", currency: "EUR", time_zone: "", group_currency: null },
          ],
        });
      if (url.pathname === "/api/v1/reports/aging-balance") return json(AGING);
      if (url.pathname === "/api/v1/reports/dso/series") {
        // Like the gateway: month-ends before the as-of day's month, then the as-of day.
        const asOf = url.searchParams.get("as_of")!;
        const points = Number(url.searchParams.get("points"));
        const [year, month] = [Number(asOf.slice(0, 4)), Number(asOf.slice(5, 7)) - 1];
        const days = [...Array(points - 1).keys()]
          .map((i) => new Date(Date.UTC(year, month - (points - 1 - i) + 1, 0)).toISOString().slice(0, 10))
          .concat(asOf);
        return json({
          points: days.map((day) => ({ header: { as_of: day, next_page_token: null }, rows: [dsoRow(day)] })),
        });
      }
      if (url.pathname === "/api/v1/reports/cash-forecast") return json(FORECAST);
      if (url.pathname === "/api/v1/risk/alerts")
        return json({
          alerts: acknowledged.length ? [] : [ALERT],
          total: acknowledged.length ? 0 : 1,
          next_page_token: null,
        });
      if (method === "POST" && url.pathname === "/api/v1/risk/alerts/al-1/acknowledge") {
        acknowledged.push("al-1");
        return json({ alert: { ...ALERT, status: "acknowledged" }, replayed: false });
      }
      return undefined;
    });
    renderApp(<DashboardPage />, { fetch: fn });

    // Today's countback DSO, and each month-end's in the table beside the line.
    expect(await screen.findByText("46.2 days", undefined, SLOW)).toBeInTheDocument();
    const trend = screen.getByRole("table", { name: "DSO trend (countback)" });
    expect(within(trend).getAllByRole("row")).toHaveLength(13);
    // The whole trend in one request, not one per month.
    expect(calls.filter((c) => c.url.pathname === "/api/v1/reports/dso")).toHaveLength(0);
    const dsoCalls = calls.filter((c) => c.url.pathname === "/api/v1/reports/dso/series");
    expect(dsoCalls).toHaveLength(1);
    expect(dsoCalls[0]!.url.searchParams.get("points")).toBe("12");
    expect(dsoCalls[0]!.url.searchParams.get("as_of")).toBe(isoDay());
    expect(dsoCalls[0]!.url.searchParams.get("level")).toBe("group");

    const forecast = await screen.findByRole("table", { name: "Cash forecast, next 8 weeks" }, SLOW);
    const group = within(forecast).getByRole("row", { name: /Group/ });
    for (const amount of ["€450.00", "€50.00", "€250.00", "€2,450.00", "€3,200.00"])
      expect(within(group).getByText(amount)).toBeInTheDocument();
    expect(within(forecast).getByRole("columnheader", { name: "2026-W49" })).toBeInTheDocument();

    const alerts = await screen.findByRole("list", { name: "Risk alerts" }, SLOW);
    expect(within(alerts).getByText("Limit exceeded")).toBeInTheDocument();
    expect(within(alerts).getByRole("link", { name: "Dupont SARL" })).toHaveAttribute("href", "/customers/FR01/C042");
    await user.click(within(alerts).getByRole("button", { name: /Acknowledge/ }));
    expect(await screen.findByText("No open alert.", undefined, SLOW)).toBeInTheDocument();
    expect(acknowledged).toEqual(["al-1"]);

    // One entity instead of the group: every report and the alerts follow the switch.
    await user.selectOptions(await screen.findByRole("combobox", { name: "Entity" }, SLOW), "FR01");
    await user.selectOptions(screen.getByRole("combobox", { name: "Currency" }), "entity");
    await waitFor(() => {
      const forecast = calls.filter((c) => c.url.pathname === "/api/v1/reports/cash-forecast").at(-1)!;
      expect(forecast.url.searchParams.getAll("entity")).toEqual(["FR01"]);
      expect(forecast.url.searchParams.get("currency")).toBe("entity");
      expect(forecast.url.searchParams.get("period")).toBe("week");
    });
    await waitFor(() => {
      const series = calls.filter((c) => c.url.pathname === "/api/v1/reports/dso/series").at(-1)!;
      expect(series.url.searchParams.getAll("entity")).toEqual(["FR01"]);
      expect(series.url.searchParams.get("currency")).toBe("entity");
    });
    const aging = calls.filter((c) => c.url.pathname === "/api/v1/reports/aging-balance").at(-1)!;
    expect(aging.url.searchParams.getAll("entity")).toEqual(["FR01"]);
    const alertCall = calls.filter((c) => c.url.pathname === "/api/v1/risk/alerts").at(-1)!;
    expect(alertCall.url.searchParams.get("entity")).toBe("FR01");
    expect(alertCall.url.searchParams.get("status")).toBe("open");
  });

  it("names the gateway's buckets in the interface language", () => {
    const t = (key: string, options?: Record<string, unknown>) => `${key}${JSON.stringify(options ?? {})}`;
    expect(bucketLabel("not due", t)).toBe("dashboard.bucket.notDue{}");
    expect(bucketLabel("31-60", t)).toBe('dashboard.bucket.range{"from":"31","to":"60"}');
    expect(bucketLabel(">180", t)).toBe('dashboard.bucket.over{"days":"180"}');
    expect(bucketLabel("custom", t)).toBe("custom");
  });
});
