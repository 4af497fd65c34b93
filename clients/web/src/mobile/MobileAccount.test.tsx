import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { Route, Routes } from "react-router";
import { beforeEach, describe, expect, it } from "vitest";
import { fakeFetch, json, renderApp } from "../test/render";
import { SUMMARY, saved } from "./fixtures";
import { MobileAccount } from "./MobileAccount";
import { rememberAccount, recentAccounts, savedAccount } from "./recent";

const ACTION = {
  id: "e1",
  occurred_at: "2026-11-20T09:30:00Z",
  kind: "message.sent",
  actor: "scenario",
  actor_type: "system",
  summary: "Reminder 1 sent by e-mail",
  item_ids: [],
  detail: {},
};

function renderAccount(fetchFn: typeof fetch, path = "/mobile/accounts/FR01/C00042") {
  renderApp(
    <Routes>
      <Route path="/mobile/accounts/:entity/:account" element={<MobileAccount />} />
    </Routes>,
    { fetch: fetchFn, path },
  );
}

/** A gateway out of reach: every request fails as a phone without a network does. */
const offline = (async () => {
  throw new TypeError("Failed to fetch");
}) as typeof fetch;

describe("the account summary on a phone", { timeout: 30_000 }, () => {
  beforeEach(() => localStorage.clear());

  it("shows the balance per currency, overdue, disputes, last actions and contacts, and saves it", async () => {
    const { fn } = fakeFetch(({ url }) => {
      if (url.pathname === "/api/v1/mobile/customers/FR01/C00042") return json(SUMMARY);
      if (url.pathname === "/api/v1/customers/FR01/C00042/timeline")
        return json({ entries: [ACTION], next_page_token: null });
      return undefined;
    });
    renderAccount(fn);
    expect(await screen.findByRole("heading", { name: "Dupont SARL" })).toBeInTheDocument();

    const eur = screen.getByLabelText("Balance in EUR");
    expect(within(eur).getByTestId("open-EUR")).toHaveTextContent("€3,480.50");
    expect(within(eur).getByTestId("overdue-EUR")).toHaveTextContent("€1,250.00");
    expect(within(eur).getByText("2 items")).toBeInTheDocument();
    expect(within(eur).getByText("1 item")).toBeInTheDocument();
    const usd = screen.getByLabelText("Balance in USD");
    expect(within(usd).getByTestId("open-USD")).toHaveTextContent("$99.90");
    expect(within(usd).getByTestId("overdue-USD")).toHaveTextContent("$0.00");
    expect(screen.getByText("Oldest overdue item: 26 days late")).toBeInTheDocument();

    const disputes = screen.getByRole("region", { name: "1 open dispute" });
    expect(within(disputes).getByText("F-2026-0057")).toBeInTheDocument();
    expect(within(disputes).getByText(/credit note of 115.50/)).toBeInTheDocument();
    expect(screen.getByText("Reminder 1 sent by e-mail")).toBeInTheDocument();

    expect(screen.getByRole("link", { name: "Call +33 4 72 10 20 30" })).toHaveAttribute("href", "tel:+33472102030");
    expect(screen.getByRole("link", { name: "Send an e-mail" })).toHaveAttribute(
      "href",
      "mailto:s.leroy@dupont-sarl.fr",
    );
    expect(screen.queryByText(/offline/i)).not.toBeInTheDocument();

    const kept = savedAccount("FR01", "C00042");
    expect(kept?.summary.balances[0]?.open).toBe("3480.50");
    expect(kept?.actions).toHaveLength(1);
    expect(Date.now() - Date.parse(kept!.fetchedAt)).toBeLessThan(60_000);
  });

  it("still shows the summary when the timeline is not readable", async () => {
    const { fn } = fakeFetch(({ url }) =>
      url.pathname === "/api/v1/mobile/customers/FR01/C00042" ? json(SUMMARY) : undefined,
    );
    renderAccount(fn);
    expect(await screen.findByRole("heading", { name: "Dupont SARL" })).toBeInTheDocument();
    expect(screen.getByText("No action recorded.")).toBeInTheDocument();
  });

  it("shows the saved copy under an offline banner when the fetch fails", async () => {
    rememberAccount({ ...saved("C00042", "2026-11-20T08:00:00Z"), actions: [ACTION] });
    renderAccount(offline);
    const banner = await screen.findByRole("status");
    expect(banner).toHaveTextContent("Offline");
    expect(banner).toHaveTextContent(/Saved at Nov 20, 2026.*offline/);
    expect(screen.getByRole("heading", { name: "Customer C00042" })).toBeInTheDocument();
    expect(screen.getByTestId("open-EUR")).toHaveTextContent("€3,480.50");
    expect(screen.getByText("Reminder 1 sent by e-mail")).toBeInTheDocument();
    // Answering needs the network: not offered offline.
    expect(screen.queryByRole("button", { name: "Answer the question" })).not.toBeInTheDocument();
    // The saved copy keeps its date: a failed fetch saves nothing.
    expect(savedAccount("FR01", "C00042")?.fetchedAt).toBe("2026-11-20T08:00:00Z");
  });

  it("says the gateway is out of reach when no copy was saved", async () => {
    rememberAccount(saved("C00099"));
    renderAccount(offline);
    expect(await screen.findByRole("alert")).toBeInTheDocument();
    expect(screen.queryByRole("status")).not.toBeInTheDocument();
    expect(recentAccounts()).toHaveLength(1);
  });

  it("answers a dispute assigned to me as the signed-in rep", async () => {
    const { fn, calls } = fakeFetch(({ url, method }) => {
      if (url.pathname === "/api/v1/mobile/customers/FR01/C00042") return json(SUMMARY);
      if (method === "POST" && url.pathname === "/api/v1/mobile/customers/FR01/C00042/dispute-answers")
        return json({ recorded: "dispute_answer", answer_id: "a1", item_id: "x", answer: "ok", replayed: false });
      return undefined;
    });
    renderAccount(fn);
    await userEvent.click(await screen.findByRole("button", { name: "Answer the question" }));
    await userEvent.type(screen.getByLabelText(/Your answer/), "Credit note sent today");
    await userEvent.click(screen.getByRole("button", { name: "Send the answer" }));
    expect(await screen.findByText(/Answer sent/)).toBeInTheDocument();
    const post = calls.find((c) => c.method === "POST");
    expect(post?.url.pathname).toBe("/api/v1/mobile/customers/FR01/C00042/dispute-answers");
    expect(post?.body).toEqual({ item_id: "FR01/invoice/F-2026-0057", answer: "Credit note sent today" });
  });

  it("says so when the dispute is not mine to answer", async () => {
    const { fn } = fakeFetch(({ url, method }) => {
      if (url.pathname === "/api/v1/mobile/customers/FR01/C00042") return json(SUMMARY);
      if (method === "POST")
        return json(
          { title: "Not found", status: 404, detail: "no dispute on 'FR01/invoice/F-2026-0057' assigned to you" },
          404,
        );
      return undefined;
    });
    renderAccount(fn);
    await userEvent.click(await screen.findByRole("button", { name: "Answer the question" }));
    await userEvent.type(screen.getByLabelText(/Your answer/), "ok");
    await userEvent.click(screen.getByRole("button", { name: "Send the answer" }));
    expect(await screen.findByRole("alert")).toHaveTextContent(/assigned to you/);
    expect(screen.queryByText(/Answer sent/)).not.toBeInTheDocument();
  });
});
