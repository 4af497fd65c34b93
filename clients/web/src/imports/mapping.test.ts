import { describe, expect, it } from "vitest";
import { draftFrom, mappingProblems, profileName, profileRequest, unusedHeaders, withSource } from "./mapping";
import type { MappingProposal } from "./types";

const HEADERS = ["Kundennummer", "Kunde", "Belegnummer", "Belegdatum", "Fälligkeit", "Betrag", "Währung", "Notiz"];

const PROPOSAL: MappingProposal = {
  headers: HEADERS,
  columns: {
    account_number: "Kundennummer",
    customer_name: "Kunde",
    item_number: "Belegnummer",
    issue_date: "Belegdatum",
    due_date: "Fälligkeit",
    amount: "Betrag",
  },
  confidence: { account_number: 1, customer_name: 1, item_number: 1, issue_date: 1, due_date: 0.87, amount: 1 },
  unmapped_headers: ["Währung", "Notiz"],
  missing_required: ["entity", "currency"],
  layout_signature: "9f2c",
  saved_profile: null,
};

describe("the column mapping", () => {
  it("starts from the proposal and names what the importer would refuse", () => {
    const draft = draftFrom(PROPOSAL);
    expect(draft.account_number).toEqual({ kind: "column", header: "Kundennummer" });
    expect(draft.entity).toEqual({ kind: "none" });
    expect(mappingProblems(draft, HEADERS)).toEqual([
      { field: "entity", kind: "required" },
      { field: "currency", kind: "required" },
    ]);
  });

  it("asks for the item fields only once the file has items", () => {
    const customersOnly = draftFrom({
      ...PROPOSAL,
      columns: { entity: "Kundennummer", account_number: "Kunde", customer_name: "Notiz" },
    });
    expect(mappingProblems(customersOnly, HEADERS)).toEqual([]);
    const withItem = withSource(customersOnly, "amount", { kind: "column", header: "Betrag" });
    expect(mappingProblems(withItem, HEADERS).map((p) => p.field)).toEqual([
      "item_number",
      "issue_date",
      "due_date",
      "currency",
    ]);
  });

  it("refuses one column for two fields, an empty constant and a column the file lacks", () => {
    let draft = draftFrom(PROPOSAL);
    draft = withSource(draft, "entity", { kind: "constant", value: "  " });
    draft = withSource(draft, "currency", { kind: "column", header: "Betrag" });
    draft = withSource(draft, "reference", { kind: "column", header: "Referenz" });
    expect(mappingProblems(draft, HEADERS)).toEqual([
      { field: "entity", kind: "emptyConstant" },
      { field: "currency", kind: "sharedColumn", header: "Betrag", with: "amount" },
      { field: "reference", kind: "unknownColumn", header: "Referenz" },
    ]);
    expect(() => withSource(draft, "colour", { kind: "none" })).toThrow(/unknown import field colour/);
  });

  it("builds the profile request from the corrected mapping", () => {
    let draft = draftFrom(PROPOSAL);
    draft = withSource(draft, "entity", { kind: "constant", value: " DE01 " });
    draft = withSource(draft, "currency", { kind: "column", header: "Währung" });
    draft = withSource(draft, "due_date", { kind: "none" });
    draft = withSource(draft, "due_date", { kind: "column", header: "Fälligkeit" });
    expect(mappingProblems(draft, HEADERS)).toEqual([]);
    expect(unusedHeaders(draft, HEADERS)).toEqual(["Notiz"]);
    expect(profileRequest(draft, "9f2c")).toEqual({
      layout_signature: "9f2c",
      columns: {
        account_number: "Kundennummer",
        customer_name: "Kunde",
        item_number: "Belegnummer",
        issue_date: "Belegdatum",
        due_date: "Fälligkeit",
        amount: "Betrag",
        currency: "Währung",
      },
      constants: { entity: "DE01" },
    });
  });

  it("prefers the profile saved for the layout, constants included", () => {
    const draft = draftFrom({
      ...PROPOSAL,
      saved_profile: {
        name: "SAP DE",
        layout_signature: "9f2c",
        columns: { account_number: "Kunde", customer_name: "Kundennummer" },
        constants: { entity: "DE01" },
      },
    });
    expect(draft.account_number).toEqual({ kind: "column", header: "Kunde" });
    expect(draft.entity).toEqual({ kind: "constant", value: "DE01" });
    expect(draft.amount).toEqual({ kind: "none" });
  });

  it("accepts a profile name that fits in the route's path", () => {
    expect(profileName("  SAP export DE ")).toBe("SAP export DE");
    expect(profileName("")).toBeNull();
    expect(profileName("a/b")).toBeNull();
    expect(profileName("x".repeat(101))).toBeNull();
  });
});
