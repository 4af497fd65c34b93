import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { Route, Routes } from "react-router";
import { describe, expect, it } from "vitest";
import { fakeFetch, json, renderApp, type Route as FakeRoute } from "../test/render";
import { CustomerPage } from "./CustomerPage";
import { penaltiesDue } from "./PenaltiesPanel";
import { formatUse } from "./RiskPanel";

const BASE = "/api/v1/customers/FR01/C001";

function invoice(id: string, open: string, due = "2026-01-31") {
  return {
    item_id: `FR01/invoice/${id}`,
    number: id,
    kind: "invoice",
    issue_date: "2026-01-01",
    due_date: due,
    amount: { amount: open, currency: "EUR" },
    open_amount: { amount: open, currency: "EUR" },
    reference: null,
  };
}

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
  contacts: [],
  items: [invoice("F-1", "400.00"), invoice("F-2", "250.50")],
};

const PLAN = {
  plan_id: "plan-1",
  customer_id: "FR01/C001",
  entity: "FR01",
  state: "active",
  item_ids: ["FR01/invoice/F-9"],
  total: { amount: "900.00", currency: "EUR" },
  paid: { amount: "300.00", currency: "EUR" },
  frequency: "monthly",
  created_on: "2026-10-01",
  created_by: "marie@example.com",
  comment: "Seasonal shortfall",
  ended_on: null,
  instalments: [1, 2, 3].map((n) => ({
    item_id: `FR01/instalment/plan-1-${n}`,
    number: `plan-1/${n}`,
    sequence: n,
    due_date: `2026-1${n - 1}-15`,
    amount: { amount: "300.00", currency: "EUR" },
    open_amount: { amount: n === 1 ? "0.00" : "300.00", currency: "EUR" },
  })),
};

const RISK = {
  customer_id: "FR01/C001",
  name: "Boulangerie Martin",
  as_of: "2026-11-25",
  score: {
    rated: true,
    value: 62,
    grade: "C",
    points: "0.62",
    rated_weight: "1.00",
    parts: [
      {
        name: "behaviour",
        value: "12.5",
        measure: "average days late, amount-weighted, last 12 months",
        weight: "0.40",
        quality: "0.70",
        points: "0.28",
        rated: true,
        explanation: "12.5 days late",
      },
      {
        name: "external_rating",
        value: null,
        measure: "agency rating",
        weight: "0.10",
        quality: "0",
        points: "0",
        rated: false,
        explanation: "no rating",
      },
    ],
  },
  behaviour: { trend: "worsening", trend_explanation: "5 days later" },
  open_balance: [{ amount: "650.50", currency: "EUR" }],
  overdue_balance: [{ amount: "650.50", currency: "EUR" }],
  limits: [
    {
      limit_id: "customer:FR01/C001",
      holder_kind: "customer",
      holder_id: "FR01/C001",
      holder_name: "Boulangerie Martin",
      entity: "FR01",
      amount: { amount: "500.00", currency: "EUR" },
      review_on: "2027-01-31",
      comment: "",
      source: "manual",
      use: {
        known: true,
        balance: { amount: "650.50", currency: "EUR" },
        use: "1.3010",
        headroom: { amount: "-150.50", currency: "EUR" },
        open_by_currency: [],
        problem: null,
        computed_on: "2026-11-25",
        customers: 1,
      },
    },
  ],
  covers: [
    {
      cover_id: "cov-1",
      holder_kind: "customer",
      holder_name: "Boulangerie Martin",
      insurer: "Allianz Trade",
      amount: { amount: "1000.00", currency: "EUR" },
      kind: "permanent",
      starts_on: "2026-01-01",
      expires_on: "2026-12-31",
      policy_reference: "POL-42",
    },
  ],
  external_rating: null,
};

const PENALTIES = {
  customer_id: "FR01/C001",
  as_of: "2026-11-25",
  terms: { law: "FR", issue_items: false, charge_interest: true, charge_compensation: true, minimum_interest: null },
  invoices: [
    {
      item_id: "FR01/invoice/F-1",
      number: "F-1",
      due_date: "2026-01-31",
      open_amount: { amount: "400.00", currency: "EUR" },
      days_late: 298,
      interest_to_date: { amount: "38.95", currency: "EUR" },
      compensation: { amount: "40.00", currency: "EUR" },
      interest_not_issued: { amount: "38.95", currency: "EUR" },
      compensation_issued: false,
      interest_issued_to: null,
      problem: null,
    },
    {
      item_id: "FR01/invoice/F-2",
      number: "F-2",
      due_date: "2026-01-31",
      open_amount: { amount: "250.50", currency: "EUR" },
      days_late: 298,
      interest_to_date: { amount: "24.40", currency: "EUR" },
      compensation: { amount: "40.00", currency: "EUR" },
      interest_not_issued: null,
      compensation_issued: true,
      interest_issued_to: null,
      problem: null,
    },
  ],
  issued: [],
};

