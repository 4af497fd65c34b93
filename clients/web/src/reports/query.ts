import type { ReportPath } from "../api/endpoints";
import type { CurrencyMode, ReportLevel, ReportQuery } from "./types";

export const REPORT_NAMES = [
  "aging-balance",
  "aging",
  "dso",
  "cash-forecast",
  "cash-receipts",
  "collector-activity",
  "disputes",
  "item-status",
] as const;
export type ReportName = (typeof REPORT_NAMES)[number];

export const LEVELS: readonly ReportLevel[] = ["group", "entity", "customer_group", "sector", "customer", "collector"];
export const CURRENCY_MODES: readonly CurrencyMode[] = ["item", "entity", "group"];

/** A parameter of a report beyond the common scope, as the screen's form holds it. */
export type ParameterName =
  | "buckets"
  | "period_days"
  | "max_months"
  | "from"
  | "to"
  | "receiptsPeriod"
  | "forecastPeriod"
  | "periods"
  | "max_items";

export interface ReportDefinition {
  name: ReportName;
  /** Null for the older per-entity aging, which has no levels, currency switch or export. */
  path: ReportPath | null;
  parameters: readonly ParameterName[];
}

export const REPORTS: Record<ReportName, ReportDefinition> = {
  "aging-balance": { name: "aging-balance", path: "/api/v1/reports/aging-balance", parameters: ["buckets"] },
  aging: { name: "aging", path: null, parameters: [] },
  dso: { name: "dso", path: "/api/v1/reports/dso", parameters: ["period_days", "max_months"] },
  "cash-forecast": {
    name: "cash-forecast",
    path: "/api/v1/reports/cash-forecast",
    parameters: ["forecastPeriod", "periods"],
  },
  "cash-receipts": {
    name: "cash-receipts",
    path: "/api/v1/reports/cash-receipts",
    parameters: ["from", "to", "receiptsPeriod"],
  },
  "collector-activity": {
    name: "collector-activity",
    path: "/api/v1/reports/collector-activity",
    parameters: ["from", "to"],
  },
  disputes: { name: "disputes", path: "/api/v1/reports/disputes", parameters: ["max_items"] },
  "item-status": { name: "item-status", path: "/api/v1/reports/item-status", parameters: [] },
};

export interface ReportForm {
  level: ReportLevel;
  currency: CurrencyMode;
  /** "" for every entity in the user's scope. */
  entity: string;
  /** Only this node of the level (an entity code, a customer id, a collector...); "" for all. */
  key: string;
  collector: string;
  asOf: string;
  pageSize: number;
  buckets: string;
  periodDays: string;
  maxMonths: string;
  from: string;
  to: string;
  receiptsPeriod: "day" | "week" | "month";
  forecastPeriod: "week" | "month";
  periods: string;
  maxItems: string;
}

export const defaultForm: ReportForm = {
  level: "group",
  currency: "item",
  entity: "",
  key: "",
  collector: "",
  asOf: "",
  pageSize: 100,
  buckets: "",
  periodDays: "90",
  maxMonths: "24",
  from: "",
  to: "",
  receiptsPeriod: "month",
  forecastPeriod: "week",
  periods: "",
  maxItems: "100",
};

/** The form's fields a report does not take are left out, so they cannot change its answer. */
export type InvalidField = "buckets" | "periodDays" | "maxMonths" | "periods" | "maxItems" | "range";

function wholeNumber(value: string, min: number, max: number): number | null {
  if (!/^\d+$/.test(value.trim())) return null;
  const n = Number(value.trim());
  return n >= min && n <= max ? n : null;
}

/**
 * The query a report is asked with, from the screen's switches and parameters, or the field to fix. Limits are
 * the gateway's own (docs/openapi.json), checked here so the user sees which field is wrong before asking.
 */
export function reportQuery(
  name: ReportName,
  form: ReportForm,
  pageToken = "",
): { query: ReportQuery } | { invalid: InvalidField } {
  const query: ReportQuery = {
    level: form.level,
    currency: form.currency,
    page_size: form.pageSize,
  };
  if (form.entity) query.entity = [form.entity];
  if (form.key.trim()) query.key = form.key.trim();
  if (form.collector.trim()) query.collector = form.collector.trim();
  if (form.asOf) query.as_of = form.asOf;
  if (pageToken) query.page_token = pageToken;
  const wanted = new Set(REPORTS[name].parameters);
  if (wanted.has("buckets") && form.buckets.trim()) {
    const ends = form.buckets.split(",").map((x) => x.trim());
    const numbers = ends.map((x) => wholeNumber(x, 1, 100000));
    if (numbers.some((n) => n === null) || numbers.some((n, i) => i > 0 && n! <= numbers[i - 1]!))
      return { invalid: "buckets" };
    query.buckets = numbers.join(",");
  }
  if (wanted.has("period_days")) {
    const days = wholeNumber(form.periodDays, 1, 3660);
    if (days === null) return { invalid: "periodDays" };
    query.period_days = days;
  }
  if (wanted.has("max_months")) {
    const months = wholeNumber(form.maxMonths, 1, 120);
    if (months === null) return { invalid: "maxMonths" };
    query.max_months = months;
  }
  if (wanted.has("from") || wanted.has("to")) {
    if (form.from && form.to && form.from > form.to) return { invalid: "range" };
    if (form.from) query.from = form.from;
    if (form.to) query.to = form.to;
  }
  if (wanted.has("receiptsPeriod")) query.period = form.receiptsPeriod;
  if (wanted.has("forecastPeriod")) query.period = form.forecastPeriod;
  if (wanted.has("periods") && form.periods.trim()) {
    const periods = wholeNumber(form.periods, 1, 104);
    if (periods === null) return { invalid: "periods" };
    query.periods = periods;
  }
  if (wanted.has("max_items")) {
    const items = wholeNumber(form.maxItems, 1, 1000);
    if (items === null) return { invalid: "maxItems" };
    query.max_items = items;
  }
  return { query };
}

/** The older aging route takes one entity and a day only. */
export function agingQuery(form: ReportForm): { entity?: string; as_of?: string } {
  return { ...(form.entity ? { entity: form.entity } : {}), ...(form.asOf ? { as_of: form.asOf } : {}) };
}
