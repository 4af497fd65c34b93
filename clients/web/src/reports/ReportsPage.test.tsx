import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { fakeFetch, json, renderApp } from "../test/render";
import { ReportsPage } from "./ReportsPage";

const HEADER = { as_of: "2026-11-25", level: "group", currency_mode: "item", problems: [], next_page_token: null };

const AGING = {
  header: HEADER,
  rows: [
    {
      key: "",
      label: "Group",
      currency: "EUR",
      buckets: [
        { label: "not due", amount: { amount: "1500.00", currency: "EUR" }, count: 2 },
        { label: "1-30", amount: { amount: "15405.50", currency: "EUR" }, count: 4 },
      ],
      total: { amount: "16905.50", currency: "EUR" },
      overdue: { amount: "15405.50", currency: "EUR" },
      percent_overdue: "91.13",
      count: 6,
    },
  ],
};

const DSO = {
  header: { ...HEADER, level: "entity", currency_mode: "group", next_page_token: "next-1" },
  rows: [
    {
      key: "FR01",
      label: "France",
      currency: "EUR",
      receivables: { amount: "223650.00", currency: "EUR" },
      period_sales: { amount: "412800.00", currency: "EUR" },
      period_days: 30,
      simple_dso: "48.8",
      countback_dso: "46.2",
      countback: [],
      countback_exhausted: false,
    },
  ],
};

function gateway() {
  return fakeFetch(({ url }) => {
    if (url.pathname === "/api/v1/me") return json({ entities: ["FR01", "CZ01"], permissions: { reports: ["read"] } });
    if (url.pathname === "/api/v1/entities") return json({ items: [] });
    if (url.pathname === "/api/v1/reports/aging-balance") return json(AGING);
    if (url.pathname === "/api/v1/reports/dso") {
      if (url.searchParams.get("format") === "xlsx")
        return new Response(new Uint8Array([0x50, 0x4b, 0x03, 0x04]), {
          headers: {
            "Content-Type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "Content-Disposition": `attachment; filename="dso_FR01.xlsx"; filename*=UTF-8''dso%20FR01.xlsx`,
          },
        });
      return json(DSO);
    }
    return undefined;
  });
}

afterEach(() => vi.restoreAllMocks());

// The machine running the tests may be loaded: wait longer than the default second for answers to show.
const SLOW = { timeout: 8000 };

