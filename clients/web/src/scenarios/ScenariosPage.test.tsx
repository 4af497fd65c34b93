import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { fakeFetch, json, renderApp } from "../test/render";
import { ScenariosPage } from "./ScenariosPage";
import type { MessageTemplate, Scenario } from "./types";

const ME = {
  user_id: "u1",
  email: "claire@example.com",
  name: "Claire",
  role: "credit_manager",
  entities: "all",
  portfolio: null,
  permissions: { scenarios: ["read", "write"], templates: ["read", "write"] },
};

const SCENARIO: Scenario = {
  code: "smb_france",
  name: "Small businesses, France",
  language: "fr",
  minimum_amount: "50.00",
  steps: [
    {
      code: "first",
      offset_days: 3,
      anchor: "due_date",
      channel: "email",
      template: "first_reminder",
      automatic: true,
      also: [],
      product_group: null,
      minimum_amount: null,
    },
  ],
  version: 4,
  builtin: false,
  is_default: true,
  used_by_rules: [],
  updated_at: null,
  updated_by: "",
};

function template(language: string, channel: string, code: string, subject: string, body: string): MessageTemplate {
  return {
    code,
    channel,
    language,
    subject,
    body,
    version: 2,
    builtin: true,
    custom_fields: [],
    attach_statement: false,
    attach_invoices: false,
    updated_by: "",
    updated_at: null,
  };
}

const TEMPLATES = [
  template("en", "email", "first_reminder", "Overdue: account #AccountNumber", "Dear #ContactName, #TotalDue is due."),
  template(
    "fr",
    "email",
    "first_reminder",
    "Relance : compte #AccountNumber",
    "Bonjour #ContactName, #TotalDue reste dû.",
  ),
  template("fr", "phone_call", "phone_call", "", "Call #CustomerName"),
];

function gateway() {
  return fakeFetch(({ method, url, body }) => {
    if (url.pathname === "/api/v1/me") return json(ME);
    if (url.pathname === "/api/v1/scenarios") return json({ scenarios: [SCENARIO] });
    if (url.pathname === "/api/v1/templates") return json({ templates: TEMPLATES });
    if (method === "PUT" && url.pathname === "/api/v1/scenarios/smb_france")
      return json({ ...SCENARIO, ...(body as object), version: 5 });
    if (method === "POST" && url.pathname === "/api/v1/templates/preview") {
      const request = body as { template: { language: string; body: string } };
      const rendered = request.template.body.replace("#ContactName", "Paul Martin").replace("#TotalDue", "650,00 €");
      return json({
        template: request.template,
        customer_id: "FR01/C001",
        subject: `[${request.template.language}]`,
        text: rendered,
        html: "",
      });
    }
    return undefined;
  });
}

describe("the scenario editor", () => {
  it("adds a phone step with its conditions and saves the edit on the version read", async () => {
    const { fn, calls } = gateway();
    const user = userEvent.setup();
    renderApp(<ScenariosPage />, { fetch: fn, path: "/scenarios" });

    await user.click(await screen.findByRole("button", { name: "Open Small businesses, France" }));
    await user.click(screen.getByRole("button", { name: "Add a step" }));
    const steps = screen.getByRole("table", { name: "Steps" });
    expect(within(steps).getByLabelText("Days of step 2")).toHaveValue("10");
    await user.selectOptions(within(steps).getByLabelText("Channel of step 2"), "Phone call");
    await user.click(screen.getByRole("button", { name: "Save the scenario" }));
    // No template chosen yet: nothing is sent, the field says why.
    expect(screen.getByText("Choose a template")).toBeInTheDocument();
    expect(calls.some((c) => c.method === "PUT")).toBe(false);

    await user.selectOptions(within(steps).getByLabelText("Template of step 2"), "phone_call");
    await user.click(within(steps).getByLabelText("Step 2 sent without a collector"));
    await user.click(within(steps).getByRole("button", { name: "Add another channel to step 2" }));
    await user.selectOptions(within(steps).getByLabelText("Other channel 1 of step 2"), "E-mail");
    await user.selectOptions(within(steps).getByLabelText("Template of other channel 1 of step 2"), "first_reminder");
    await user.click(within(steps).getByLabelText("Minimum amount of step 2"));
    await user.paste("500,00");
    await user.clear(within(steps).getByLabelText("Code of step 2"));
    await user.click(within(steps).getByLabelText("Code of step 2"));
    await user.paste("call");
    await user.click(screen.getByRole("button", { name: "Save the scenario" }));

    await waitFor(() => expect(calls.some((c) => c.method === "PUT")).toBe(true));
    const put = calls.find((c) => c.method === "PUT")!;
    expect(put.body).toEqual({
      name: "Small businesses, France",
      language: "fr",
      minimum_amount: "50.00",
      version: 4,
      steps: [
        { ...SCENARIO.steps[0], product_group: null, minimum_amount: null },
        {
          code: "call",
          offset_days: 10,
          anchor: "due_date",
          channel: "phone_call",
          template: "phone_call",
          automatic: false,
          also: [{ channel: "email", template: "first_reminder" }],
          product_group: null,
          minimum_amount: "500.00",
        },
      ],
    });
    expect(await screen.findByRole("heading", { name: "smb_france (version 5)" })).toBeInTheDocument();
  }, 60_000);

  it("previews each language's unsaved text for the chosen customer", async () => {
    const { fn, calls } = gateway();
    const user = userEvent.setup();
    renderApp(<ScenariosPage />, { fetch: fn, path: "/scenarios" });

    await user.click(await screen.findByRole("tab", { name: "Message templates" }));
    await user.click(await screen.findByLabelText("Preview for entity"));
    await user.paste("FR01");
    await user.click(screen.getByLabelText(/Customer account/));
    await user.paste("C001");
    const french = await screen.findByRole("region", { name: "Preview in fr" });
    expect(await within(french).findByText("Bonjour Paul Martin, 650,00 € reste dû.")).toBeInTheDocument();
    expect(
      within(screen.getByRole("region", { name: "Preview in en" })).getByText("Dear Paul Martin, 650,00 € is due."),
    ).toBeInTheDocument();

    const frenchBody = screen.getByLabelText("Text (fr)");
    await user.clear(frenchBody);
    await user.type(frenchBody, "Merci #ContactName");
    expect(await within(french).findByText("Merci Paul Martin")).toBeInTheDocument();
    const previews = calls.filter((c) => c.url.pathname === "/api/v1/templates/preview");
    // Typing pauses before a preview is asked: far fewer requests than keys typed.
    expect(previews.length).toBeLessThan(12);
    expect(previews.at(-1)!.body).toMatchObject({
      customer: { entity: "FR01", account_number: "C001" },
    });
    expect(previews.map((c) => (c.body as { template: { body: string } }).template.body)).toContain(
      "Merci #ContactName",
    );
  }, 60_000);
});
