import type { CurrencyMode, DsoReport, ReportQuery } from "../reports/types";
import type { ChartModel } from "../reports/tables";

/** The dashboard's switches: "" is every entity of the user's scope, consolidated as one group. */
export interface DashboardScope {
  entity: string;
  currency: CurrencyMode;
}

/** The scope every dashboard report is asked with: one row per currency for the whole group or one entity. */
export function scopeQuery(scope: DashboardScope): ReportQuery {
  return { level: "group", currency: scope.currency, ...(scope.entity ? { entity: [scope.entity] } : {}) };
}

/**
 * The countback DSO of each currency's row on each day, as a line per currency. A day whose report has no row
 * for a currency leaves a gap rather than a zero: no receivables is not a DSO of nought.
 */
export function dsoTrend(days: readonly string[], reports: readonly DsoReport[], dayLabel: (day: string) => string) {
  const currencies: string[] = [];
  for (const report of reports)
    for (const row of report.rows ?? []) if (!currencies.includes(row.currency)) currencies.push(row.currency);
  const model: ChartModel = {
    kind: "line",
    currency: null,
    unit: "days",
    categories: days.map(dayLabel),
    series: currencies.map((currency) => ({
      name: currency,
      label: currency,
      values: reports.map((report) => {
        const row = (report.rows ?? []).find((r) => r.currency === currency);
        return row?.countback_dso ? Number(row.countback_dso) : null;
      }),
    })),
  };
  const latest = reports.at(-1)?.rows ?? [];
  return { model, latest };
}