describe("the reports screen", { timeout: 30_000 }, () => {
  it("shows the aging balance first, with its exact figures", async () => {
    const { fn } = gateway();
    renderApp(<ReportsPage />, { fetch: fn });
    const table = await screen.findByRole("table", { name: "Aging balance" }, SLOW);
    const row = within(table).getByRole("row", { name: /Group/ });
    // The 1–30 bucket and the overdue total.
    expect(within(row).getAllByText("€15,405.50")).toHaveLength(2);
    expect(within(row).getByText("€16,905.50")).toBeInTheDocument();
    expect(within(row).getByText("91.1%")).toBeInTheDocument();
    expect(within(table).getByRole("columnheader", { name: "1–30 d" })).toBeInTheDocument();
  });

  it("asks the report with the level, currency, entity and its own parameters", async () => {
    const user = userEvent.setup();
    const { fn, calls } = gateway();
    renderApp(<ReportsPage />, { fetch: fn });
    await screen.findByRole("table", { name: "Aging balance" }, SLOW);

    await user.selectOptions(screen.getByLabelText("Report"), "dso");
    await user.selectOptions(screen.getByLabelText("One row per"), "entity");
    await user.selectOptions(screen.getByLabelText("Currency"), "group");
    await user.selectOptions(await screen.findByRole("combobox", { name: "Entity" }, SLOW), "FR01");
    const days = screen.getByLabelText("Days of sales (simple method)");
    await user.clear(days);
    await user.type(days, "30");
    await user.click(screen.getByRole("button", { name: "Show the report" }));

    const table = await screen.findByRole("table", { name: "Days sales outstanding (DSO)" }, SLOW);
    expect(within(table).getByText("46.2")).toBeInTheDocument();
    const dso = calls.filter((c) => c.url.pathname === "/api/v1/reports/dso").at(-1)!;
    expect(dso.url.searchParams.get("level")).toBe("entity");
    expect(dso.url.searchParams.get("currency")).toBe("group");
    expect(dso.url.searchParams.getAll("entity")).toEqual(["FR01"]);
    expect(dso.url.searchParams.get("period_days")).toBe("30");
    expect(dso.url.searchParams.get("max_months")).toBe("24");
    expect(dso.url.searchParams.has("buckets")).toBe(false);

    // The next page goes back with the gateway's token.
    await user.click(screen.getByRole("button", { name: "Next page" }));
    await waitFor(() =>
      expect(
        calls
          .filter((c) => c.url.pathname === "/api/v1/reports/dso")
          .at(-1)!
          .url.searchParams.get("page_token"),
      ).toBe("next-1"),
    );
  });

  it("refuses a parameter out of the gateway's limits without asking", async () => {
    const user = userEvent.setup();
    const { fn, calls } = gateway();
    renderApp(<ReportsPage />, { fetch: fn });
    await screen.findByRole("table", { name: "Aging balance" }, SLOW);
    await user.type(screen.getByLabelText("Aging buckets (days)"), "60,30");
    const before = calls.length;
    await user.click(screen.getByRole("button", { name: "Show the report" }));
    expect(
      await screen.findByText("Give increasing day counts from 1, such as 30,60,90", undefined, SLOW),
    ).toBeInTheDocument();
    expect(calls.length).toBe(before);
  });

  it("downloads the gateway's XLSX export with the signed-in token", async () => {
    const user = userEvent.setup();
    const { fn, calls } = gateway();
    const created: Blob[] = [];
    URL.createObjectURL = vi.fn((blob: Blob) => {
      created.push(blob);
      return "blob:report";
    });
    URL.revokeObjectURL = vi.fn();
    const clicked: HTMLAnchorElement[] = [];
    vi.spyOn(HTMLAnchorElement.prototype, "click").mockImplementation(function (this: HTMLAnchorElement) {
      clicked.push(this);
    });
    renderApp(<ReportsPage />, { fetch: fn });
    await screen.findByRole("table", { name: "Aging balance" }, SLOW);
    await user.selectOptions(screen.getByLabelText("Report"), "dso");
    await screen.findByRole("table", { name: "Days sales outstanding (DSO)" }, SLOW);

    await user.click(screen.getByRole("button", { name: "Export as XLSX" }));

    await waitFor(() => expect(clicked).toHaveLength(1));
    const exported = calls.find((c) => c.url.searchParams.get("format") === "xlsx")!;
    expect(exported.url.pathname).toBe("/api/v1/reports/dso");
    expect(exported.headers.get("Authorization")).toBe("Bearer access-1");
    expect(exported.url.searchParams.get("period_days")).toBe("90");
    expect(clicked[0]!.download).toBe("dso FR01.xlsx");
    expect(new Uint8Array(await created[0]!.arrayBuffer())).toEqual(new Uint8Array([0x50, 0x4b, 0x03, 0x04]));
  });

  it("refreshes the token once when the export is refused as expired", async () => {
    const user = userEvent.setup();
    // The access token expires while the screen is open: from then on the gateway refuses it everywhere.
    let expired = false;
    const { fn, calls } = fakeFetch(({ url, headers }) => {
      if (url.pathname === "/api/v1/auth/refresh")
        return json({
          access_token: "access-2",
          refresh_token: "refresh-2",
          token_type: "bearer",
          expires_in: 900,
          refresh_expires_in: 1,
        });
      if (url.searchParams.get("format") === "csv") expired = true;
      if (expired && headers.get("Authorization") === "Bearer access-1")
        return json({ title: "Unauthorized", status: 401 }, 401);
      if (url.pathname === "/api/v1/me") return json({ entities: "all", permissions: { reports: ["read"] } });
      if (url.pathname === "/api/v1/entities") return json({ items: [] });
      if (url.searchParams.get("format") === "csv")
        return new Response("label;total\nGroup;16905.50\n", {
          headers: { "Content-Type": "text/csv", "Content-Disposition": 'attachment; filename="aging.csv"' },
        });
      if (url.pathname === "/api/v1/reports/aging-balance") return json(AGING);
      return undefined;
    });
    URL.createObjectURL = vi.fn(() => "blob:report");
    URL.revokeObjectURL = vi.fn();
    const clicked: string[] = [];
    vi.spyOn(HTMLAnchorElement.prototype, "click").mockImplementation(function (this: HTMLAnchorElement) {
      clicked.push(this.download);
    });
    renderApp(<ReportsPage />, { fetch: fn });
    await screen.findByRole("table", { name: "Aging balance" }, SLOW);

    await user.click(screen.getByRole("button", { name: "Export as CSV" }));

    await waitFor(() => expect(clicked).toEqual(["aging.csv"]));
    const exports = calls.filter((c) => c.url.searchParams.get("format") === "csv");
    expect(exports.map((c) => c.headers.get("Authorization"))).toEqual(["Bearer access-1", "Bearer access-2"]);
  });
});
