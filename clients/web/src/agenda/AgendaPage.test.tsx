import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import type { Task } from "../api/types";
import { fakeFetch, json, renderApp } from "../test/render";
import { AgendaWorkspace } from "./AgendaPage";

function task(id: string, name: string, amount: string, overrides: Partial<Task> = {}): Task {
  return {
    task_id: id,
    customer_id: `FR01/${id.toUpperCase()}`,
    entity: "FR01",
    account_number: id.toUpperCase(),
    customer_name: name,
    scenario: "standard",
    step: "first_reminder",
    channel: "email",
    automatic: false,
    status: "open",
    due_on: "2026-11-20",
    leader_item_id: `FR01/invoice/${id}`,
    item_ids: [`FR01/invoice/${id}`],
    totals: [{ amount, currency: "EUR" }],
    days_overdue: 12,
    collector: "Marie",
    amount,
    updated_by: null,
    send_at: null,
    ...overrides,
  };
}

const TASKS = [task("t1", "Acme", "1200.50"), task("t2", "Bolt", "80"), task("t3", "Cargo", "15000")];
const ME = {
  user_id: "u1",
  email: "marie@example.com",
  name: "Marie",
  role: "collector",
  entities: ["FR01"],
  portfolio: null,
  permissions: { agenda: ["read", "write"], customers: ["read"] },
};

function gateway(bulk: (body: { action: string; task_ids: string[] }) => unknown) {
  return fakeFetch(({ method, url, body }) => {
    if (url.pathname === "/api/v1/me") return json(ME);
    if (url.pathname === "/api/v1/agenda" && method === "GET")
      return json({ items: TASKS, total: 3, next_page_token: null });
    if (url.pathname === "/api/v1/agenda/bulk") return json(bulk(body as { action: string; task_ids: string[] }));
    return undefined;
  });
}

async function renderAgenda(fetchFn: typeof fetch, language = "en") {
  renderApp(<AgendaWorkspace entities={[{ value: "FR01", label: "FR01 — France" }]} initialEntity="FR01" />, {
    fetch: fetchFn,
    language,
  });
  await screen.findByText("Acme");
  // The bulk bar appears once /me says the user may write.
  await screen.findByRole("region", { name: "Actions on the selected tasks" });
}

