import { act, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { fakeFetch, json, renderApp } from "../test/render";
import { FakeXhr } from "./fakeXhr";
import { ImportsPage } from "./ImportsPage";
import type { ImportReport, ImportRunProgress, MappingProposal } from "./types";
import { progressPolling } from "./useImportProgress";

const PROPOSAL: MappingProposal = {
  headers: ["Kundennummer", "Kunde", "Belegnummer", "Belegdatum", "Fälligkeit", "Betrag", "Währung"],
  columns: {
    account_number: "Kundennummer",
    customer_name: "Kunde",
    item_number: "Belegnummer",
    issue_date: "Belegdatum",
    due_date: "Fälligkeit",
    amount: "Betrag",
  },
  confidence: { account_number: 1, customer_name: 1, item_number: 1, issue_date: 1, due_date: 0.87, amount: 1 },
  unmapped_headers: ["Währung"],
  missing_required: ["entity", "currency"],
  layout_signature: "9f2c1e07",
  saved_profile: null,
};

const REPORT: ImportReport = {
  import_id: "imp-1",
  file_name: "export.csv",
  checksum: "ab",
  rows_read: 1200,
  rows_rejected: 2,
  customers_created: 40,
  customers_changed: 3,
  items_opened: 1150,
  items_changed: 48,
  items_closed: 0,
  file_rejected: false,
  replayed: false,
  mode: "incremental",
  snapshot_entities: [],
  snapshot_closing_skipped: false,
  dry_run: false,
  mapping_profile: "SAP DE",
  errors: [
    { file: "export.csv", row: 17, column: "amount", header: "Betrag", value: "12,5x", reason: "not an amount" },
    {
      file: "export.csv",
      row: 90,
      column: "due_date",
      header: "Fälligkeit",
      value: "31.02.2026",
      reason: "no such day",
    },
  ],
};

beforeEach(() => {
  FakeXhr.sent = [];
  vi.stubGlobal("XMLHttpRequest", FakeXhr);
});
afterEach(() => vi.unstubAllGlobals());

async function lastUpload(count: number): Promise<FakeXhr> {
  await waitFor(() => expect(FakeXhr.sent).toHaveLength(count));
  return FakeXhr.sent[count - 1]!;
}

// Each page test gets 60 s: a page of Mantine inputs re-renders on every event, slow in jsdom on a busy machine.
describe("the imports screen", () => {
  it("maps a new layout, saves it as a profile, imports with a progress bar and shows the report", async () => {
    const { fn, calls } = fakeFetch(({ method, url }) => {
      if (url.pathname === "/api/v1/me") return json({ permissions: {} });
      if (method === "PUT" && url.pathname === "/api/v1/imports/mapping-profiles/SAP%20DE")
        return json({ name: "SAP DE", layout_signature: "9f2c1e07", columns: {}, constants: {} });
      return undefined;
    });
    const user = userEvent.setup();
    renderApp(<ImportsPage />, { fetch: fn, path: "/imports" });

    const file = new File(["Kundennummer;Kunde\n"], "export.csv", { type: "text/csv" });
    await user.upload(screen.getByLabelText("Receivables file"), file);
    await user.click(screen.getByRole("button", { name: "Read the columns" }));

    const proposalUpload = await lastUpload(1);
    expect(proposalUpload.url).toBe("/api/v1/imports/mapping-proposals");
    expect(proposalUpload.headers.Authorization).toBe("Bearer access-1");
    expect(proposalUpload.file?.name).toBe("export.csv");
    act(() => proposalUpload.respond(200, PROPOSAL));

    const table = await screen.findByRole("table", { name: "Column mapping" });
    expect(within(table).getByLabelText("Column for Account number")).toHaveValue("col:Kundennummer");
    // The optional fields nobody mapped wait behind a toggle.
    expect(within(table).queryByLabelText("Column for City")).not.toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Show 20 more optional fields" }));
    expect(within(table).getByLabelText("Column for City")).toHaveValue("\u0000none");
    await user.click(screen.getByRole("button", { name: "Show only the fields in use" }));
    // Entity and currency are missing: the import waits until they are given.
    const importButton = screen.getByRole("button", { name: "Save the mapping and import" });
    expect(importButton).toBeDisabled();
    expect(screen.getByText("2 problems to fix in the mapping")).toBeInTheDocument();

    await user.selectOptions(within(table).getByLabelText("Column for Entity"), "One value for every row…");
    await user.click(within(table).getByLabelText("Value of Entity for every row"));
    await user.paste("DE01");
    await user.selectOptions(within(table).getByLabelText("Column for Currency"), "Währung");
    await user.clear(screen.getByLabelText(/Save the mapping as/));
    await user.click(screen.getByLabelText(/Save the mapping as/));
    await user.paste("SAP DE");
    await user.click(screen.getByRole("button", { name: "Save the mapping and import" }));

    const importUpload = await lastUpload(2);
    const saved = calls.find((c) => c.method === "PUT");
    expect(saved?.body).toEqual({
      layout_signature: "9f2c1e07",
      columns: { ...PROPOSAL.columns, currency: "Währung" },
      constants: { entity: "DE01" },
    });
    expect(importUpload.url).toBe("/api/v1/imports/receivables?mode=incremental");
    expect(importUpload.headers["Idempotency-Key"]).toMatch(/\S{8,}/);

    act(() => importUpload.progress(512, 1024));
    expect(screen.getByRole("progressbar", { name: "Import progress" })).toHaveAttribute("aria-valuenow", "50");
    act(() => importUpload.progress(1024, 1024));
    expect(screen.getByText(/The rows are being applied/)).toBeInTheDocument();

    act(() => importUpload.respond(200, REPORT));
    expect(await screen.findByRole("heading", { name: "Import of export.csv" })).toBeInTheDocument();
    // The answer ends the progress display: no bar left running.
    expect(screen.queryByRole("progressbar", { name: "Import progress" })).not.toBeInTheDocument();
    expect(screen.getByTestId("count-rowsRead")).toHaveTextContent("1,200");
    expect(screen.getByTestId("count-itemsOpened")).toHaveTextContent("1,150");
    const rejected = screen.getByRole("table", { name: "Rejected rows" });
    const rows = within(rejected).getAllByRole("row");
    expect(rows).toHaveLength(3);
    expect(within(rows[1]!).getByText("17")).toBeInTheDocument();
    expect(within(rows[1]!).getByText("Betrag")).toBeInTheDocument();
    expect(within(rows[1]!).getByText("not an amount")).toBeInTheDocument();
    // The report was answered by the upload itself: it is not fetched again.
    expect(calls.some((c) => c.url.pathname === "/api/v1/imports/imp-1")).toBe(false);
  }, 60_000);

  it("imports a known layout at once and shows the rows of a file rejected as a whole", async () => {
    const { fn, calls } = fakeFetch(({ url }) =>
      url.pathname === "/api/v1/me" ? json({ permissions: {} }) : undefined,
    );
    const user = userEvent.setup();
    renderApp(<ImportsPage />, { fetch: fn, path: "/imports" });

    await user.upload(screen.getByLabelText("Receivables file"), new File(["x"], "export.csv"));
    await user.click(screen.getByRole("button", { name: "Read the columns" }));
    act(() =>
      FakeXhr.sent[0]!.respond(200, {
        ...PROPOSAL,
        saved_profile: {
          name: "SAP DE",
          layout_signature: "9f2c1e07",
          columns: { ...PROPOSAL.columns, currency: "Währung" },
          constants: { entity: "DE01" },
        },
      }),
    );
    expect(await screen.findByText(/profile “SAP DE” is applied/)).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Import" }));
    const upload = await lastUpload(2);
    act(() =>
      upload.respond(422, {
        type: "about:blank",
        title: "File rejected",
        status: 422,
        detail: "no header row",
        errors: [{ file: "export.csv", row: 1, column: null, header: null, value: null, reason: "no header row" }],
      }),
    );
    const title = await screen.findByText("File rejected");
    const alert = title.closest<HTMLElement>("[role=alert]")!;
    expect(within(alert).getByRole("cell", { name: "no header row" })).toBeInTheDocument();
    expect(calls.some((c) => c.method === "PUT")).toBe(false);
  }, 60_000);

  it("reads back an earlier report named in the address", async () => {
    const { fn } = fakeFetch(({ url }) => {
      if (url.pathname === "/api/v1/me") return json({ permissions: {} });
      if (url.pathname === "/api/v1/imports/imp-1") return json({ ...REPORT, errors: [] });
      return undefined;
    });
    renderApp(<ImportsPage />, { fetch: fn, path: "/imports?report=imp-1" });
    expect(await screen.findByRole("heading", { name: "Import of export.csv" })).toBeInTheDocument();
    expect(screen.getByTestId("count-customersCreated")).toHaveTextContent("40");
  }, 60_000);

  describe("while the importer applies the file", () => {
    const poll = progressPolling.intervalMs;
    beforeEach(() => {
      progressPolling.intervalMs = 40;
    });
    afterEach(() => {
      progressPolling.intervalMs = poll;
    });

    const READING: ImportRunProgress = {
      file_name: "export.csv",
      phase: "reading",
      rows_read: 260_000,
      rows_estimated: 1_000_000,
      file_bytes: 161_842_311,
      percent: 26,
      started_at: "2026-11-25T09:00:02Z",
      updated_at: "2026-11-25T09:00:07Z",
    };

    /** The gateway: the importer's progress as ``current`` says (404 while null). */
    function gateway() {
      const state: { current: ImportRunProgress | null } = { current: null };
      const fake = fakeFetch(({ url }) => {
        if (url.pathname === "/api/v1/me") return json({ permissions: {} });
        if (url.pathname === "/api/v1/imports/progress" && state.current) return json(state.current);
        return undefined;
      });
      const polls = () => fake.calls.filter((c) => c.url.pathname === "/api/v1/imports/progress");
      return { ...fake, state, polls };
    }

    async function startImport(fn: typeof fetch): Promise<FakeXhr> {
      const user = userEvent.setup();
      renderApp(<ImportsPage />, { fetch: fn, path: "/imports" });
      await user.upload(screen.getByLabelText("Receivables file"), new File(["x"], "export.csv"));
      await user.click(screen.getByRole("button", { name: "Read the columns" }));
      act(() =>
        FakeXhr.sent[0]!.respond(200, {
          ...PROPOSAL,
          saved_profile: {
            name: "SAP DE",
            layout_signature: "9f2c1e07",
            columns: { ...PROPOSAL.columns, currency: "Währung" },
            constants: { entity: "DE01" },
          },
        }),
      );
      await user.click(await screen.findByRole("button", { name: "Import" }));
      return lastUpload(2);
    }

    it("shows the rows read and the phase until the import answers, then stops asking", async () => {
      const { fn, state, polls } = gateway();
      const upload = await startImport(fn);
      // Nothing is asked while the file is still going out.
      act(() => upload.progress(512, 1024));
      expect(polls()).toHaveLength(0);

      act(() => upload.progress(1024, 1024));
      // Before the importer has started on the file: 404s, and the bar of a file being applied.
      await waitFor(() => expect(polls().length).toBeGreaterThan(0));
      expect(screen.getByText(/The rows are being applied/)).toBeInTheDocument();
      const key = upload.headers["Idempotency-Key"];
      expect(polls()[0]!.url.searchParams.get("key")).toBe(key);
      expect(polls()[0]!.headers.get("Authorization")).toBe("Bearer access-1");

      state.current = READING;
      const bar = () => screen.getByRole("progressbar", { name: "Import progress" });
      await waitFor(() => expect(bar()).toHaveAttribute("aria-valuenow", "26"));
      expect(bar()).toHaveAttribute("aria-valuetext", "260,000 of about 1,000,000 rows read (26 %)");
      expect(screen.getByTestId("import-phase")).toHaveTextContent("Reading and applying the rows");
      expect(screen.getByTestId("import-phase")).toHaveAttribute("aria-live", "polite");

      state.current = { ...READING, phase: "committing", rows_read: 1_000_000, percent: 100 };
      await waitFor(() => expect(screen.getByTestId("import-phase")).toHaveTextContent("Saving the import"));
      const saving = screen.getByRole("progressbar", { name: "Import progress" });
      // No share while saving: the bar is indeterminate, and says so in words.
      expect(saving).not.toHaveAttribute("aria-valuenow");
      expect(saving).toHaveAttribute("aria-valuetext", "1,000,000 rows read; saving them in one go");

      act(() => upload.respond(200, REPORT));
      expect(await screen.findByRole("heading", { name: "Import of export.csv" })).toBeInTheDocument();
      expect(screen.queryByRole("progressbar", { name: "Import progress" })).not.toBeInTheDocument();
      const asked = polls().length;
      // Several polling intervals later, nothing more was asked.
      await new Promise((resolve) => setTimeout(resolve, 10 * progressPolling.intervalMs));
      expect(polls()).toHaveLength(asked);
    }, 60_000);

    it("stops asking when the import fails", async () => {
      const { fn, state, polls } = gateway();
      state.current = { ...READING, rows_estimated: null, percent: null };
      const upload = await startImport(fn);
      act(() => upload.progress(1024, 1024));
      // Without an estimate of the file's rows: the rows read, and no share.
      const bar = () => screen.getByRole("progressbar", { name: "Import progress" });
      await waitFor(() => expect(bar()).toHaveAttribute("aria-valuetext", "260,000 rows read"));
      expect(bar()).not.toHaveAttribute("aria-valuenow");

      act(() => upload.respond(503, { type: "about:blank", title: "Service unavailable", status: 503, detail: "x" }));
      expect(await screen.findByText("Service unavailable")).toBeInTheDocument();
      const asked = polls().length;
      await new Promise((resolve) => setTimeout(resolve, 10 * progressPolling.intervalMs));
      expect(polls()).toHaveLength(asked);
    }, 60_000);
  });
});
