/*
 * The report routes' answers (GET /api/v1/reports/*), written from the reporting service's messages as the gateway
 * serialises them: amounts are decimal strings, days ISO days. docs/openapi.json leaves these responses untyped.
 */
import type { Money } from "../api/types";

export type ReportLevel = "group" | "entity" | "customer_group" | "sector" | "customer" | "collector";
export type CurrencyMode = "item" | "entity" | "group";
export type ExportFormat = "csv" | "xlsx";

export interface ReportHeader {
  as_of: string;
  level?: string;
  currency_mode?: string;
  problems?: string[];
  next_page_token: string | null;
  group_currency?: string;
}

/** What every report route takes, plus each report's own parameters (left out when empty). */
export interface ReportQuery {
  level?: ReportLevel;
  key?: string;
  entity?: string[];
  collector?: string;
  customer_group?: string;
  sector?: string;
  currency?: CurrencyMode;
  as_of?: string;
  page_size?: number;
  page_token?: string;
  format?: "json" | ExportFormat;
  buckets?: string;
  period_days?: number;
  max_months?: number;
  from?: string;
  to?: string;
  period?: "day" | "week" | "month";
  periods?: number;
  max_items?: number;
}

export interface BucketAmount {
  label: string;
  amount: Money;
  count: number;
}

interface RowBase {
  key: string;
  label: string;
  currency: string;
}

export interface AgingBalanceRow extends RowBase {
  buckets: BucketAmount[];
  total: Money;
  overdue: Money;
  percent_overdue: string;
  count: number;
}

export interface CountbackPeriod {
  start: string;
  end: string;
  sales: Money;
  days: string;
}

export interface DsoRow extends RowBase {
  receivables: Money;
  period_sales: Money;
  period_days: number;
  simple_dso: string;
  countback_dso: string;
  countback: CountbackPeriod[];
  countback_exhausted: boolean;
}

export interface PeriodAmount {
  start: string;
  end: string;
  label: string;
  amount: Money;
  count: number;
}

export interface ReceiptsRow extends RowBase {
  periods: PeriodAmount[];
  total: Money;
  count: number;
}

export interface ForecastRow extends RowBase {
  overdue: Money;
  disputed: Money;
  periods: PeriodAmount[];
  later: Money;
  total: Money;
}

export interface DisputeRow extends RowBase {
  count: number;
  amount: Money;
  average_age_days: string;
  oldest_age_days: number;
}

export interface DisputedItem {
  item_id: string;
  customer_id: string;
  customer_name: string;
  status: string;
  since: string;
  age_days: number;
  owner: string;
  reason: string;
  open_amount: Money;
  due_date: string;
}

export interface StatusAmount {
  status: string;
  amount: Money;
  count: number;
}

export interface ItemStatusRow extends RowBase {
  overdue: Money;
  overdue_count: number;
  qualified: Money;
  qualified_count: number;
  percent_qualified: string;
  percent_qualified_count: string;
  statuses: StatusAmount[];
}

export interface ActivityRow {
  key: string;
  label: string;
  actions_done: number;
  messages_sent: number;
  promises_obtained: number;
  disputes_recorded: number;
  collected: Money[];
  payments: number;
}

export interface Report<Row> {
  header: ReportHeader;
  rows?: Row[];
}

export type DsoReport = Report<DsoRow>;
export type CashForecast = Report<ForecastRow>;
export type DisputeReport = Report<DisputeRow> & { items?: DisputedItem[]; items_truncated?: boolean };

/** GET /api/v1/reports/aging: the older per-currency aging of one entity (no levels, no export). */
export interface AgingReport {
  as_of: string | null;
  entity: string | null;
  currencies: {
    currency: string;
    buckets: BucketAmount[];
    total: Money;
    overdue: Money;
    percent_overdue: string;
  }[];
}

/** GET /api/v1/reports/dso/series: the DSO report on each month-end and the as-of day, oldest first. */
export interface DsoSeries {
  points: DsoReport[];
}
