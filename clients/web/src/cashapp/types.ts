/* The matching routes' answers, after services/gateway's matching_serializers.py. */

import type { Money } from "../api/types";

export interface BankTransaction {
  transaction_id: string;
  entity: string;
  booking_date: string | null;
  value_date: string | null;
  amount: Money;
  counterparty_name: string | null;
  counterparty_iban: string | null;
  remittance_text: string | null;
  structured_reference: string | null;
  structured_reference_type: string | null;
}

export interface Allocation {
  item_id: string;
  item_number: string;
  amount: Money;
  write_off: Money | null;
}

export interface Proposal {
  outcome: "apply" | "review" | "suspense" | "ignored" | "unknown";
  /** 0 to 1, the engine's own score: shown as a percentage, never used in a sum. */
  confidence: number;
  customer_id: string | null;
  allocations: Allocation[];
  unallocated: Money | null;
  reasons: string[];
  rate: string | null;
  alternative_item_ids: string[];
}

export type TransactionStatus = "applied" | "in_review" | "suspense" | "ignored" | "unknown";

export interface ReviewEntry {
  transaction: BankTransaction;
  status: TransactionStatus;
  allocation_id: string | null;
  updated_at: string | null;
  proposal: Proposal;
}

export interface ReviewQueue {
  entries: ReviewEntry[];
  next_page_token: string | null;
  total: number;
}

export interface MatchDecision {
  entry: ReviewEntry;
  allocation_id: string;
  learned: string[];
  replayed: boolean;
}
