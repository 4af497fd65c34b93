import { mkdir } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser, Page } from "@playwright/test";
import { expect, openSignedIn, portalToken, test } from "./system";

// The main pages at a desk and on a phone, saved for people to look at (clients/web/e2e-artifacts/screenshots).
// Runs after collector-day.e2e.ts (files run in name order), so the account shows the statuses set there.
const OUT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "e2e-artifacts", "screenshots");

const SIZES = {
  desktop: { viewport: { width: 1366, height: 768 } },
  phone: { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true },
} as const;

async function noneLoading(page: Page): Promise<void> {
  await expect(page.getByLabel("Loading…")).toHaveCount(0);
  await expect(page.getByText("Loading…")).toHaveCount(0);
}

async function shoot(page: Page, name: string): Promise<void> {
  // The pointer is left where the last click was: over a chart it would open a tooltip in the picture.
  await page.mouse.move(0, 0);
  // Mantine's transitions and the charts' animations finish before the picture is taken (Playwright's
  // animations: "disabled" cuts Mantine's Collapse short and left the agenda blank below its filters).
  await page.waitForTimeout(600);
  await page.screenshot({ path: join(OUT, `${name}.png`), fullPage: true, caret: "hide" });
}

async function session(browser: Browser, size: keyof typeof SIZES, baseURL: string) {
  const context = await browser.newContext({ ...SIZES[size], baseURL, locale: "en-GB", timezoneId: "UTC" });
  return { context, page: await context.newPage() };
}

for (const size of Object.keys(SIZES) as (keyof typeof SIZES)[]) {
  test(`screenshots of the collector's pages and the portal (${size})`, async ({
    browser,
    system,
    admin,
    collectorSession,
  }) => {
    await mkdir(OUT, { recursive: true });
    const { context, page } = await session(browser, size, system.baseUrl);
    try {
      await openSignedIn(page, collectorSession, "/");
      await expect(page.getByRole("heading", { name: /Aging balance/ }).first()).toBeVisible();
      await noneLoading(page);
      await shoot(page, `dashboard-${size}`);

      await page.goto("/app/agenda");
      await expect(page.getByText(/^\d+ tasks?$/)).toBeVisible();
      // Every status, not only the open ones: the tests before this one have worked the demo's open tasks.
      await page.getByRole("form", { name: "Agenda filters" }).getByLabel("Status").selectOption("");
      await expect(page.getByRole("checkbox", { name: /^Select Müller Maschinenbau GmbH/ }).first()).toBeVisible();
      const fewer = page.getByRole("button", { name: "Fewer filters" });
      if (await fewer.isVisible()) await fewer.click();
      await shoot(page, `agenda-${size}`);

      await page.goto("/app/customers/DEMO/C003");
      await expect(page.getByRole("heading", { name: "Müller Maschinenbau GmbH" })).toBeVisible();
      await expect(page.getByRole("heading", { name: "Timeline" })).toBeVisible();
      await noneLoading(page);
      await shoot(page, `customer-${size}`);

      await page.goto("/app/reports");
      await expect(page.getByRole("table", { name: "Aging balance" })).toBeVisible();
      await noneLoading(page);
      await shoot(page, `reports-${size}`);

      await page.goto("/app/mobile");
      await page
        .getByRole("main")
        .getByRole("search", { name: "Find a customer" })
        .getByLabel("Name or account number")
        .fill("in");
      await page.getByRole("button", { name: "Search", exact: true }).click();
      await expect(page.getByRole("list", { name: "Customers matching “in”" })).toBeVisible();
      await noneLoading(page);
      await shoot(page, `mobile-search-${size}`);

      await page.goto(`/portal/${await portalToken(admin, "DEMO/C001")}`);
      await expect(page.getByRole("heading", { name: "Your account" })).toBeVisible();
      await shoot(page, `portal-${size}`);
    } finally {
      await context.close();
    }
  });

  test(`screenshots of the administrator's pages (${size})`, async ({ browser, system, admin }) => {
    await mkdir(OUT, { recursive: true });
    const { context, page } = await session(browser, size, system.baseUrl);
    try {
      await openSignedIn(page, admin, "/scenarios");
      await page.getByRole("button", { name: "Open Standard" }).click();
      await expect(page.getByRole("table", { name: "Steps" })).toBeVisible();
      await shoot(page, `scenarios-${size}`);

      await page.goto("/app/settings");
      await expect(page.getByRole("table", { name: "Users" })).toBeVisible();
      await noneLoading(page);
      await shoot(page, `settings-${size}`);
    } finally {
      await context.close();
    }
  });
}
