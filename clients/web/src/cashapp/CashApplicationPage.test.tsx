import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { fakeFetch, json, renderApp, type Route } from "../test/render";
import { CashApplicationPage } from "./CashApplicationPage";
import type { ReviewEntry } from "./types";

const ME = {
  user_id: "u1",
  email: "marie@example.com",
  name: "Marie",
  role: "collector",
  entities: "all",
  portfolio: null,
  permissions: { cash_application: ["read", "write"] },
};

const ENTRY: ReviewEntry = {
  transaction: {
    transaction_id: "tx-1",
    entity: "FR01",
    booking_date: "2026-11-20",
    value_date: "2026-11-20",
    amount: { amount: "650.00", currency: "EUR" },
    counterparty_name: "BOULANGERIE MARTIN",
    counterparty_iban: "FR7630006000011234567890189",
    remittance_text: "FACT F-1 F-2",
    structured_reference: null,
    structured_reference_type: null,
  },
  status: "in_review",
  allocation_id: null,
  updated_at: null,
  proposal: {
    outcome: "review",
    confidence: 0.72,
    customer_id: "FR01/C001",
    allocations: [
      {
        item_id: "FR01/invoice/F-1",
        item_number: "F-1",
        amount: { amount: "400.00", currency: "EUR" },
        write_off: null,
      },
    ],
    unallocated: { amount: "250.00", currency: "EUR" },
    reasons: ["invoice number F-1 in the remittance text", "payer name close to the customer's"],
    rate: null,
    alternative_item_ids: ["FR01/invoice/F-2"],
  },
};

const ACCOUNT = {
  customer: { customer_id: "FR01/C001", entity: "FR01", account_number: "C001", name: "Boulangerie Martin" },
  contacts: [],
  items: [
    {
      item_id: "FR01/invoice/F-1",
      number: "F-1",
      kind: "invoice",
      issue_date: "2026-09-01",
      due_date: "2026-10-01",
      amount: { amount: "400.00", currency: "EUR" },
      open_amount: { amount: "400.00", currency: "EUR" },
      reference: null,
    },
    {
      item_id: "FR01/invoice/F-2",
      number: "F-2",
      kind: "invoice",
      issue_date: "2026-09-15",
      due_date: "2026-10-15",
      amount: { amount: "300.10", currency: "EUR" },
      open_amount: { amount: "300.10", currency: "EUR" },
      reference: null,
    },
  ],
};

function gateway(extra: Route = () => undefined) {
  return fakeFetch((call) => {
    const { method, url } = call;
    if (url.pathname === "/api/v1/me") return json(ME);
    if (url.pathname === "/api/v1/entities") return json({ items: [] });
    if (url.pathname === "/api/v1/matching/review") return json({ entries: [ENTRY], next_page_token: null, total: 1 });
    if (url.pathname === "/api/v1/matching/suspense") return json({ entries: [], next_page_token: null, total: 0 });
    if (url.pathname === "/api/v1/customers/FR01/C001") return json(ACCOUNT);
    if (method === "POST" && url.pathname === "/api/v1/matching/transactions/tx-1/confirm")
      return json({
        entry: { ...ENTRY, status: "applied", allocation_id: "al-1" },
        allocation_id: "al-1",
        learned: [],
        replayed: false,
      });
    return extra(call);
  });
}

