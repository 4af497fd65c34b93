import {
  type Api,
  expect,
  isoDay,
  openFromMenu,
  openSignedIn,
  portalToken,
  signIn,
  tasksOf,
  test,
  timelineOf,
  type Task,
} from "./system";

// A collector's day on the demo ledger (`opendso run`'s five DEMO customers), each step checked through the
// public API afterwards. Each test works on its own customer so that none depends on another's outcome.

async function openTask(admin: Api, customerId: string, step: string): Promise<Task> {
  let found: Task | undefined;
  await expect
    .poll(
      async () => {
        found = (await tasksOf(admin, customerId)).find((t) => t.step === step && t.status === "open");
        return found?.task_id;
      },
      { message: `an open '${step}' task of ${customerId} on the agenda`, timeout: 30_000 },
    )
    .toBeTruthy();
  return found!;
}

test("a wrong password is refused and the right one signs in", async ({ page, collector }) => {
  await page.goto("/app/");
  await expect(page).toHaveURL(/\/app\/signin$/);
  await page.getByLabel("E-mail").fill(collector.email);
  await page.getByRole("textbox", { name: "Password" }).fill("not-the-password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert")).toBeVisible();
  await expect(page).toHaveURL(/\/app\/signin$/);

  await page.getByRole("textbox", { name: "Password" }).fill(collector.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("heading", { name: "Dashboard" })).toBeVisible();
  await expect(page.getByText(collector.email)).toBeVisible();
});

test("performing a call task from the agenda marks it done", async ({ page, admin, collector }) => {
  const task = await openTask(admin, "DEMO/C004", "call");
  await signIn(page, collector);
  await openFromMenu(page, "Agenda");
  await expect(page.getByRole("heading", { name: "Collection agenda" })).toBeVisible();

  await page.getByRole("checkbox", { name: `Select ${task.customer_name}, call` }).check();
  const bar = page.getByRole("region", { name: "Actions on the selected tasks" });
  await expect(bar.getByText("1 selected")).toBeVisible();
  await bar.getByLabel("Comment").fill("Called: payment run on Friday (e2e)");
  await bar.getByRole("button", { name: "Perform" }).click();
  await expect(page.getByText("Perform: 1 updated, 0 refused")).toBeVisible();
  // The agenda shows open tasks: the performed one leaves it.
  await expect(page.getByRole("checkbox", { name: `Select ${task.customer_name}, call` })).toHaveCount(0);

  const after = (await tasksOf(admin, "DEMO/C004")).find((t) => t.task_id === task.task_id);
  expect(after, `task ${task.task_id} of DEMO/C004 through the API`).toMatchObject({
    status: "done",
    updated_by: collector.email,
    comment: "Called: payment run on Friday (e2e)",
  });
});

test("postponing a task moves its due date", async ({ page, admin, collectorSession }) => {
  const task = await openTask(admin, "DEMO/C005", "first");
  const to = isoDay(5);
  await openSignedIn(page, collectorSession, "/agenda");

  await page.getByRole("checkbox", { name: `Select ${task.customer_name}, first` }).check();
  const bar = page.getByRole("region", { name: "Actions on the selected tasks" });
  await bar.getByLabel("Postpone to").fill(to);
  await bar.getByRole("button", { name: "Postpone", exact: true }).click();
  await expect(page.getByText("Postpone: 1 updated, 0 refused")).toBeVisible();

  const after = (await tasksOf(admin, "DEMO/C005")).find((t) => t.task_id === task.task_id);
  expect(after, `task ${task.task_id} of DEMO/C005 through the API`).toMatchObject({ due_on: to });
});

test("qualifying an item as disputed records the dispute", async ({ page, admin, collectorSession }) => {
  await openSignedIn(page, collectorSession, "/customers/DEMO/C002");
  await expect(page.getByRole("heading", { name: "Boulangerie Dupont SARL" })).toBeVisible();

  await page.getByRole("checkbox", { name: "Select item INV-2002" }).check();
  const form = page.getByRole("form", { name: "Qualify the selected items" });
  await expect(form.getByText("1 item selected")).toBeVisible();
  await form.getByLabel("Status").selectOption("dispute");
  await form.getByLabel("Owner").fill("sales.north");
  await form.getByLabel("Comment").fill("Two trays arrived broken (e2e)");
  await form.getByRole("button", { name: "Apply the status" }).click();
  await expect(page.getByText("1 item now: Dispute")).toBeVisible();
  // The status column reads the account's timeline, which the reporting service fills from the events.
  await expect(page.getByRole("row", { name: /INV-2002/ }).getByText("Dispute")).toBeVisible({ timeout: 30_000 });

  const summary = await admin.get<{ disputes: { item_id: string; owner: string; comment: string }[] }>(
    "/mobile/customers/DEMO/C002",
  );
  expect(summary.disputes).toEqual([
    expect.objectContaining({
      item_id: "DEMO/invoice/INV-2002",
      owner: "sales.north",
      comment: "Two trays arrived broken (e2e)",
    }),
  ]);
});

test("a debtor opens the portal link of a reminder and promises a payment", async ({ page, admin }) => {
  const token = await portalToken(admin, "DEMO/C003");
  const on = isoDay(10);
  await page.goto(`/portal/${token}`);
  await expect(page.getByRole("heading", { name: "Your account" })).toBeVisible();
  await expect(page.getByText("Müller Maschinenbau GmbH")).toBeVisible();

  const form = page.locator("form", { has: page.getByRole("heading", { name: "Promise to pay" }) });
  await form.getByLabel("INV-3001").check();
  await form.getByLabel("Amount").fill("15000.00");
  await expect(form.getByLabel("Currency")).toHaveValue("EUR");
  await form.getByLabel("On").fill(on);
  await form.getByRole("button", { name: "Promise" }).click();
  await expect(page.getByRole("heading", { name: "Thank you" })).toBeVisible();
  await expect(page.getByText("Your promise is recorded")).toBeVisible();

  await expect
    .poll(
      async () =>
        (await timelineOf(admin, "DEMO", "C003"))
          .filter((e) => e.kind === "item.qualified" && e.item_ids.includes("DEMO/invoice/INV-3001"))
          .map((e) => e.detail.status),
      { message: "the promise on the timeline of DEMO/C003", timeout: 30_000 },
    )
    .toContain("promise_to_pay");
});