const PROMISES = [
  {
    promise_id: "p-2",
    item_ids: ["FR01/invoice/F-2"],
    amount: { amount: "250.50", currency: "EUR" },
    promised_on: "2026-12-01",
    created_on: "2026-11-20",
    by: "portal:FR01/C001",
    state: "open",
  },
  {
    promise_id: "p-1",
    item_ids: ["FR01/invoice/F-1", "FR01/invoice/F-0"],
    amount: { amount: "400.00", currency: "EUR" },
    promised_on: "2026-11-10",
    created_on: "2026-11-01",
    by: "marie@example.com",
    state: "broken",
  },
];

function gateway(extra: FakeRoute = () => undefined) {
  return fakeFetch((request) => {
    const { url } = request;
    const answer = extra(request);
    if (answer) return answer;
    if (url.pathname === "/api/v1/me")
      return json({
        entities: "all",
        permissions: { payment_plans: ["read", "write"], risk: ["read"], penalties: ["read"], customers: ["read"] },
      });
    if (url.pathname === BASE) return json(ACCOUNT);
    if (url.pathname === `${BASE}/timeline`) return json({ entries: [], next_page_token: null });
    if (url.pathname === `${BASE}/next-action`)
      return json({
        customer_id: "FR01/C001",
        action: "propose_payment_plan",
        reason: "Two reminders without an answer and 650.50 EUR overdue",
        rule: "step_due",
        facts: {},
        item_ids: [],
        act_on: "2026-11-25",
        step_code: null,
        channel: "phone_call",
        overdue: [{ amount: "650.50", currency: "EUR" }],
        today: "2026-11-25",
      });
    if (url.pathname === `${BASE}/scenario`)
      return json({ customer_id: "FR01/C001", scenario: "smb_standard", rule: "SMB", explanation: ["group is SMB"] });
    if (url.pathname === `${BASE}/payment-plans`) return json({ customer_id: "FR01/C001", plans: [PLAN] });
    if (url.pathname === `${BASE}/promises`) return json({ promises: PROMISES, truncated: false });
    if (url.pathname === "/api/v1/risk/customers/FR01/C001") return json(RISK);
    if (url.pathname === `${BASE}/penalties`) return json(PENALTIES);
    return undefined;
  });
}

// The machine running the tests may be loaded: the panels load after the account, so wait longer than 1 s.
const SLOW = { timeout: 8000 };

function renderAccount(fetch: typeof globalThis.fetch) {
  renderApp(
    <Routes>
      <Route path="/customers/:entity/:account" element={<CustomerPage />} />
    </Routes>,
    { fetch, path: "/customers/FR01/C001" },
  );
}

