import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { fakeFetch, json, renderApp } from "../test/render";
import { SettingsPage } from "./SettingsPage";
import type { PartnerKey, StatusDefinition, User } from "./types";

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
    statuses: ["read", "write"],
    sending_hours: ["read", "write"],
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

const DISPUTE: StatusDefinition = {
  code: "dispute",
  labels: { en: "Dispute", fr: "Litige" },
  excludes_from_scenario: true,
  follow_up: { action: "internal_task", delay_days: 7 },
  resolution_owner: "sales",
  sends_confirmation: "dispute_acknowledgement",
  is_dispute: true,
  closes_on_payment: false,
  requires_comment: true,
  built_in: true,
};

const DO_NOT_CHASE: StatusDefinition = {
  code: "do_not_chase",
  labels: { en: "Do not chase" },
  excludes_from_scenario: true,
  follow_up: null,
  resolution_owner: "credit_manager",
  sends_confirmation: null,
  is_dispute: false,
  closes_on_payment: false,
  requires_comment: true,
  built_in: false,
};

const HOURS = {
  entity: "FR01",
  time_zone: "Europe/Paris",
  weekdays: ["mon", "tue", "wed", "thu", "fri"],
  slots: [{ start: "08:00", end: "18:00" }],
  version: 0,
  updated_by: null,
  updated_at: null,
};

const ENTITY_PENALTIES = {
  entity: "FR01",
  account_number: null,
  settings: {
    issue_items: true,
    exempt_interest: null,
    exempt_compensation: false,
    law: null,
    minimum_interest: { amount: "5.00", currency: "EUR" },
    updated_by: "anna@example.com",
  },
  terms: {
    law: "FR",
    issue_items: true,
    charge_interest: true,
    charge_compensation: true,
    minimum_interest: { amount: "5.00", currency: "EUR" },
  },
};

