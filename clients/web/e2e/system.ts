import { test as base, expect, type Page } from "@playwright/test";

/** The environment variable the global setup passes the running system in. */
export const SYSTEM_ENV = "OPENDSO_E2E_SYSTEM";

export interface User {
  role: string;
  email: string;
  password: string;
}

export interface SystemInfo {
  baseUrl: string;
  varDir: string;
  users: Record<string, User>;
}

export function systemInfo(): SystemInfo {
  const raw = process.env[SYSTEM_ENV];
  if (!raw) throw new Error(`${SYSTEM_ENV} is not set: run these tests with playwright.config.ts (its global setup)`);
  return JSON.parse(raw) as SystemInfo;
}

export function user(system: SystemInfo, role: string): User {
  const found = system.users[role];
  if (!found) throw new Error(`no ${role} user among those \`opendso run\` printed: ${Object.keys(system.users)}`);
  return found;
}

/** The gateway's public API as a partner calls it, to check what the browser did. */
export class Api {
  private constructor(
    private readonly baseUrl: string,
    /** What the sign-in route answered: access and refresh tokens, as the web client keeps them. */
    readonly tokens: Record<string, unknown> & { access_token: string },
  ) {}

  static async signIn(baseUrl: string, who: User): Promise<Api> {
    const answer = await fetch(`${baseUrl}/api/v1/auth/token`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ email: who.email, password: who.password }),
    });
    if (!answer.ok) throw new Error(`API sign-in of ${who.email}: ${answer.status} ${await answer.text()}`);
    return new Api(baseUrl, (await answer.json()) as Api["tokens"]);
  }

  async get<T>(path: string, query: Record<string, string> = {}): Promise<T> {
    const url = new URL(`/api/v1${path}`, this.baseUrl);
    for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
    const answer = await fetch(url, { headers: { Authorization: `Bearer ${this.tokens.access_token}` } });
    if (!answer.ok) throw new Error(`GET ${url.pathname}${url.search}: ${answer.status} ${await answer.text()}`);
    return (await answer.json()) as T;
  }

  /** A route's raw answer (a CSV export, a refusal), for the tests that read more than JSON. */
  async fetch(path: string, query: Record<string, string> = {}, init: RequestInit = {}): Promise<Response> {
    const url = new URL(`/api/v1${path}`, this.baseUrl);
    for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
    const headers = new Headers(init.headers);
    headers.set("Authorization", `Bearer ${this.tokens.access_token}`);
    return fetch(url, { ...init, headers });
  }

  /** A JSON write, to arrange what a test needs beyond the demo data (the browser then does the part tested). */
  async send<T>(method: "POST" | "PUT" | "PATCH", path: string, body: unknown): Promise<T> {
    const answer = await this.fetch(
      path,
      {},
      {
        method,
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body),
      },
    );
    if (!answer.ok) throw new Error(`${method} /api/v1${path}: ${answer.status} ${await answer.text()}`);
    return (await answer.json()) as T;
  }

  /** A file posted as the imports routes take it (multipart, field `file`). */
  async upload<T>(path: string, name: string, content: string): Promise<T> {
    const form = new FormData();
    form.set("file", new Blob([content], { type: "text/csv" }), name);
    const answer = await this.fetch(path, {}, { method: "POST", body: form });
    if (!answer.ok) throw new Error(`POST /api/v1${path}: ${answer.status} ${await answer.text()}`);
    return (await answer.json()) as T;
  }
}

export interface Task {
  task_id: string;
  customer_id: string;
  customer_name: string;
  step: string;
  channel: string;
  status: string;
  due_on: string;
  updated_by: string | null;
  comment: string | null;
}

export interface TimelineEntry {
  kind: string;
  actor: string;
  item_ids: string[];
  detail: Record<string, unknown>;
}

export interface Dispute {
  item_id: string;
  owner: string;
  comment: string;
}

export async function tasksOf(api: Api, customerId: string): Promise<Task[]> {
  const page = await api.get<{ items: Task[] }>("/agenda", { customer_id: customerId, page_size: "100" });
  return page.items;
}

