import { screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { AppRoutes } from "./App";
import { fakeFetch, json, renderApp } from "./test/render";

const ME = { email: "marie@example.com", entities: "all", permissions: { agenda: ["read"], reports: ["read"] } };

describe("the app", () => {
  it("asks a visitor to sign in first", async () => {
    const { fn } = fakeFetch(() => undefined);
    renderApp(<AppRoutes />, { fetch: fn, path: "/agenda", signedIn: false });
    expect(await screen.findByRole("heading", { name: "Sign in to OpenDSO" })).toBeInTheDocument();
  });

  it("stays on a deep link when a signed-in user reloads it", async () => {
    const { fn } = fakeFetch(({ url }) => {
      if (url.pathname === "/api/v1/me") return json(ME);
      if (url.pathname === "/api/v1/entities") return json({ items: [] });
      if (url.pathname === "/api/v1/agenda") return json({ items: [], total: 0, next_page_token: null });
      return undefined;
    });
    renderApp(<AppRoutes />, { fetch: fn, path: "/agenda" });
    expect(await screen.findByRole("heading", { name: "Collection agenda" })).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "Agenda" })).toHaveAttribute("aria-current", "page");
  });

  it("returns to sign-in when the gateway ends the sign-in", async () => {
    const { fn } = fakeFetch(() =>
      json({ type: "about:blank", title: "Unauthorized", status: 401, detail: "expired" }, 401),
    );
    const { tokens } = renderApp(<AppRoutes />, { fetch: fn, path: "/" });
    expect(await screen.findByRole("heading", { name: "Sign in to OpenDSO" })).toBeInTheDocument();
    expect(tokens.get()).toBeNull();
  });
});
