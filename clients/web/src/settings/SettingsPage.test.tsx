import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { fakeFetch, json, renderApp } from "../test/render";
import { SettingsPage } from "./SettingsPage";
import type { PartnerKey, User } from "./types";

const ADMIN = {
  user_id: "u-admin",
  email: "admin@example.com",
  name: "Ada Admin",
  role: "admin",
  entities: "all",
  portfolio: null,
  permissions: {
    users: ["read", "write"],
    partners: ["read", "write"],
    entities: ["read", "write"],
    penalties: ["read", "write"],
  },
};

const COLLECTOR = {
  ...ADMIN,
  user_id: "u-col",
  role: "collector",
  entities: ["FR01"],
  permissions: { entities: ["read"], penalties: ["read"], agenda: ["read", "write"] },
};

const JULIA: User = {
  user_id: "u-julia",
  email: "julia@example.com",
  name: "Julia Schmidt",
  role: "collector",
  entities: ["DE01"],
  portfolio: "j.schmidt",
  disabled: false,
  created_at: "2026-11-01T09:00:00Z",
  updated_at: "2026-11-01T09:00:00Z",
  created_by: "admin@example.com",
};

const PARTNER = {
  partner_id: "p-1",
  name: "Cabinet Martin",
  kind: "legal",
  webhook_url: "https://hooks.example.com/opendso",
  allow_private: false,
  disabled: false,
  created_at: "2026-11-01T09:00:00+00:00",
  created_by: "admin@example.com",
};

const OLD_KEY: PartnerKey = {
  key_id: "k-old",
  prefix: "odk_old1",
  scopes: ["cases:read"],
  created_at: "2026-11-02T10:00:00+00:00",
  created_by: "admin@example.com",
  revoked_at: null,
};

const ENTITIES = [
  {
    code: "FR01",
    name: "Acme France",
    country: "FR",
    currency: "EUR",
    time_zone: "Europe/Paris",
    group_currency: "EUR",
  },
  {
    code: "CZ01",
    name: "Acme Czechia",
    country: "CZ",
    currency: "CZK",
    time_zone: "Europe/Prague",
    group_currency: null,
  },
];

function gateway(me: object = ADMIN) {
  const keys: PartnerKey[] = [OLD_KEY];
  return fakeFetch(({ method, url, body }) => {
    const path = url.pathname;
    if (path === "/api/v1/me") return json(me);
    if (path === "/api/v1/entities") return json({ items: ENTITIES });
    if (path === "/api/v1/users" && method === "GET") return json({ users: [JULIA] });
    if (path === "/api/v1/users" && method === "POST")
      return json({ ...JULIA, user_id: "u-new", ...(body as object), password: undefined }, 201);
    if (path === "/api/v1/users/u-julia" && method === "PATCH") return json({ ...JULIA, ...(body as object) });
    if (path === "/api/v1/partners" && method === "GET") return json([PARTNER]);
    if (path === "/api/v1/partners/p-1") return json({ ...PARTNER, keys });
    if (path === "/api/v1/partners/p-1/deliveries/pending")
      return json([{ delivery_id: "d1", event_type: "case.assigned", case_id: "c1", attempts: 2 }]);
    if (path === "/api/v1/partners/p-1/keys" && method === "POST") {
      const issued = { ...OLD_KEY, key_id: "k-new", prefix: "odk_new2", scopes: (body as { scopes: [] }).scopes };
      keys.push(issued);
      return json({ ...issued, key: "odk_new2.s3cr3t-only-once" }, 201);
    }
    if (path === "/api/v1/partners/p-1/keys/k-old/revoke" && method === "POST") {
      keys[0] = { ...OLD_KEY, revoked_at: "2026-11-25T10:00:00+00:00" };
      return json({ key_id: "k-old", revoked: true });
    }
    if (path === "/api/v1/entities/FR01/penalty-settings" && method === "PUT")
      return json({
        entity: "FR01",
        account_number: null,
        settings: {},
        terms: {
          law: "FR",
          issue_items: true,
          charge_interest: true,
          charge_compensation: false,
          minimum_interest: { amount: "5.00", currency: "EUR" },
        },
        replayed: false,
      });
    return undefined;
  });
}