export async function timelineOf(api: Api, entity: string, account: string): Promise<TimelineEntry[]> {
  const answer = await api.get<{ entries: TimelineEntry[] }>(`/customers/${entity}/${account}/timeline`);
  return answer.entries;
}

/** The debtor-portal token of the newest e-mail sent to a customer (each reminder carries a link to its account). */
export async function portalToken(api: Api, customerId: string): Promise<string> {
  let token: string | undefined;
  await expect
    .poll(
      async () => {
        const outbox = await api.get<{ items: { text: string }[] }>("/outbox", { customer_id: customerId });
        token = outbox.items.map((m) => /\/portal\/([A-Za-z0-9_.=-]+)/.exec(m.text)?.[1]).find(Boolean);
        return token;
      },
      { message: `an e-mail with a portal link sent to ${customerId}`, timeout: 30_000 },
    )
    .toBeTruthy();
  return token!;
}

/** A day `days` from today as the date inputs and the API write it (UTC, as the browser's time zone is set). */
export function isoDay(days: number): string {
  const day = new Date();
  day.setUTCDate(day.getUTCDate() + days);
  return day.toISOString().slice(0, 10);
}

/** Signs in through the sign-in page, as a person does, and waits for the dashboard it opens on. */
export async function signIn(page: Page, who: User): Promise<void> {
  await page.goto("/app/");
  await expect(page).toHaveURL(/\/app\/signin$/);
  await page.getByLabel("E-mail").fill(who.email);
  await page.getByRole("textbox", { name: "Password" }).fill(who.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("heading", { name: "Dashboard" })).toBeVisible();
}

/** Opens a screen from the main menu, as a person does (the app stays loaded). */
export async function openFromMenu(page: Page, name: string): Promise<void> {
  await page.getByRole("navigation", { name: "Main menu" }).getByRole("link", { name }).click();
}

// Where the web client keeps its tokens (src/api/tokens.ts: sessionStorage, one tab's sign-in).
const TOKENS_KEY = "opendso.tokens";

/**
 * Opens `path` of the web client already signed in as the user of `session`, as after a reload: the tokens go
 * into the tab's sessionStorage before the client starts. The sign-in page itself is tested once; the other tests
 * skip it and the dashboard it opens on, which would only add the password hashing and the dashboard's reports.
 */
export async function openSignedIn(page: Page, session: Api, path: string): Promise<void> {
  await page.addInitScript(
    ([key, value]) => {
      // Only into a fresh tab: tokens the client refreshed itself are kept.
      if (!window.sessionStorage.getItem(key)) window.sessionStorage.setItem(key, value);
    },
    [TOKENS_KEY, JSON.stringify(session.tokens)] as const,
  );
  await page.goto(`/app${path}`);
  await expect(
    page,
    `a signed-in tab should stay on ${path}: does the client still keep tokens under ${TOKENS_KEY}?`,
  ).toHaveURL(new RegExp(`/app${path}$`));
}

interface Fixtures {
  collector: User;
}

interface WorkerFixtures {
  system: SystemInfo;
  admin: Api;
  /** The collector signed in once for the whole run (tokens for openSignedIn and API calls of their own). */
  collectorSession: Api;
}

export const test = base.extend<Fixtures, WorkerFixtures>({
  system: [async ({}, use) => use(systemInfo()), { scope: "worker" }],
  // One sign-in per user for the whole run: the gateway hashes passwords with argon2id, which costs on a loaded machine.
  admin: [async ({ system }, use) => use(await Api.signIn(system.baseUrl, user(system, "admin"))), { scope: "worker" }],
  collectorSession: [
    async ({ system }, use) => use(await Api.signIn(system.baseUrl, user(system, "collector"))),
    { scope: "worker" },
  ],
  baseURL: async ({ system }, use) => use(system.baseUrl),
  collector: async ({ system }, use) => use(user(system, "collector")),
});

export { expect };
