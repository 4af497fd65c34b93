import type { MappingProfile, MappingProposal } from "./types";

/*
 * The column-mapping screen's rules, mirroring the importer's (services/importer: domain/column_mapping.py) so the
 * user sees what is wrong before the file goes up: each field comes from one column or one constant, a column
 * feeds one field, the customer fields are required, and the item fields too once the file has items.
 */

export const CUSTOMER_FIELDS = [
  "entity",
  "account_number",
  "customer_name",
  "email",
  "language",
  "country",
  "contact_name",
  "customer_group",
  "sector",
  "collector",
  "sales_rep",
  "credit_limit",
  "street",
  "postal_code",
  "city",
  "parent_account",
  "preferred_channel",
] as const;
export const ITEM_FIELDS = [
  "item_number",
  "item_type",
  "issue_date",
  "due_date",
  "amount",
  "open_amount",
  "currency",
  "reference",
  "product_group",
  "product",
  "priority",
] as const;
export const FIELDS: readonly string[] = [...CUSTOMER_FIELDS, ...ITEM_FIELDS];
const REQUIRED = ["entity", "account_number", "customer_name"];
const REQUIRED_FOR_ITEMS = ["item_number", "issue_date", "due_date", "amount", "currency"];
/** The fields a receivables file needs: always shown on the mapping screen, the others on request. */
export const ESSENTIAL_FIELDS: readonly string[] = [...REQUIRED, ...REQUIRED_FOR_ITEMS];
const ITEMS = new Set<string>(ITEM_FIELDS);

export type Source = { kind: "none" } | { kind: "column"; header: string } | { kind: "constant"; value: string };

/** Every canonical field and where its value comes from. */
export type MappingDraft = Readonly<Record<string, Source>>;

export type MappingProblem =
  | { field: string; kind: "required" }
  | { field: string; kind: "sharedColumn"; header: string; with: string }
  | { field: string; kind: "emptyConstant" }
  | { field: string; kind: "unknownColumn"; header: string };

function fromProfile(columns: Record<string, string>, constants: Record<string, string>): MappingDraft {
  const draft: Record<string, Source> = {};
  for (const field of FIELDS) {
    if (columns[field] !== undefined) draft[field] = { kind: "column", header: columns[field] };
    else if (constants[field] !== undefined) draft[field] = { kind: "constant", value: constants[field] };
    else draft[field] = { kind: "none" };
  }
  return draft;
}

/** The mapping the screen starts from: the profile saved for this layout, else the importer's guess. */
export function draftFrom(proposal: MappingProposal): MappingDraft {
  const saved = proposal.saved_profile;
  if (saved) return fromProfile(saved.columns, saved.constants);
  return fromProfile(proposal.columns, {});
}

export function withSource(draft: MappingDraft, field: string, source: Source): MappingDraft {
  if (!FIELDS.includes(field)) throw new Error(`unknown import field ${field}`);
  return { ...draft, [field]: source };
}

/** What would make the importer refuse this mapping for a file with ``headers``; empty when nothing. */
export function mappingProblems(draft: MappingDraft, headers: readonly string[]): MappingProblem[] {
  const problems: MappingProblem[] = [];
  const inFile = new Set(headers.map((h) => h.trim()));
  const firstFieldOf = new Map<string, string>();
  const present = new Set<string>();
  for (const field of FIELDS) {
    const source = draft[field] ?? { kind: "none" };
    if (source.kind === "column") {
      present.add(field);
      if (!inFile.has(source.header.trim())) {
        problems.push({ field, kind: "unknownColumn", header: source.header });
        continue;
      }
      const other = firstFieldOf.get(source.header);
      if (other) problems.push({ field, kind: "sharedColumn", header: source.header, with: other });
      else firstFieldOf.set(source.header, field);
    } else if (source.kind === "constant") {
      present.add(field);
      if (!source.value.trim()) problems.push({ field, kind: "emptyConstant" });
    }
  }
  const hasItems = [...present].some((f) => ITEMS.has(f));
  for (const field of [...REQUIRED, ...(hasItems ? REQUIRED_FOR_ITEMS : [])]) {
    if (!present.has(field)) problems.push({ field, kind: "required" });
  }
  return problems;
}

/** Headers of the file that feed no field: shown so the user sees what the import will ignore. */
export function unusedHeaders(draft: MappingDraft, headers: readonly string[]): string[] {
  const used = new Set(Object.values(draft).flatMap((s) => (s.kind === "column" ? [s.header.trim()] : [])));
  return headers.filter((h) => h.trim() && !used.has(h.trim()));
}

/** The body of PUT /imports/mapping-profiles/{name}; constants trimmed, fields left out when unmapped. */
export function profileRequest(draft: MappingDraft, layoutSignature: string): Omit<MappingProfile, "name"> {
  const columns: Record<string, string> = {};
  const constants: Record<string, string> = {};
  for (const field of FIELDS) {
    const source = draft[field];
    if (source?.kind === "column") columns[field] = source.header;
    else if (source?.kind === "constant") constants[field] = source.value.trim();
  }
  return { layout_signature: layoutSignature, columns, constants };
}

/** A profile name as the route's path takes it; null when it would not make a usable name. */
export function profileName(text: string): string | null {
  const name = text.trim();
  if (!name || name.length > 100 || /[/\\?#%]/.test(name)) return null;
  return name;
}
