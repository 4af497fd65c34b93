/*
 * Answers of the account's side routes (payment plans, risk, penalties, next action, scenario) and of the risk
 * alerts, following the gateway's serializers; docs/openapi.json leaves these responses untyped.
 */
import type { components } from "../api/schema.gen";
import type { Money } from "../api/types";

export type PlanRequest = components["schemas"]["PlanBody"];
export type PlanState = "active" | "completed" | "broken" | "cancelled" | "unknown";

export interface Instalment {
  item_id: string;
  number: string;
  sequence: number;
  due_date: string | null;
  amount: Money;
  open_amount: Money;
}

export interface PaymentPlan {
  plan_id: string;
  customer_id: string;
  entity: string;
  state: PlanState;
  item_ids: string[];
  total: Money;
  paid: Money;
  frequency: string;
  created_on: string | null;
  created_by: string;
  comment?: string;
  ended_on: string | null;
  instalments: Instalment[];
}

export interface ScorePart {
  name: string;
  value: string | null;
  measure: string;
  weight: string;
  quality: string;
  points: string;
  rated: boolean;
  explanation: string;
}

export interface Score {
  rated: boolean;
  value: number | null;
  grade: string | null;
  points: string;
  rated_weight: string;
  parts: ScorePart[];
}

export interface LimitUse {
  known: boolean;
  balance: Money | null;
  use: string | null;
  headroom: Money | null;
  open_by_currency: (Money | null)[];
  problem: string | null;
  computed_on: string | null;
  customers: number;
}

export interface CreditLimit {
  limit_id: string;
  holder_kind: string;
  holder_id: string;
  holder_name: string;
  entity: string;
  amount: Money | null;
  review_on: string | null;
  comment: string;
  source: string;
  use: LimitUse | null;
}

export interface InsuranceCover {
  cover_id: string;
  holder_kind: string;
  holder_name: string;
  insurer: string;
  amount: Money | null;
  kind: string;
  starts_on: string | null;
  expires_on: string | null;
  policy_reference: string;
}

export interface RiskProfile {
  customer_id: string;
  name: string;
  as_of: string | null;
  score: Score;
  behaviour: { trend: string; trend_explanation: string };
  open_balance: (Money | null)[];
  overdue_balance: (Money | null)[];
  limits: CreditLimit[];
  covers: InsuranceCover[];
  external_rating: { rating: number; agency: string; rated_on: string | null } | null;
}

export interface PenaltyInvoice {
  item_id: string;
  number: string;
  due_date: string | null;
  open_amount: Money;
  days_late: number;
  interest_to_date: Money | null;
  compensation: Money | null;
  interest_not_issued: Money | null;
  compensation_issued: boolean;
  interest_issued_to: string | null;
  problem: string | null;
}

export interface IssuedPenalty {
  penalty_id: string;
  item_id: string;
  number: string;
  kind: "interest" | "compensation" | "unknown";
  amount: Money;
  period_from: string | null;
  period_to: string | null;
  law: string;
  issued_on: string | null;
}

export interface Penalties {
  customer_id: string;
  as_of: string | null;
  terms: {
    law: string | null;
    issue_items: boolean;
    charge_interest: boolean;
    charge_compensation: boolean;
    minimum_interest: Money | null;
  };
  invoices: PenaltyInvoice[];
  issued: IssuedPenalty[];
}

export interface NextAction {
  customer_id: string;
  action: string;
  reason: string;
  rule: string;
  facts: Record<string, string>;
  item_ids: string[];
  act_on: string | null;
  step_code: string | null;
  channel: string | null;
  overdue: Money[];
  today: string | null;
}

export interface CustomerScenario {
  customer_id: string;
  scenario: string;
  rule: string | null;
  explanation: string[];
}

export interface RiskAlert {
  alert_id: string;
  rule: string;
  severity: string;
  summary: string;
  facts: Record<string, string>;
  customer_id: string | null;
  entity: string;
  account_number: string | null;
  customer_name: string | null;
  collector: string | null;
  raised_at: string | null;
  raised_on: string | null;
  status: "open" | "acknowledged";
  acknowledged_by: string | null;
}

export interface RiskAlerts {
  alerts: RiskAlert[];
  next_page_token: string | null;
  total: number;
}

/** One promise to pay as GET /api/v1/customers/{entity}/{account_number}/promises gives it. */
export interface PromiseToPay {
  promise_id: string;
  item_ids: string[];
  amount: Money;
  promised_on: string | null;
  created_on: string | null;
  by: string;
  state: "open" | "kept" | "broken";
}

export interface Promises {
  promises: PromiseToPay[];
  truncated: boolean;
}