describe("the cash application screen", () => {
  it("shows the proposal with its confidence and reasons, and confirms it as it stands", async () => {
    const { fn, calls } = gateway();
    const user = userEvent.setup();
    renderApp(<CashApplicationPage />, { fetch: fn, path: "/cash-application" });

    const card = await screen.findByRole("article", { name: /BOULANGERIE MARTIN/ });
    expect(within(card).getByText("Confidence 72.0%")).toBeInTheDocument();
    expect(within(card).getByText("invoice number F-1 in the remittance text")).toBeInTheDocument();
    expect(within(card).getByText("€650.00")).toBeInTheDocument();
    expect(within(card).getByText("Left unallocated on the customer: €250.00")).toBeInTheDocument();

    await user.click(within(card).getByRole("button", { name: "Confirm the proposal" }));
    await waitFor(() => expect(calls.some((c) => c.url.pathname.endsWith("/confirm"))).toBe(true));
    const confirm = calls.find((c) => c.url.pathname.endsWith("/confirm"))!;
    expect(confirm.body).toEqual({ accept_proposal: true });
    // Applied: the line leaves the queue and can be reversed from this page.
    await waitFor(() => expect(screen.queryByRole("article", { name: /BOULANGERIE MARTIN/ })).not.toBeInTheDocument());
    expect(screen.getByRole("button", { name: "Reverse" })).toBeDisabled();
  }, 60_000);

  it("splits the payment over items picked from the account, checking the sum exactly", async () => {
    const { fn, calls } = gateway();
    const user = userEvent.setup();
    renderApp(<CashApplicationPage />, { fetch: fn, path: "/cash-application" });

    const card = await screen.findByRole("article", { name: /BOULANGERIE MARTIN/ });
    await user.click(within(card).getByRole("button", { name: "Other items or a split…" }));
    await user.click(within(card).getByRole("button", { name: "Show open items" }));
    await user.click(await within(card).findByRole("checkbox", { name: "Apply to F-2" }));
    // F-2 owes 300.10 but the payment has 250.00 left after F-1's 400.00: it takes what is left.
    const f2 = within(card).getByRole("textbox", { name: "Amount for F-2 in EUR" });
    expect(f2).toHaveValue("250.00");
    expect(within(card).getByText("Allocated €650.00 of €650.00")).toBeInTheDocument();

    await user.clear(f2);
    await user.click(f2);
    await user.paste("250,01");
    await user.click(within(card).getByRole("button", { name: "Apply" }));
    expect(within(card).getByRole("alert")).toHaveTextContent("More is allocated than the payment brought in.");
    expect(calls.some((c) => c.url.pathname.endsWith("/confirm"))).toBe(false);

    await user.clear(f2);
    await user.click(f2);
    await user.paste("240");
    await user.click(within(card).getByRole("textbox", { name: "Write-off for F-2" }));
    await user.paste("10.00");
    await user.click(within(card).getByRole("checkbox", { name: "Remember this payer for the customer" }));
    await user.click(within(card).getByRole("button", { name: "Apply" }));
    await waitFor(() => expect(calls.some((c) => c.url.pathname.endsWith("/confirm"))).toBe(true));
    expect(calls.find((c) => c.url.pathname.endsWith("/confirm"))!.body).toEqual({
      customer_id: "FR01/C001",
      allocations: [
        { item_id: "FR01/invoice/F-1", amount: "400.00" },
        { item_id: "FR01/invoice/F-2", amount: "240", write_off: "10.00" },
      ],
      learn: false,
    });
  }, 60_000);

  it("reverses an allocation found by its bank line, with a reason", async () => {
    const { fn, calls } = gateway(({ method, url }) => {
      if (url.pathname === "/api/v1/matching/transactions/tx-9")
        return json({
          ...ENTRY,
          transaction: { ...ENTRY.transaction, transaction_id: "tx-9" },
          status: "applied",
          allocation_id: "al-9",
        });
      if (method === "POST" && url.pathname === "/api/v1/matching/allocations/al-9/reverse")
        return json({ entry: { ...ENTRY, status: "in_review" }, allocation_id: "al-9", learned: [], replayed: false });
      return undefined;
    });
    const user = userEvent.setup();
    renderApp(<CashApplicationPage />, { fetch: fn, path: "/cash-application" });

    await user.click(await screen.findByRole("textbox", { name: "Bank line id" }));
    await user.paste("tx-9");
    await user.click(screen.getByRole("button", { name: "Find" }));
    const reason = await screen.findByRole("textbox", { name: "Reason" });
    await user.click(reason);
    await user.paste("Wrong customer: same name");
    await user.click(screen.getByRole("button", { name: "Reverse" }));
    await waitFor(() => expect(calls.some((c) => c.url.pathname.endsWith("/reverse"))).toBe(true));
    expect(calls.find((c) => c.url.pathname.endsWith("/reverse"))!.body).toEqual({
      reason: "Wrong customer: same name",
    });
  }, 60_000);
});