function gateway(me: object = ADMIN) {
  const keys: PartnerKey[] = [OLD_KEY];
  const partner = { ...PARTNER };
  return fakeFetch(({ method, url, body }) => {
    const path = url.pathname;
    if (path === "/api/v1/me") return json(me);
    if (path === "/api/v1/item-statuses" && method === "GET")
      return json({ version: 3, updated_by: "ada@example.com", updated_at: null, statuses: [DISPUTE, DO_NOT_CHASE] });
    if (path === "/api/v1/item-statuses" && method === "PUT")
      return json({ version: 4, updated_by: "admin@example.com", updated_at: null, statuses: [], replayed: false });
    if (path === "/api/v1/entities/FR01/sending-hours" && method === "GET") return json(HOURS);
    if (path === "/api/v1/entities/FR01/sending-hours" && method === "PUT")
      return json({ ...HOURS, ...(body as object), version: 1, replayed: false });
    if (path === "/api/v1/entities/FR01/penalty-settings" && method === "GET") return json(ENTITY_PENALTIES);
    if (path === "/api/v1/entities/CZ01/penalty-settings" && method === "GET")
      return json({ ...ENTITY_PENALTIES, entity: "CZ01", terms: { ...ENTITY_PENALTIES.terms, law: "CZ" } });
    if (path === "/api/v1/partners/p-1/disable" && method === "POST") {
      partner.disabled = true;
      return json(partner);
    }
    if (path === "/api/v1/entities") return json({ items: ENTITIES });
    if (path === "/api/v1/users" && method === "GET") return json({ users: [JULIA] });
    if (path === "/api/v1/users" && method === "POST")
      return json({ ...JULIA, user_id: "u-new", ...(body as object), password: undefined }, 201);
    if (path === "/api/v1/users/u-julia" && method === "PATCH") return json({ ...JULIA, ...(body as object) });
    if (path === "/api/v1/partners" && method === "GET") return json([partner]);
    if (path === "/api/v1/partners/p-1") return json({ ...partner, keys });
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
    // The stored settings fill the form.
    expect(await within(form).findByLabelText("Currency of the minimum")).toHaveValue("EUR");
    expect(within(form).getByLabelText(/Minimum interest/)).toHaveValue("5.00");
    expect(within(form).getByLabelText("Exempt from recovery compensation")).toHaveValue("false");
    await user.clear(within(form).getByLabelText(/Minimum interest/));
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
    // The terms shown are the ones the save answered (the stored ones charged compensation).
    expect(await within(form).findByText("Compensation charged: No")).toBeInTheDocument();
  }, 30_000);

  it("shows a reader the entity's current penalty terms without a form", async () => {
    const { fn, calls } = gateway(COLLECTOR);
    const user = userEvent.setup();
    renderApp(<SettingsPage />, { fetch: fn, path: "/settings" });
    const terms = await screen.findByRole("region", { name: "Late-payment penalty settings" });
    expect(await within(terms).findByText("Law: FR")).toBeInTheDocument();
    expect(within(terms).getByText("Terms now applied in FR01")).toBeInTheDocument();
    expect(within(terms).queryByRole("button", { name: /Save/ })).not.toBeInTheDocument();
    expect(within(terms).getByLabelText("Issue penalty items")).toBeDisabled();
    await user.selectOptions(within(terms).getByLabelText("Entity"), "CZ01 · Acme Czechia");
    expect(await within(terms).findByText("Law: CZ")).toBeInTheDocument();
    expect(calls.some((c) => c.method !== "GET")).toBe(false);
  }, 30_000);

  it("edits, adds and saves the item statuses with the version read", async () => {
    const { fn, calls } = gateway();
    const user = userEvent.setup();
    renderApp(<SettingsPage />, { fetch: fn, path: "/settings" });
    await user.click(await screen.findByRole("tab", { name: "Statuses" }));
    const table = await screen.findByRole("table", { name: "Item statuses" });
    const dispute = within(table).getByRole("row", { name: /dispute/ });
    expect(within(dispute).getByText("Internal task after 7 days")).toBeInTheDocument();
    // A built-in status can be edited, not removed.
    expect(within(table).queryByRole("button", { name: "Remove status dispute" })).not.toBeInTheDocument();
    expect(within(table).getByRole("button", { name: "Remove status do_not_chase" })).toBeInTheDocument();
    const save = screen.getByRole("button", { name: "Save the statuses" });
    expect(save).toBeDisabled();

    await user.click(within(table).getByRole("button", { name: "Edit status dispute" }));
    let editor = screen.getByRole("form", { name: "Status dispute" });
    expect(within(editor).getByLabelText(/Code/)).toBeDisabled();
    const french = within(editor).getByLabelText("Label (Français)");
    await user.clear(french);
    await user.type(french, "Litige client");
    await user.clear(within(editor).getByLabelText("Days after the qualification"));
    await user.type(within(editor).getByLabelText("Days after the qualification"), "10");
    await user.click(within(editor).getByRole("button", { name: "Apply" }));
    expect(within(table).getByText("Internal task after 10 days")).toBeInTheDocument();

    await user.click(screen.getByRole("button", { name: "Add a status" }));
    editor = screen.getByRole("form", { name: "New status" });
    await user.type(within(editor).getByLabelText(/Code/), "Call back");
    await user.click(within(editor).getByRole("button", { name: "Apply" }));
    expect(within(editor).getByText("Lower-case letters, digits and _ only")).toBeInTheDocument();
    await user.clear(within(editor).getByLabelText(/Code/));
    await user.type(within(editor).getByLabelText(/Code/), "dispute");
    await user.click(within(editor).getByRole("button", { name: "Apply" }));
    expect(within(editor).getByText("Another status has this code")).toBeInTheDocument();
    await user.clear(within(editor).getByLabelText(/Code/));
    await user.type(within(editor).getByLabelText(/Code/), "call_back");
    await user.click(within(editor).getByRole("button", { name: "Apply" }));
    expect(within(editor).getByText("Enter a label in at least one language")).toBeInTheDocument();
    await user.type(within(editor).getByLabelText("Label (English)"), "Call back");
    await user.selectOptions(within(editor).getByLabelText("Follow-up action"), "Phone call");
    await user.type(within(editor).getByLabelText("Days after the qualification"), "2");
    await user.selectOptions(within(editor).getByLabelText("Resolution owner"), "Collector");
    await user.click(within(editor).getByRole("button", { name: "Apply" }));
    expect(screen.getByText("Unsaved changes: save them to apply them")).toBeInTheDocument();
    expect(calls.some((c) => c.method === "PUT")).toBe(false);

    await user.click(save);
    await waitFor(() => expect(calls.some((c) => c.method === "PUT")).toBe(true));
    const put = calls.find((c) => c.method === "PUT")!;
    expect(put.url.pathname).toBe("/api/v1/item-statuses");
    const sent = put.body as { version: number; statuses: Record<string, unknown>[] };
    expect(sent.version).toBe(3);
    expect(sent.statuses.map((s) => s.code)).toEqual(["dispute", "do_not_chase", "call_back"]);
    expect(sent.statuses[0]).toMatchObject({
      labels: { en: "Dispute", fr: "Litige client" },
      follow_up: { action: "internal_task", delay_days: 10 },
    });
    expect(sent.statuses[0]).not.toHaveProperty("built_in");
    expect(sent.statuses[2]).toEqual({
      code: "call_back",
      labels: { en: "Call back" },
      excludes_from_scenario: true,
      follow_up: { action: "phone_call", delay_days: 2 },
      resolution_owner: "collector",
      sends_confirmation: null,
      is_dispute: false,
      closes_on_payment: false,
      requires_comment: false,
    });
  }, 30_000);

  it("offers to reload the statuses when someone saved them meanwhile", async () => {
    const base = gateway();
    let reads = 0;
    const fn = ((input: RequestInfo | URL, init?: RequestInit) => {
      const url = new URL(String(input), "http://gateway.test");
      if (url.pathname === "/api/v1/item-statuses" && init?.method === "PUT")
        return Promise.resolve(
          json({ title: "Conflict", status: 409, detail: "the item statuses are at version 4, not 3" }, 409),
        );
      if (url.pathname === "/api/v1/item-statuses") reads += 1;
      return base.fn(input, init);
    }) as typeof fetch;
    const user = userEvent.setup();
    renderApp(<SettingsPage />, { fetch: fn, path: "/settings" });
    await user.click(await screen.findByRole("tab", { name: "Statuses" }));
    const table = await screen.findByRole("table", { name: "Item statuses" });
    await user.click(within(table).getByRole("button", { name: "Remove status do_not_chase" }));
    expect(within(table).queryByText("do_not_chase")).not.toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Save the statuses" }));
    const conflict = await screen.findByRole("alert");
    expect(conflict).toHaveTextContent("Someone saved the statuses meanwhile");
    expect(conflict).toHaveTextContent("version 4, not 3");
    expect(reads).toBe(1);
    await user.click(within(conflict).getByRole("button", { name: "Reload the saved version" }));
    await waitFor(() => expect(reads).toBe(2));
    expect(await within(table).findByText("do_not_chase")).toBeInTheDocument();
    expect(screen.queryByRole("alert")).not.toBeInTheDocument();
  }, 30_000);

  it("checks an entity's days and time slots before replacing them", async () => {
    const { fn, calls } = gateway();
    const user = userEvent.setup();
    renderApp(<SettingsPage />, { fetch: fn, path: "/settings" });
    await user.click(await screen.findByRole("tab", { name: "Time slots" }));
    const form = await screen.findByRole("form", { name: "Sending days and time slots of FR01" });
    expect(within(form).getByText(/the service's default applies/)).toBeInTheDocument();
    expect(within(form).getByText(/Europe\/Paris/)).toBeInTheDocument();
    expect(within(form).getByLabelText("Monday")).toBeChecked();
    expect(within(form).getByLabelText("Saturday")).not.toBeChecked();
    const save = within(form).getByRole("button", { name: "Save the hours of FR01" });

    for (const day of ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"])
      await user.click(within(form).getByLabelText(day));
    await user.click(save);
    expect(within(form).getByText("Choose at least one day")).toBeInTheDocument();
    await user.click(within(form).getByLabelText("Saturday"));
    await user.click(within(form).getByLabelText("Monday"));

    await user.click(within(form).getByRole("button", { name: "Add a slot" }));
    await user.type(within(form).getByLabelText("Start of slot 2"), "7:00");
    await user.type(within(form).getByLabelText("End of slot 2"), "09:00");
    await user.click(save);
    expect(within(form).getByText("Times as HH:MM, e.g. 08:30")).toBeInTheDocument();
    await user.clear(within(form).getByLabelText("Start of slot 2"));
    await user.type(within(form).getByLabelText("Start of slot 2"), "07:00");
    await user.click(save);
    expect(within(form).getByText("This slot overlaps another one")).toBeInTheDocument();
    await user.clear(within(form).getByLabelText("End of slot 1"));
    await user.type(within(form).getByLabelText("End of slot 1"), "12:00");
    await user.clear(within(form).getByLabelText("Start of slot 1"));
    await user.type(within(form).getByLabelText("Start of slot 1"), "10:00");
    expect(calls.some((c) => c.method === "PUT")).toBe(false);

    await user.click(save);
    await waitFor(() => expect(calls.some((c) => c.method === "PUT")).toBe(true));
    const put = calls.find((c) => c.method === "PUT")!;
    expect(put.url.pathname).toBe("/api/v1/entities/FR01/sending-hours");
    expect(put.body).toEqual({
      version: 0,
      weekdays: ["mon", "sat"],
      slots: [
        { start: "07:00", end: "09:00" },
        { start: "10:00", end: "12:00" },
      ],
    });
  }, 30_000);

  it("disables a partner with one click", async () => {
    const { fn, calls } = gateway();
    const user = userEvent.setup();
    renderApp(<SettingsPage />, { fetch: fn, path: "/settings" });
    await user.click(await screen.findByRole("tab", { name: "Partners and API keys" }));
    const table = await screen.findByRole("table", { name: "Partners" });
    await user.click(within(table).getByRole("button", { name: "Disable Cabinet Martin" }));
    await waitFor(() => expect(calls.some((c) => c.url.pathname === "/api/v1/partners/p-1/disable")).toBe(true));
    expect(calls.find((c) => c.url.pathname === "/api/v1/partners/p-1/disable")!.method).toBe("POST");
    expect(await within(table).findByRole("button", { name: "Enable Cabinet Martin" })).toBeInTheDocument();
    expect(within(table).getByText("Disabled")).toBeInTheDocument();
  }, 30_000);
});
