/* The imports routes' answers, after the gateway's serializers (docs/openapi.json leaves them untyped). */

import type { Money } from "../api/types";

export interface RowError {
  file: string;
  /** 1-based row of the file (the header is row 1 for a CSV); 0 for a problem of the whole file. */
  row: number;
  column: string | null;
  header: string | null;
  value: string | null;
  reason: string;
}

export interface ImportReport {
  import_id: string;
  file_name: string;
  checksum: string;
  rows_read: number;
  rows_rejected: number;
  customers_created: number;
  customers_changed: number;
  items_opened: number;
  items_changed: number;
  items_closed: number;
  file_rejected: boolean;
  replayed: boolean;
  mode: "incremental" | "full_snapshot";
  snapshot_entities: string[];
  snapshot_closing_skipped: boolean;
  dry_run: boolean;
  mapping_profile: string | null;
  errors: RowError[];
}

export interface MappingProfile {
  name: string;
  layout_signature: string;
  columns: Record<string, string>;
  constants: Record<string, string>;
}

export interface MappingProposal {
  headers: string[];
  columns: Record<string, string>;
  confidence: Record<string, number>;
  unmapped_headers: string[];
  missing_required: string[];
  layout_signature: string;
  saved_profile: MappingProfile | null;
}

export interface StatementSummary {
  statement_id: string;
  account_iban: string | null;
  currency: string;
  opening_balance: { date: string | null; amount: Money } | null;
  closing_balance: { date: string | null; amount: Money } | null;
  transactions: number;
}

export interface StatementReport {
  import_id: string;
  file_name: string;
  format: string | null;
  statements: StatementSummary[];
  transactions_published: number;
  transactions_already_known: number;
  file_rejected: boolean;
  rejection_reason: string | null;
  replayed: boolean;
}

/** What a running import is doing, as GET /api/v1/imports/progress answers. */
export type ImportPhase = "reading" | "closing_snapshot" | "committing" | "done" | "failed";

/** How far a running import is: the rows read so far and, for a delimited text file, an estimate of its rows. */
export interface ImportRunProgress {
  file_name: string;
  phase: ImportPhase;
  rows_read: number;
  /** An estimate (the file's lines less the header); null for a workbook. */
  rows_estimated: number | null;
  file_bytes: number | null;
  /** Share of the rows read, 0-100; null without an estimate. */
  percent: number | null;
  started_at: string | null;
  updated_at: string | null;
}