describe("the customer account's panels", { timeout: 30_000 }, () => {
  it("show the next action, the scenario and the payment plans", async () => {
    const { fn } = gateway();
    renderAccount(fn);
    expect(await screen.findByText("Propose a payment plan", undefined, SLOW)).toBeInTheDocument();
    expect(screen.getByText("Two reminders without an answer and 650.50 EUR overdue")).toBeInTheDocument();
    expect(await screen.findByText("smb_standard", undefined, SLOW)).toBeInTheDocument();
    const plan = await screen.findByRole("article", { name: "€900.00 in 3 instalments" }, SLOW);
    expect(within(plan).getByText("Active")).toBeInTheDocument();
    expect(within(plan).getByText(/Paid: €300.00/)).toBeInTheDocument();
    expect(within(plan).getAllByRole("row")).toHaveLength(4);
  });

  it("list the promises to pay from the engine, not from the timeline", async () => {
    const { fn, calls } = gateway();
    renderAccount(fn);
    const open = await screen.findByText("€250.50 by Dec 1, 2026", undefined, SLOW);
    const card = open.closest("li")!;
    expect(within(card).getByText("F-2")).toBeInTheDocument();
    expect(within(card).getByText("Open")).toBeInTheDocument();
    expect(within(card).getByText("made Nov 20, 2026 by portal:FR01/C001")).toBeInTheDocument();
    const broken = screen.getByText("€400.00 by Nov 10, 2026").closest("li")!;
    // F-0 is paid and no longer among the open items: its number is read from its id.
    expect(within(broken).getByText("F-1, F-0")).toBeInTheDocument();
    expect(within(broken).getByText("Broken")).toBeInTheDocument();
    expect(calls.some((c) => c.url.pathname === `${BASE}/promises`)).toBe(true);
    expect(
      calls.some((c) => c.url.pathname === `${BASE}/timeline` && c.url.searchParams.has("kind", "promise.broken")),
    ).toBe(false);
  });

  it("refuse a plan with a missing first day, then send the chosen items and terms", async () => {
    const user = userEvent.setup();
    const { fn, calls } = gateway(({ method, url }) =>
      method === "POST" && url.pathname === `${BASE}/payment-plans`
        ? json({ plan: { ...PLAN, plan_id: "plan-2" }, replayed: false }, 201)
        : undefined,
    );
    renderAccount(fn);
    const form = await screen.findByRole("form", { name: "Agree a payment plan" }, SLOW);
    await user.click(within(form).getByRole("button", { name: "Agree the plan" }));
    expect(await within(form).findByText("Choose at least one item.", undefined, SLOW)).toBeInTheDocument();

    await user.click(within(form).getByRole("checkbox", { name: /^F-1 ·/ }));
    await user.click(within(form).getByRole("checkbox", { name: /^F-2 ·/ }));
    await user.click(within(form).getByRole("button", { name: "Agree the plan" }));
    expect(await within(form).findByText("A day from today on", undefined, SLOW)).toBeInTheDocument();
    expect(calls.some((c) => c.method === "POST")).toBe(false);

    const count = within(form).getByLabelText(/Number of instalments/);
    await user.clear(count);
    await user.type(count, "4");
    await user.type(within(form).getByLabelText(/First instalment on/), "2099-01-15");
    await user.selectOptions(within(form).getByLabelText("Every"), "weekly");
    await user.type(within(form).getByLabelText("Down payment (optional)"), "100.50");
    await user.click(within(form).getByRole("button", { name: "Agree the plan" }));

    await waitFor(() => expect(calls.some((c) => c.method === "POST")).toBe(true));
    const post = calls.find((c) => c.method === "POST")!;
    expect(post.url.pathname).toBe(`${BASE}/payment-plans`);
    expect(post.body).toEqual({
      item_ids: ["FR01/invoice/F-1", "FR01/invoice/F-2"],
      instalment_count: 4,
      first_date: "2099-01-15",
      frequency: "weekly",
      comment: "",
      down_payment: { amount: "100.50", currency: "EUR" },
    });
  });

  it("cancel an active plan with the reason given", async () => {
    const user = userEvent.setup();
    const { fn, calls } = gateway(({ method, url }) =>
      method === "POST" && url.pathname === `${BASE}/payment-plans/plan-1/cancel`
        ? json({ plan: { ...PLAN, state: "cancelled" }, reason: "missed", replayed: false })
        : undefined,
    );
    renderAccount(fn);
    const plan = await screen.findByRole("article", { name: "€900.00 in 3 instalments" }, SLOW);
    await user.click(within(plan).getByRole("button", { name: "Cancel the plan" }));
    await user.type(within(plan).getByLabelText("Why the plan ends"), "Second instalment missed");
    await user.click(within(plan).getByRole("button", { name: "Cancel the plan" }));
    await waitFor(() => expect(calls.some((c) => c.method === "POST")).toBe(true));
    const post = calls.find((c) => c.method === "POST")!;
    expect(post.url.pathname).toBe(`${BASE}/payment-plans/plan-1/cancel`);
    expect(post.body).toEqual({ reason: "Second instalment missed" });
  });

  it("show the risk score with its parts, the limit's use and the insurance", async () => {
    const user = userEvent.setup();
    const { fn } = gateway();
    renderAccount(fn);
    await user.click(await screen.findByRole("tab", { name: "Risk" }, SLOW));
    expect(await screen.findByText("62 / 100", undefined, SLOW)).toBeInTheDocument();
    expect(screen.getByLabelText("Grade C")).toBeInTheDocument();
    const parts = screen.getByRole("table", { name: "What the score is made of" });
    expect(within(parts).getByRole("rowheader", { name: "Payment behaviour" })).toBeInTheDocument();
    expect(within(parts).getByText("not rated")).toBeInTheDocument();
    expect(screen.getByText(/130.1% used · €650.50 · headroom: -€150.50/)).toBeInTheDocument();
    expect(screen.getByText("Allianz Trade")).toBeInTheDocument();
    expect(screen.getByText("€1,000.00")).toBeInTheDocument();
  });

  it("show the penalties due per invoice and their exact total", async () => {
    const user = userEvent.setup();
    const { fn } = gateway();
    renderAccount(fn);
    await user.click(await screen.findByRole("tab", { name: "Penalties" }, SLOW));
    const table = await screen.findByRole("table", { name: "Penalties by invoice" }, SLOW);
    const f1 = within(table).getByRole("row", { name: /F-1/ });
    expect(within(f1).getAllByText("€38.95")).toHaveLength(2);
    // 38.95 + 40.00 + 24.40 + 40.00
    expect(screen.getByText("€143.35")).toBeInTheDocument();
  });
});

describe("the account panels' figures", () => {
  it("add penalties exactly, per currency", () => {
    expect(penaltiesDue(PENALTIES.invoices)).toEqual([{ amount: "143.35", currency: "EUR" }]);
    const mixed = [
      { ...PENALTIES.invoices[0]!, interest_to_date: { amount: "0.10", currency: "CZK" }, compensation: null },
      { ...PENALTIES.invoices[1]!, interest_to_date: { amount: "0.20", currency: "CZK" }, compensation: null },
    ];
    expect(penaltiesDue(mixed)).toEqual([{ amount: "0.30", currency: "CZK" }]);
  });

  it("write a limit's use fraction as a percentage in the locale", () => {
    expect(formatUse("1.0500", "en")).toBe("105%");
    // French puts a (narrow) no-break space before the sign.
    expect(formatUse("0.4567", "fr")).toMatch(/^45,7\s%$/);
  });
});
