import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { Route, Routes, useParams } from "react-router";
import { beforeEach, describe, expect, it } from "vitest";
import { fakeFetch, json, renderApp } from "../test/render";
import { DISPUTE, saved } from "./fixtures";
import { MobileHome } from "./MobileHome";
import { rememberAccount } from "./recent";

function AccountProbe() {
  const { entity, account } = useParams();
  return <p>account page {`${entity}/${account}`}</p>;
}

function renderHome(route: Parameters<typeof fakeFetch>[0]) {
  const { fn, calls } = fakeFetch(route);
  renderApp(
    <Routes>
      <Route path="/mobile" element={<MobileHome />} />
      <Route path="/mobile/accounts/:entity/:account" element={<AccountProbe />} />
    </Routes>,
    { fetch: fn, path: "/mobile" },
  );
  return calls;
}

describe("the sales rep's home", { timeout: 30_000 }, () => {
  beforeEach(() => localStorage.clear());

  it("lists the disputes assigned to me and opens the account of one in a tap", async () => {
    const other = {
      ...DISPUTE,
      account_number: "C00077",
      customer_name: "Martin & Fils",
      item_id: "FR01/invoice/F-9",
      item_number: "F-9",
      open_amount: { amount: "80.00", currency: "EUR" },
      comment: "Goods never delivered",
    };
    const calls = renderHome(({ url }) =>
      url.pathname === "/api/v1/mobile/disputes" ? json({ disputes: [DISPUTE, other], truncated: false }) : undefined,
    );
    const section = screen.getByRole("region", { name: "Disputes assigned to me" });
    const items = await within(section).findAllByRole("listitem");
    expect(items).toHaveLength(2);
    const link = within(items[0]!).getByRole("link");
    expect(link).toHaveAccessibleName("Dupont SARL, disputed item F-2026-0057");
    expect(within(items[0]!).getByText("€2,230.50")).toBeInTheDocument();
    expect(within(items[0]!).getByText("Disputed since Nov 18, 2026")).toBeInTheDocument();
    expect(within(items[1]!).getByText("Goods never delivered")).toBeInTheDocument();
    expect(calls.some((c) => c.url.pathname === "/api/v1/mobile/disputes")).toBe(true);

    await userEvent.click(within(items[1]!).getByRole("link"));
    expect(await screen.findByText("account page FR01/C00077")).toBeInTheDocument();
  });

  it("answers a dispute from the list, by keyboard, once", async () => {
    const calls = renderHome(({ url, method }) => {
      if (url.pathname === "/api/v1/mobile/disputes") return json({ disputes: [DISPUTE], truncated: false });
      if (method === "POST" && url.pathname === "/api/v1/mobile/customers/FR01/C00042/dispute-answers")
        return json({
          recorded: "dispute_answer",
          answer_id: "a1",
          item_id: DISPUTE.item_id,
          answer: "x",
          replayed: false,
        });
      return undefined;
    });
    await userEvent.click(await screen.findByRole("button", { name: "Answer the question on F-2026-0057" }));
    const form = screen.getByRole("form", { name: "Answer on F-2026-0057" });
    // The answer box has the focus: the rep types straight away.
    expect(within(form).getByLabelText(/Your answer/)).toHaveFocus();
    await userEvent.keyboard("Price confirmed at 38.50");
    await userEvent.click(within(form).getByRole("button", { name: "Send the answer" }));
    expect(await screen.findByText(/Answer sent/)).toBeInTheDocument();
    const posts = calls.filter((c) => c.method === "POST");
    expect(posts).toHaveLength(1);
    expect(posts[0]!.body).toEqual({ item_id: DISPUTE.item_id, answer: "Price confirmed at 38.50" });
  });

  it("says when no dispute waits, and offers the accounts seen lately", async () => {
    rememberAccount(saved("C00001", "2026-11-20T08:00:00Z"));
    rememberAccount(saved("C00002", "2026-11-21T08:00:00Z"));
    renderHome(({ url }) =>
      url.pathname === "/api/v1/mobile/disputes" ? json({ disputes: [], truncated: false }) : undefined,
    );
    expect(await screen.findByText("No open dispute waits for you.")).toBeInTheDocument();
    const recent = screen.getByRole("region", { name: "Recently viewed" });
    const links = within(recent).getAllByRole("link");
    expect(links.map((l) => within(l).getByText(/^Customer/).textContent)).toEqual([
      "Customer C00002",
      "Customer C00001",
    ]);
    expect(links[0]).toHaveTextContent(/saved Nov 21, 2026/);
    await userEvent.click(links[1]!);
    expect(await screen.findByText("account page FR01/C00001")).toBeInTheDocument();
  });

  it("finds a customer by part of its name and opens its account", async () => {
    const found = (account: string, name: string) => ({
      customer_id: `CZ01/${account}`,
      entity: "CZ01",
      account_number: account,
      name,
      address: { street: null, postal_code: null, city: "Brno" },
    });
    const calls = renderHome(({ url }) => {
      if (url.pathname === "/api/v1/mobile/disputes") return json({ disputes: [], truncated: false });
      if (url.pathname === "/api/v1/customers") {
        const offset = Number(url.searchParams.get("offset"));
        return offset === 0
          ? json({ customers: [found("100", "Dvořák s.r.o.")], offset: 0, limit: 20, more: true })
          : json({ customers: [found("A/7", "Dvořák a syn")], offset, limit: 20, more: false });
      }
      return undefined;
    });
    await userEvent.type(screen.getByRole("searchbox", { name: /Name or account number/ }), "dvorak{Enter}");
    const results = await screen.findByRole("list", { name: "Customers matching “dvorak”" });
    expect(within(results).getByText("Dvořák s.r.o.")).toBeInTheDocument();
    const search = calls.find((c) => c.url.pathname === "/api/v1/customers");
    expect(search?.url.searchParams.get("q")).toBe("dvorak");
    expect(search?.url.searchParams.get("limit")).toBe("20");

    await userEvent.click(screen.getByRole("button", { name: "Show more" }));
    expect(await within(results).findByText("Dvořák a syn")).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Show more" })).not.toBeInTheDocument();
    await userEvent.click(within(results).getByText("Dvořák a syn"));
    expect(await screen.findByText("account page CZ01/A/7")).toBeInTheDocument();
  });

  it("asks for two letters before searching and says when nothing matches", async () => {
    const calls = renderHome(({ url }) => {
      if (url.pathname === "/api/v1/mobile/disputes") return json({ disputes: [], truncated: false });
      if (url.pathname === "/api/v1/customers") return json({ customers: [], offset: 0, limit: 20, more: false });
      return undefined;
    });
    const box = screen.getByRole("searchbox", { name: /Name or account number/ });
    await userEvent.type(box, "d{Enter}");
    expect(await screen.findByText("Type at least 2 letters or digits.")).toBeInTheDocument();
    expect(calls.some((c) => c.url.pathname === "/api/v1/customers")).toBe(false);
    await userEvent.type(box, "zz{Enter}");
    expect(await screen.findByText("No customer of yours matches “dzz”.")).toBeInTheDocument();
  });
});
