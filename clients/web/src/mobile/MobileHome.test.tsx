import { screen, waitFor, within } from "@testing-library/react";
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
    const links = await within(section).findAllByRole("link");
    expect(links).toHaveLength(2);
    expect(links[0]).toHaveAccessibleName("Dupont SARL, disputed item F-2026-0057");
    expect(within(links[0]!).getByText("€2,230.50")).toBeInTheDocument();
    expect(within(links[0]!).getByText("Disputed since Nov 18, 2026")).toBeInTheDocument();
    expect(within(links[1]!).getByText("Goods never delivered")).toBeInTheDocument();
    expect(calls.some((c) => c.url.pathname === "/api/v1/mobile/disputes")).toBe(true);

    await userEvent.click(links[1]!);
    expect(await screen.findByText("account page FR01/C00077")).toBeInTheDocument();
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

  it("fills in the entity of a rep who has only one", async () => {
    renderHome(({ url }) => {
      if (url.pathname === "/api/v1/me")
        return json({
          user_id: "u",
          email: "p@x",
          name: "P",
          role: "sales",
          entities: ["BE01"],
          portfolio: "p",
          permissions: {},
        });
      if (url.pathname === "/api/v1/mobile/disputes") return json({ disputes: [], truncated: false });
      return undefined;
    });
    await waitFor(() => expect(screen.getByLabelText(/Entity/)).toHaveValue("BE01"));
    await userEvent.type(screen.getByLabelText(/Account number/), "C9{Enter}");
    expect(await screen.findByText("account page BE01/C9")).toBeInTheDocument();
  });

  it("opens an account typed in by entity and number", async () => {
    renderHome(({ url }) =>
      url.pathname === "/api/v1/mobile/disputes" ? json({ disputes: [], truncated: false }) : undefined,
    );
    await userEvent.type(screen.getByLabelText(/Entity/), "CZ01");
    await userEvent.type(screen.getByLabelText(/Account number/), " A/7 {Enter}");
    expect(await screen.findByText("account page CZ01/A/7")).toBeInTheDocument();
  });
});
