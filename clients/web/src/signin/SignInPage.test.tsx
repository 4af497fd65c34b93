import { screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { Route, Routes } from "react-router";
import { describe, expect, it } from "vitest";
import { fakeFetch, json, PAIR, renderApp } from "../test/render";
import { AppRoutes } from "../App";
import { SignInPage } from "./SignInPage";

const ROUTES = (
  <Routes>
    <Route path="/signin" element={<SignInPage />} />
    <Route path="/" element={<p>home</p>} />
  </Routes>
);

describe("signing in", () => {
  it("shows the gateway's problem when the password is refused", async () => {
    const user = userEvent.setup();
    const { fn } = fakeFetch(() =>
      json({ type: "about:blank", title: "Unauthorized", status: 401, detail: "wrong e-mail or password" }, 401),
    );
    renderApp(ROUTES, { fetch: fn, path: "/signin", signedIn: false });

    await user.type(screen.getByLabelText(/E-mail/), "anna@example.com");
    await user.type(screen.getByLabelText(/Password/), "not it");
    await user.click(screen.getByRole("button", { name: "Sign in" }));

    expect(await screen.findByRole("alert")).toHaveTextContent("wrong e-mail or password");
  });

  it("stores the tokens and goes to the dashboard", async () => {
    const user = userEvent.setup();
    const { fn, calls } = fakeFetch(({ url }) => {
      if (url.pathname === "/api/v1/auth/token") return json(PAIR);
      if (url.pathname === "/api/v1/me") return json({ email: "anna@example.com", permissions: {} });
      return undefined;
    });
    const { tokens } = renderApp(ROUTES, { fetch: fn, path: "/signin", signedIn: false });

    await user.type(screen.getByLabelText(/E-mail/), "anna@example.com");
    await user.type(screen.getByLabelText(/Password/), "demo-manager-4821");
    await user.click(screen.getByRole("button", { name: "Sign in" }));

    expect(await screen.findByText("home")).toBeInTheDocument();
    expect(tokens.get()).toEqual(PAIR);
    expect(calls[0]!.body).toEqual({ email: "anna@example.com", password: "demo-manager-4821" });
  });

  it("returns to the deep link the visitor opened signed out", async () => {
    const user = userEvent.setup();
    const { fn } = fakeFetch(({ url }) => {
      if (url.pathname === "/api/v1/auth/token") return json(PAIR);
      if (url.pathname === "/api/v1/me")
        return json({ email: "anna@example.com", entities: "all", permissions: { agenda: ["read"] } });
      if (url.pathname === "/api/v1/entities") return json({ items: [] });
      if (url.pathname === "/api/v1/agenda") return json({ items: [], total: 0, next_page_token: null });
      return undefined;
    });
    renderApp(<AppRoutes />, { fetch: fn, path: "/agenda", signedIn: false });

    await user.type(await screen.findByLabelText(/E-mail/), "anna@example.com");
    await user.type(screen.getByLabelText(/Password/), "demo-manager-4821");
    await user.click(screen.getByRole("button", { name: "Sign in" }));

    expect(await screen.findByRole("heading", { name: "Collection agenda" })).toBeInTheDocument();
  });

  it("is offered in the user's language", async () => {
    const { fn } = fakeFetch(() => undefined);
    renderApp(ROUTES, { fetch: fn, path: "/signin", language: "cs", signedIn: false });
    expect(screen.getByRole("heading", { name: "Přihlášení do OpenDSO" })).toBeInTheDocument();
    expect(screen.getByLabelText(/Heslo/)).toBeInTheDocument();
  });
});