describe("the settings screen", () => {
  it("creates a user with a role and an entity scope, refusing a short password first", async () => {
    const { fn, calls } = gateway();
    const user = userEvent.setup();
    renderApp(<SettingsPage />, { fetch: fn, path: "/settings" });

    expect(await screen.findByRole("tab", { name: "Users and roles" })).toHaveAttribute("aria-selected", "true");
    expect(await screen.findByRole("cell", { name: "julia@example.com" })).toBeInTheDocument();
    const form = screen.getByRole("form", { name: "New user" });
    await user.type(within(form).getByLabelText(/E-mail/), "  paul@example.com ");
    await user.type(within(form).getByLabelText("Name"), "Paul Martin");
    await user.selectOptions(within(form).getByLabelText("Role"), "Credit manager");
    await user.type(within(form).getByLabelText(/First password/), "short");
    await user.type(within(form).getByLabelText(/Entity codes/), "FR01, BE01 FR01");
    await user.click(within(form).getByRole("button", { name: "Create the user" }));
    expect(within(form).getByText("At least 12 characters")).toBeInTheDocument();
    expect(calls.some((c) => c.method === "POST")).toBe(false);

    await user.type(within(form).getByLabelText(/First password/), "-and-longer-now");
    await user.click(within(form).getByRole("button", { name: "Create the user" }));
    await waitFor(() => expect(calls.some((c) => c.method === "POST")).toBe(true));
    const post = calls.find((c) => c.method === "POST")!;
    expect(post.url.pathname).toBe("/api/v1/users");
    expect(post.body).toEqual({
      email: "paul@example.com",
      name: "Paul Martin",
      role: "credit_manager",
      password: "short-and-longer-now",
      entities: ["FR01", "BE01"],
      portfolio: "",
    });
    // The form is emptied for the next user.
    await waitFor(() => expect(within(form).getByLabelText(/E-mail/)).toHaveValue(""));
  }, 30_000);

  it("shows the gateway's refusal of a new user", async () => {
    const base = gateway();
    const { fn } = fakeFetch((call) =>
      call.method === "POST" && call.url.pathname === "/api/v1/users"
        ? json({ title: "Conflict", status: 409, detail: "a user has the address 'julia@example.com'" }, 409)
        : undefined,
    );
    const both = ((input: RequestInfo | URL, init?: RequestInit) =>
      init?.method === "POST" ? fn(input, init) : base.fn(input, init)) as typeof fetch;
    const user = userEvent.setup();
    renderApp(<SettingsPage />, { fetch: both, path: "/settings" });
    const form = await screen.findByRole("form", { name: "New user" });
    await user.type(within(form).getByLabelText(/E-mail/), "julia@example.com");
    await user.type(within(form).getByLabelText(/First password/), "a-long-enough-password");
    await user.click(within(form).getByLabelText("Every entity"));
    await user.click(within(form).getByRole("button", { name: "Create the user" }));
    const alert = await within(form).findByRole("alert");
    expect(alert).toHaveTextContent("Conflict");
    expect(alert).toHaveTextContent("a user has the address 'julia@example.com'");
  }, 30_000);

  it("disables a user and widens their scope with one PATCH", async () => {
    const { fn, calls } = gateway();
    const user = userEvent.setup();
    renderApp(<SettingsPage />, { fetch: fn, path: "/settings" });
    await user.click(await screen.findByRole("button", { name: "Change Julia Schmidt" }));
    const form = screen.getByRole("form", { name: "Change Julia Schmidt" });
    expect(within(form).getByLabelText(/Entity codes/)).toHaveValue("DE01");
    await user.click(within(form).getByLabelText("Every entity"));
    await user.click(within(form).getByLabelText("Active"));
    await user.click(within(form).getByRole("button", { name: "Save" }));
    await waitFor(() => expect(calls.some((c) => c.method === "PATCH")).toBe(true));
    const patch = calls.find((c) => c.method === "PATCH")!;
    expect(patch.url.pathname).toBe("/api/v1/users/u-julia");
    expect(patch.body).toEqual({ role: "collector", entities: "all", portfolio: "j.schmidt", disabled: true });
  }, 30_000);

  it("shows an issued key's secret once, and never again after it is closed", async () => {
    const { fn, calls } = gateway();
    const user = userEvent.setup();
    renderApp(<SettingsPage />, { fetch: fn, path: "/settings" });
    await user.click(await screen.findByRole("tab", { name: "Partners and API keys" }));
    await user.click(await screen.findByRole("button", { name: "API keys of Cabinet Martin" }));
    const section = await screen.findByRole("region", { name: "API keys of Cabinet Martin" });
    expect(await within(section).findByText("1 webhook delivery pending")).toBeInTheDocument();
    expect(await within(section).findByText("odk_old1")).toBeInTheDocument();

    await user.click(within(section).getByLabelText("cases:write"));
    await user.click(within(section).getByRole("button", { name: "Issue a key" }));
    const secret = await within(section).findByRole("region", { name: "New API key" });
    expect(within(secret).getByText("odk_new2.s3cr3t-only-once")).toBeInTheDocument();
    expect(within(secret).getByText("Copy it now: it will not be shown again.")).toBeInTheDocument();
    expect(within(secret).getByRole("button", { name: "Copy" })).toBeInTheDocument();
    const issue = calls.find((c) => c.url.pathname === "/api/v1/partners/p-1/keys")!;
    expect(issue.body).toEqual({ scopes: ["cases:read", "cases:write"] });
    // The list, read again, names the new key by its prefix only.
    expect(await within(section).findByText("odk_new2")).toBeInTheDocument();

    await user.click(within(secret).getByRole("button", { name: "I have copied it" }));
    expect(screen.queryByRole("region", { name: "New API key" })).not.toBeInTheDocument();
    expect(screen.queryByText(/s3cr3t-only-once/)).not.toBeInTheDocument();
  }, 30_000);

  it("revokes a key after a confirmation", async () => {
    const { fn, calls } = gateway();
    const user = userEvent.setup();
    renderApp(<SettingsPage />, { fetch: fn, path: "/settings" });
    await user.click(await screen.findByRole("tab", { name: "Partners and API keys" }));
    await user.click(await screen.findByRole("button", { name: "API keys of Cabinet Martin" }));
    await user.click(await screen.findByRole("button", { name: "Revoke key odk_old1" }));
    expect(calls.some((c) => c.url.pathname.endsWith("/revoke"))).toBe(false);
    await user.click(screen.getByRole("button", { name: "Confirm: revoke key odk_old1" }));
    await waitFor(() => expect(calls.some((c) => c.url.pathname.endsWith("/revoke"))).toBe(true));
    const revoke = calls.find((c) => c.url.pathname.endsWith("/revoke"))!;
    expect(revoke.method).toBe("POST");
    expect(revoke.url.pathname).toBe("/api/v1/partners/p-1/keys/k-old/revoke");
    expect(revoke.headers.get("Idempotency-Key")).toBeTruthy();
    expect(await screen.findByText(/^Revoked /)).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Revoke key odk_old1" })).not.toBeInTheDocument();
  }, 30_000);

  it("shows a collector only the entities, read-only, and asks nothing of the admin routes", async () => {
    const { fn, calls } = gateway(COLLECTOR);
    renderApp(<SettingsPage />, { fetch: fn, path: "/settings" });
    expect(await screen.findByRole("tab", { name: "Entities" })).toBeInTheDocument();
    expect(screen.queryByRole("tab", { name: "Users and roles" })).not.toBeInTheDocument();
    expect(screen.queryByRole("tab", { name: "Partners and API keys" })).not.toBeInTheDocument();
    const table = await screen.findByRole("table", { name: "Entities" });
    const czech = within(table).getByRole("row", { name: /CZ01/ });
    expect(
      within(czech)
        .getAllByRole("cell")
        .map((c) => c.textContent),
    ).toEqual(["CZ01", "Acme Czechia", "CZ", "CZK", "Europe/Prague", "—"]);
    expect(screen.queryByRole("form", { name: "Late-payment penalty settings" })).not.toBeInTheDocument();
    expect(calls.some((c) => c.url.pathname.startsWith("/api/v1/users"))).toBe(false);
    expect(calls.some((c) => c.url.pathname.startsWith("/api/v1/partners"))).toBe(false);
  });

  it("checks the penalty settings before saving them", async () => {
    const { fn, calls } = gateway();
    const user = userEvent.setup();
    renderApp(<SettingsPage />, { fetch: fn, path: "/settings" });
    await user.click(await screen.findByRole("tab", { name: "Entities" }));
    const form = await screen.findByRole("form", { name: "Late-payment penalty settings" });
    expect(within(form).getByLabelText("Currency of the minimum")).toHaveValue("EUR");
    await user.selectOptions(within(form).getByLabelText("Issue penalty items"), "Yes");
    await user.selectOptions(within(form).getByLabelText("Exempt from recovery compensation"), "Yes");
    const minimum = within(form).getByLabelText(/Minimum interest/);
    await user.type(minimum, "5,005");
    const save = within(form).getByRole("button", { name: "Save the settings of FR01" });
    await user.click(save);
    expect(within(form).getByText("Enter an amount above zero, at most two decimals")).toBeInTheDocument();
    await user.clear(minimum);
    await user.type(minimum, "5,00");
    await user.clear(within(form).getByLabelText("Currency of the minimum"));
    await user.type(within(form).getByLabelText("Currency of the minimum"), "E1");
    await user.click(save);
    expect(within(form).getByText("Enter a three-letter currency code")).toBeInTheDocument();
    expect(calls.some((c) => c.method === "PUT")).toBe(false);

    await user.clear(within(form).getByLabelText("Currency of the minimum"));
    await user.type(within(form).getByLabelText("Currency of the minimum"), "eur");
    await user.click(save);
    await waitFor(() => expect(calls.some((c) => c.method === "PUT")).toBe(true));
    const put = calls.find((c) => c.method === "PUT")!;
    expect(put.url.pathname).toBe("/api/v1/entities/FR01/penalty-settings");
    expect(put.body).toEqual({
      issue_items: true,
      exempt_interest: null,
      exempt_compensation: true,
      minimum_interest: { amount: "5.00", currency: "EUR" },
    });
    expect(await within(form).findByText("Terms now applied in FR01")).toBeInTheDocument();
  }, 30_000);
});
