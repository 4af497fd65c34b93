import { defineConfig } from "@playwright/test";

// End-to-end tests: the real system (NATS, every service, the gateway serving clients/web/dist) is started by
// e2e/global-setup.ts and driven in Debian's chromium. Playwright's own browser builds are never downloaded.
export const CHROMIUM = process.env.OPENDSO_E2E_CHROMIUM ?? "/usr/bin/chromium";

export default defineConfig({
  testDir: "./e2e",
  // *.e2e.ts, not *.test.ts or *.spec.ts: Vitest's default pattern must not pick these up.
  testMatch: "**/*.e2e.ts",
  globalSetup: "./e2e/global-setup.ts",
  outputDir: "./e2e-artifacts/results",
  // One system, one browser at a time: the tests share the demo ledger and the machine has two cores.
  workers: 1,
  fullyParallel: false,
  forbidOnly: Boolean(process.env.CI),
  timeout: 60_000,
  expect: { timeout: 15_000 },
  reporter: [["list"], ["html", { outputFolder: "./e2e-artifacts/report", open: "never" }]],
  use: {
    browserName: "chromium",
    launchOptions: { executablePath: CHROMIUM },
    viewport: { width: 1366, height: 768 },
    locale: "en-GB",
    timezoneId: "UTC",
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
  },
});
