import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { Route, Routes } from "react-router";
import { describe, expect, it } from "vitest";
import { fakeFetch, json, renderApp } from "../test/render";
import { CustomerPage } from "./CustomerPage";

const ACCOUNT = {
  customer: {
    customer_id: "FR01/C001",
    entity: "FR01",
    account_number: "C001",
    name: "Boulangerie Martin",
    email: null,
    language: "fr",
    country: "FR",
    customer_group: null,
    sector: null,
    collector: "Marie",
    sales_rep: null,
    preferred_channel: null,
  },
  contacts: [{ name: "Paul Martin", email: "paul@example.fr", phone: null, role: "collection", language: "fr" }],
  items: [
    {
      item_id: "FR01/invoice/F-1",
      number: "F-1",
      kind: "invoice",
      issue_date: "2020-01-01",
      due_date: "2020-01-31",
      amount: { amount: "1000.00", currency: "EUR" },
      open_amount: { amount: "400.00", currency: "EUR" },
      reference: null,
    },
    {
      item_id: "FR01/invoice/F-2",
      number: "F-2",
      kind: "invoice",
      issue_date: "2020-02-01",
      due_date: "2020-02-29",
      amount: { amount: "250.00", currency: "EUR" },
      open_amount: { amount: "250.00", currency: "EUR" },
      reference: null,
    },
  ],
};

const QUALIFIED = {
  id: "e1",
  occurred_at: "2026-11-20T09:30:00Z",
  kind: "item.qualified",
  actor: "marie@example.com",
  actor_type: "user",
  summary: "F-2 put in status dispute by marie@example.com",
  item_ids: ["FR01/invoice/F-2"],
  detail: { status: "dispute", since: "2026-11-20", item_ids: ["FR01/invoice/F-2"] },
};

// Generous: the page asks for several panels at once, and the machine running the tests may be loaded.
describe("the customer account", { timeout: 30_000 }, () => {
  it("lists open items with their status, the totals and the timeline", async () => {
    const { fn, calls } = fakeFetch(({ url }) => {
      if (url.pathname === "/api/v1/customers/FR01/C001") return json(ACCOUNT);
      if (url.pathname === "/api/v1/customers/FR01/C001/timeline")
        return json({ customer_id: "FR01/C001", entries: [QUALIFIED], next_page_token: null });
      if (url.pathname === "/api/v1/me") return json({ permissions: {} });
      return undefined;
    });
    renderApp(
      <Routes>
        <Route path="/customers/:entity/:account" element={<CustomerPage />} />
      </Routes>,
      { fetch: fn, path: "/customers/FR01/C001" },
    );

    expect(await screen.findByRole("heading", { name: "Boulangerie Martin" })).toBeInTheDocument();
    const items = screen.getByRole("table", { name: "Open items" });
    const rows = within(items).getAllByRole("row");
    expect(within(rows[1]!).getByText("F-1")).toBeInTheDocument();
    expect(within(rows[1]!).getByText("Overdue")).toBeInTheDocument();
    expect(await within(rows[2]!).findByText("Dispute")).toBeInTheDocument();
    expect(screen.getAllByText("€650.00").length).toBeGreaterThan(0);
    expect(await screen.findByText("F-2 put in status dispute by marie@example.com")).toBeInTheDocument();
    expect(screen.getByText("Paul Martin")).toBeInTheDocument();
    const statusQuery = calls.find((c) => c.url.searchParams.get("kind") === "item.qualified");
    expect(statusQuery).toBeDefined();
  });

  it("shows the gateway's 404 for an account out of reach", async () => {
    const { fn } = fakeFetch(({ url }) =>
      url.pathname === "/api/v1/me"
        ? json({ permissions: {} })
        : json({ type: "about:blank", title: "Not found", status: 404, detail: "no customer FR01/C999" }, 404),
    );
    renderApp(
      <Routes>
        <Route path="/customers/:entity/:account" element={<CustomerPage />} />
      </Routes>,
      { fetch: fn, path: "/customers/FR01/C999" },
    );
    expect(await screen.findByText("no customer FR01/C999")).toBeInTheDocument();
  });

  it("offers the organisation's own statuses, labelled in the user's language", async () => {
    const { fn } = fakeFetch(({ url }) => {
      if (url.pathname === "/api/v1/me") return json({ permissions: { qualifications: ["read", "write"] } });
      if (url.pathname === "/api/v1/customers/FR01/C001") return json(ACCOUNT);
      if (url.pathname === "/api/v1/customers/FR01/C001/timeline") return json({ entries: [], next_page_token: null });
      if (url.pathname === "/api/v1/item-statuses")
        return json({
          version: 3,
          updated_by: "admin@example.com",
          updated_at: "2026-11-20T10:00:00Z",
          statuses: [
            { code: "dispute", labels: { en: "Dispute" } },
            { code: "call_back", labels: { en: "Call back later", fr: "Rappeler plus tard" } },
            { code: "payment_plan", labels: { en: "Payment plan" } },
          ],
        });
      return undefined;
    });
    renderApp(
      <Routes>
        <Route path="/customers/:entity/:account" element={<CustomerPage />} />
      </Routes>,
      { fetch: fn, path: "/customers/FR01/C001" },
    );

    const select = await screen.findByLabelText("Status");
    await waitFor(() =>
      expect(
        within(select)
          .getAllByRole("option")
          .map((o) => o.textContent),
      ).toEqual(["Dispute", "Call back later"]),
    );
  });

  it("puts the selected items in dispute and shows their new status", async () => {
    const user = userEvent.setup();
    let disputed = false;
    const { fn, calls } = fakeFetch(({ method, url }) => {
      if (url.pathname === "/api/v1/me") return json({ permissions: { qualifications: ["read", "write"] } });
      if (url.pathname === "/api/v1/customers/FR01/C001") return json(ACCOUNT);
      if (url.pathname === "/api/v1/customers/FR01/C001/timeline")
        return json({
          entries: disputed
            ? [
                {
                  ...QUALIFIED,
                  item_ids: ["FR01/invoice/F-1"],
                  detail: { status: "dispute", item_ids: ["FR01/invoice/F-1"] },
                },
              ]
            : [],
          next_page_token: null,
        });
      if (url.pathname === "/api/v1/customers/FR01/C001/qualifications" && method === "POST") {
        disputed = true;
        return json({ statuses: [{ item_id: "FR01/invoice/F-1", status: "dispute" }], replayed: false });
      }
      return undefined;
    });
    renderApp(
      <Routes>
        <Route path="/customers/:entity/:account" element={<CustomerPage />} />
      </Routes>,
      { fetch: fn, path: "/customers/FR01/C001" },
    );

    await user.click(await screen.findByRole("checkbox", { name: "Select item F-1" }));
    await user.type(screen.getByLabelText("Comment"), "price not agreed");
    await user.type(screen.getByLabelText("Owner"), "sales");
    await user.click(screen.getByRole("button", { name: "Apply the status" }));

    await waitFor(() => expect(calls.some((c) => c.method === "POST")).toBe(true));
    expect(calls.find((c) => c.method === "POST")!.body).toEqual({
      item_ids: ["FR01/invoice/F-1"],
      status: "dispute",
      comment: "price not agreed",
      owner: "sales",
      send_confirmation: false,
    });
    const firstRow = within(screen.getByRole("table", { name: "Open items" })).getAllByRole("row")[1]!;
    expect(await within(firstRow).findByText("Dispute")).toBeInTheDocument();
  });
});