describe("the agenda", () => {
  it("asks for the day's open tasks of the entity, most overdue first", async () => {
    const { fn, calls } = gateway(() => ({ results: [] }));
    await renderAgenda(fn);
    const query = calls.find((c) => c.url.pathname === "/api/v1/agenda")!.url.searchParams;
    expect(query.get("entity")).toBe("FR01");
    expect(query.get("status")).toBe("open");
    expect(query.get("sort")).toBe("days_overdue");
    expect(query.get("due_to")).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(screen.getByText("3 tasks")).toBeInTheDocument();
  });

  it("selects tasks from the keyboard and performs them in one request", async () => {
    const user = userEvent.setup();
    const { fn, calls } = gateway((body) => ({
      results: body.task_ids.map((id) => ({ task_id: id, updated: true, error: null, task: null })),
    }));
    await renderAgenda(fn);

    const rows = screen.getAllByRole("row").slice(1);
    rows[0]!.focus();
    await user.keyboard(" ");
    await user.keyboard("{Shift>}{ArrowDown}{/Shift}");
    expect(screen.getByText("2 selected")).toBeInTheDocument();
    expect(rows[0]).toHaveAttribute("aria-selected", "true");
    expect(rows[1]).toHaveAttribute("aria-selected", "true");
    expect(rows[2]).toHaveAttribute("aria-selected", "false");

    await user.keyboard("p");
    await waitFor(() => expect(calls.some((c) => c.url.pathname === "/api/v1/agenda/bulk")).toBe(true));
    const sent = calls.find((c) => c.url.pathname === "/api/v1/agenda/bulk")!;
    expect(sent.method).toBe("POST");
    expect(sent.body).toEqual({ action: "perform", task_ids: ["t1", "t2"] });
    // The agenda is read again so done tasks leave the list.
    await waitFor(() => expect(calls.filter((c) => c.url.pathname === "/api/v1/agenda")).toHaveLength(2));
  });

  it("postpones the selection to the chosen day with a comment", async () => {
    const user = userEvent.setup();
    const { fn, calls } = gateway((body) => ({
      results: body.task_ids.map((id) => ({ task_id: id, updated: true, error: null, task: null })),
    }));
    await renderAgenda(fn);

    await user.click(screen.getByRole("checkbox", { name: "Select all tasks on this page" }));
    const date = screen.getByLabelText("Postpone to");
    await user.clear(date);
    await user.type(date, "2099-01-15");
    await user.type(screen.getByLabelText("Comment"), "customer on holiday");
    await user.click(screen.getByRole("button", { name: "Postpone" }));

    await waitFor(() => expect(calls.some((c) => c.url.pathname === "/api/v1/agenda/bulk")).toBe(true));
    expect(calls.find((c) => c.url.pathname === "/api/v1/agenda/bulk")!.body).toEqual({
      action: "postpone",
      task_ids: ["t1", "t2", "t3"],
      postpone_to: "2099-01-15",
      comment: "customer on holiday",
    });
  });

  it("reassigns the selection to another collector", async () => {
    const user = userEvent.setup();
    const { fn, calls } = gateway((body) => ({
      results: body.task_ids.map((id) => ({ task_id: id, updated: true, error: null, task: null })),
    }));
    await renderAgenda(fn);

    await user.click(screen.getByRole("checkbox", { name: "Select Bolt, first_reminder" }));
    await user.type(screen.getByLabelText("Reassign to (collector)"), "Jana{Enter}");

    await waitFor(() => expect(calls.some((c) => c.url.pathname === "/api/v1/agenda/bulk")).toBe(true));
    expect(calls.find((c) => c.url.pathname === "/api/v1/agenda/bulk")!.body).toEqual({
      action: "reassign",
      task_ids: ["t2"],
      collector: "Jana",
    });
  });

  it("shows why tasks were refused and keeps them selected", async () => {
    const user = userEvent.setup();
    const { fn } = gateway(() => ({
      results: [
        { task_id: "t1", updated: true, error: null, task: null },
        { task_id: "t3", updated: false, error: "the step needs no validation", task: null },
      ],
    }));
    await renderAgenda(fn);

    await user.click(screen.getByRole("checkbox", { name: "Select Acme, first_reminder" }));
    await user.click(screen.getByRole("checkbox", { name: "Select Cargo, first_reminder" }));
    await user.click(screen.getByRole("button", { name: "Validate" }));

    const alert = await screen.findByText("1 task was not updated");
    expect(
      within(alert.closest("[role=alert]") ?? document.body).getByText(/t3: the step needs no validation/),
    ).toBeInTheDocument();
    await waitFor(() => expect(screen.getByText("1 selected")).toBeInTheDocument());
  });

  it("shows the gateway's problem when the agenda is refused", async () => {
    const { fn } = fakeFetch(({ url }) => {
      if (url.pathname === "/api/v1/me") return json(ME);
      return json(
        { type: "about:blank", title: "Choose an entity", status: 422, detail: "your scope holds CZ01, FR01" },
        422,
      );
    });
    renderApp(<AgendaWorkspace entities={[]} initialEntity="" />, { fetch: fn });
    expect(await screen.findByText("Choose an entity")).toBeInTheDocument();
    expect(screen.getByText("your scope holds CZ01, FR01")).toBeInTheDocument();
  });

  it("writes amounts and dates in the interface language", async () => {
    const { fn } = gateway(() => ({ results: [] }));
    renderApp(<AgendaWorkspace entities={[]} initialEntity="FR01" />, { fetch: fn, language: "fr" });
    await screen.findByText("Acme");
    expect(screen.getByText((text) => text.replace(/[\u00a0\u202f]/g, " ") === "15 000,00 €")).toBeInTheDocument();
    expect(screen.getAllByText("20 nov. 2026").length).toBe(3);
    expect(screen.getByText("3 tâches")).toBeInTheDocument();
  });
});
