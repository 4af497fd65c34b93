import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { Route, Routes, useParams } from "react-router";
import { describe, expect, it } from "vitest";
import { fakeFetch, json, renderApp } from "../test/render";
import { CustomerFinder } from "./CustomerFinder";

function AccountProbe() {
  const { entity, account } = useParams();
  return <p>account page {`${entity}/${account}`}</p>;
}

const ME = { entities: "all", permissions: { customers: ["read"] } };

function customer(account: string, name: string) {
  return { customer_id: `FR01/${account}`, entity: "FR01", account_number: account, name };
}

function renderFinder(route: Parameters<typeof fakeFetch>[0]) {
  const { fn, calls } = fakeFetch(route);
  renderApp(
    <>
      <CustomerFinder />
      <Routes>
        <Route path="/" element={<p>home</p>} />
        <Route path="/customers/:entity/:account" element={<AccountProbe />} />
      </Routes>
    </>,
    { fetch: fn, path: "/" },
  );
  return calls;
}

describe("the workspace's customer search", { timeout: 30_000 }, () => {
  it("finds customers as one types and opens the one picked with the keyboard", async () => {
    const user = userEvent.setup();
    const calls = renderFinder(({ url }) => {
      if (url.pathname === "/api/v1/me") return json(ME);
      if (url.pathname === "/api/v1/customers")
        return json({
          customers: [customer("C1", "Épicerie Martin"), customer("C/2", "Épicerie du Marché")],
          offset: 0,
          limit: 10,
          more: false,
        });
      return undefined;
    });
    const box = await screen.findByRole("combobox", { name: "Find a customer" });
    await user.type(box, "epicerie");
    expect(await screen.findByRole("option", { name: "Épicerie du Marché · FR01/C/2" })).toBeInTheDocument();
    const searches = calls.filter((c) => c.url.pathname === "/api/v1/customers");
    // Typing waits for a pause: not one request per letter.
    expect(searches.length).toBeLessThan(3);
    expect(searches.at(-1)!.url.searchParams.get("q")).toBe("epicerie");
    await user.keyboard("{ArrowDown}{ArrowDown}{Enter}");
    expect(await screen.findByText("account page FR01/C/2")).toBeInTheDocument();
    await waitFor(() => expect(box).toHaveValue(""));
  });

  it("asks nothing for one letter", async () => {
    const calls = renderFinder(({ url }) => {
      if (url.pathname === "/api/v1/me") return json(ME);
      return undefined;
    });
    const box = await screen.findByRole("combobox", { name: "Find a customer" });
    await userEvent.type(box, "e");
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(calls.some((c) => c.url.pathname === "/api/v1/customers")).toBe(false);
  });

  it("is absent without the permission to read customers", async () => {
    const calls = renderFinder(({ url }) =>
      url.pathname === "/api/v1/me" ? json({ entities: "all", permissions: {} }) : undefined,
    );
    await waitFor(() => expect(calls.some((c) => c.url.pathname === "/api/v1/me")).toBe(true));
    expect(screen.queryByRole("search", { name: "Find a customer" })).not.toBeInTheDocument();
  });
});
