import type { Money } from "../api/types";
import { formatMoney, formatNumber, formatPercent } from "../format/format";
import type { ReportName } from "./query";
import type {
  ActivityRow,
  AgingBalanceRow,
  AgingReport,
  DisputeReport,
  DsoRow,
  ForecastRow,
  ItemStatusRow,
  ReceiptsRow,
  Report,
} from "./types";

type T = (key: string, options?: Record<string, unknown>) => string;

export interface Column {
  key: string;
  label: string;
  numeric: boolean;
}

export interface TableModel {
  columns: Column[];
  rows: { key: string; cells: string[] }[];
}

/** Series of a chart over categories; the values are numbers for plotting only, the table keeps the exact ones. */
export interface ChartModel {
  kind: "bar" | "stacked" | "line";
  /** The currency of every amount plotted, or null when the chart shows days or counts. */
  currency: string | null;
  unit: "money" | "days" | "count";
  categories: string[];
  series: { name: string; label: string; values: (number | null)[] }[];
}

/** A chart shows at most this many rows (the largest first would need sorting amounts the table already shows). */
export const CHART_ROWS = 20;

function money(m: Money | null | undefined, locale: string): string {
  return m && m.currency ? formatMoney(m.amount, m.currency, locale) : "—";
}

function plotted(m: Money | null | undefined): number | null {
  // Charts plot numbers: a display approximation only; sums and tables stay on the decimal strings.
  return m && m.amount !== "" ? Number(m.amount) : null;
}

function labelsInOrder(lists: readonly (readonly { label: string }[])[]): string[] {
  const seen: string[] = [];
  for (const list of lists) for (const { label } of list) if (!seen.includes(label)) seen.push(label);
  return seen;
}

function byCurrency<R extends { currency: string }>(rows: readonly R[]): Map<string, R[]> {
  const groups = new Map<string, R[]>();
  for (const row of rows) groups.set(row.currency, [...(groups.get(row.currency) ?? []), row]);
  return groups;
}

function rowName(row: { label: string; key: string }, t: T): string {
  return row.label || row.key || t("reports.unset");
}

function col(key: string, label: string, numeric = false): Column {
  return { key, label, numeric };
}

/** The table of a report's answer, in the interface language, amounts formatted exactly. */
export function reportTable(name: ReportName, data: unknown, t: T, locale: string, bucket: (l: string) => string) {
  switch (name) {
    case "aging-balance": {
      const rows = (data as Report<AgingBalanceRow>).rows ?? [];
      const labels = labelsInOrder(rows.map((r) => r.buckets));
      return {
        columns: [
          col("label", t("reports.column.label")),
          col("currency", t("reports.column.currency")),
          ...labels.map((l) => col(`b:${l}`, bucket(l), true)),
          col("total", t("reports.column.total"), true),
          col("overdue", t("reports.column.overdue"), true),
          col("percent", t("reports.column.percentOverdue"), true),
          col("count", t("reports.column.count"), true),
        ],
        rows: rows.map((r) => ({
          key: `${r.key}-${r.currency}`,
          cells: [
            rowName(r, t),
            r.currency,
            ...labels.map((l) => money(r.buckets.find((b) => b.label === l)?.amount, locale)),
            money(r.total, locale),
            money(r.overdue, locale),
            formatPercent(r.percent_overdue || "0", locale),
            formatNumber(r.count, locale, 0),
          ],
        })),
      } satisfies TableModel;
    }
    case "aging": {
      const report = data as AgingReport;
      const labels = labelsInOrder(report.currencies.map((c) => c.buckets));
      return {
        columns: [
          col("currency", t("reports.column.currency")),
          ...labels.map((l) => col(`b:${l}`, bucket(l), true)),
          col("total", t("reports.column.total"), true),
          col("overdue", t("reports.column.overdue"), true),
          col("percent", t("reports.column.percentOverdue"), true),
        ],
        rows: report.currencies.map((c) => ({
          key: c.currency,
          cells: [
            c.currency,
            ...labels.map((l) => money(c.buckets.find((b) => b.label === l)?.amount, locale)),
            money(c.total, locale),
            money(c.overdue, locale),
            formatPercent(c.percent_overdue || "0", locale),
          ],
        })),
      } satisfies TableModel;
    }
    case "dso": {
      const rows = (data as Report<DsoRow>).rows ?? [];
      return {
        columns: [
          col("label", t("reports.column.label")),
          col("currency", t("reports.column.currency")),
          col("receivables", t("reports.column.receivables"), true),
          col("sales", t("reports.column.periodSales"), true),
          col("days", t("reports.column.periodDays"), true),
          col("simple", t("reports.column.simpleDso"), true),
          col("countback", t("reports.column.countbackDso"), true),
        ],
        rows: rows.map((r) => ({
          key: `${r.key}-${r.currency}`,
          cells: [
            rowName(r, t),
            r.currency,
            money(r.receivables, locale),
            money(r.period_sales, locale),
            formatNumber(r.period_days, locale, 0),
            r.simple_dso ? formatNumber(r.simple_dso, locale, 1) : "—",
            r.countback_dso
              ? `${formatNumber(r.countback_dso, locale, 1)}${r.countback_exhausted ? ` (${t("reports.exhausted")})` : ""}`
              : "—",
          ],
        })),
      } satisfies TableModel;
    }
    case "cash-forecast": {
      const rows = (data as Report<ForecastRow>).rows ?? [];
      const labels = labelsInOrder(rows.map((r) => r.periods));
      return {
        columns: [
          col("label", t("reports.column.label")),
          col("currency", t("reports.column.currency")),
          col("overdue", t("reports.column.overdue"), true),
          col("disputed", t("reports.column.disputed"), true),
          ...labels.map((l) => col(`p:${l}`, l, true)),
          col("later", t("reports.column.later"), true),
          col("total", t("reports.column.total"), true),
        ],
        rows: rows.map((r) => ({
          key: `${r.key}-${r.currency}`,
          cells: [
            rowName(r, t),
            r.currency,
            money(r.overdue, locale),
            money(r.disputed, locale),
            ...labels.map((l) => money(r.periods.find((p) => p.label === l)?.amount, locale)),
            money(r.later, locale),
            money(r.total, locale),
          ],
        })),
      } satisfies TableModel;
    }
    case "cash-receipts": {
      const rows = (data as Report<ReceiptsRow>).rows ?? [];
      const labels = labelsInOrder(rows.map((r) => r.periods));
      return {
        columns: [
          col("label", t("reports.column.label")),
          col("currency", t("reports.column.currency")),
          ...labels.map((l) => col(`p:${l}`, l, true)),
          col("total", t("reports.column.total"), true),
          col("count", t("reports.column.payments"), true),
        ],
        rows: rows.map((r) => ({
          key: `${r.key}-${r.currency}`,
          cells: [
            rowName(r, t),
            r.currency,
            ...labels.map((l) => money(r.periods.find((p) => p.label === l)?.amount, locale)),
            money(r.total, locale),
            formatNumber(r.count, locale, 0),
          ],
        })),
      } satisfies TableModel;
    }
    case "collector-activity": {
      const rows = (data as Report<ActivityRow>).rows ?? [];
      return {
        columns: [
          col("label", t("reports.column.label")),
          col("actions", t("reports.column.actionsDone"), true),
          col("messages", t("reports.column.messagesSent"), true),
          col("promises", t("reports.column.promisesObtained"), true),
          col("disputes", t("reports.column.disputesRecorded"), true),
          col("payments", t("reports.column.payments"), true),
          col("collected", t("reports.column.collected"), true),
        ],
        rows: rows.map((r) => ({
          key: r.key,
          cells: [
            rowName(r, t),
            formatNumber(r.actions_done, locale, 0),
            formatNumber(r.messages_sent, locale, 0),
            formatNumber(r.promises_obtained, locale, 0),
            formatNumber(r.disputes_recorded, locale, 0),
            formatNumber(r.payments, locale, 0),
            // Several currencies are listed, never added.
            r.collected.length ? r.collected.map((m) => money(m, locale)).join("\n") : "—",
          ],
        })),
      } satisfies TableModel;
    }
    case "disputes": {
      const rows = (data as DisputeReport).rows ?? [];
      return {
        columns: [
          col("label", t("reports.column.label")),
          col("currency", t("reports.column.currency")),
          col("count", t("reports.column.count"), true),
          col("amount", t("reports.column.amount"), true),
          col("average", t("reports.column.averageAge"), true),
          col("oldest", t("reports.column.oldestAge"), true),
        ],
        rows: rows.map((r) => ({
          key: `${r.key}-${r.currency}`,
          cells: [
            rowName(r, t),
            r.currency,
            formatNumber(r.count, locale, 0),
            money(r.amount, locale),
            r.average_age_days ? formatNumber(r.average_age_days, locale, 1) : "—",
            formatNumber(r.oldest_age_days, locale, 0),
          ],
        })),
      } satisfies TableModel;
    }
    case "item-status": {
      const rows = (data as Report<ItemStatusRow>).rows ?? [];
      const statuses = [...new Set(rows.flatMap((r) => r.statuses.map((s) => s.status)))];
      return {
        columns: [
          col("label", t("reports.column.label")),
          col("currency", t("reports.column.currency")),
          col("overdue", t("reports.column.overdue"), true),
          col("qualified", t("reports.column.qualified"), true),
          col("percent", t("reports.column.percentQualified"), true),
          ...statuses.map((s) => col(`s:${s}`, t(`itemStatus.${s}`, { defaultValue: s }), true)),
        ],
        rows: rows.map((r) => ({
          key: `${r.key}-${r.currency}`,
          cells: [
            rowName(r, t),
            r.currency,
            money(r.overdue, locale),
            money(r.qualified, locale),
            formatPercent(r.percent_qualified || "0", locale),
            ...statuses.map((s) => money(r.statuses.find((x) => x.status === s)?.amount, locale)),
          ],
        })),
      } satisfies TableModel;
    }
  }
}

/** The charts of a report's answer: one per currency where amounts are plotted, never two currencies on one axis. */
export function reportCharts(name: ReportName, data: unknown, t: T, bucket: (l: string) => string): ChartModel[] {
  switch (name) {
    case "aging-balance": {
      const rows = (data as Report<AgingBalanceRow>).rows ?? [];
      return [...byCurrency(rows)].map(([currency, group]) => {
        const shown = group.slice(0, CHART_ROWS);
        const labels = labelsInOrder(shown.map((r) => r.buckets));
        return {
          kind: "stacked",
          currency,
          unit: "money",
          categories: shown.map((r) => rowName(r, t)),
          series: labels.map((l) => ({
            name: l,
            label: bucket(l),
            values: shown.map((r) => plotted(r.buckets.find((b) => b.label === l)?.amount)),
          })),
        };
      });
    }
    case "aging": {
      const report = data as AgingReport;
      return report.currencies.map((c) => ({
        kind: "bar",
        currency: c.currency,
        unit: "money",
        categories: c.buckets.map((b) => bucket(b.label)),
        series: [
          { name: "amount", label: t("reports.column.amount"), values: c.buckets.map((b) => plotted(b.amount)) },
        ],
      }));
    }
    case "dso": {
      const shown = ((data as Report<DsoRow>).rows ?? []).slice(0, CHART_ROWS);
      if (shown.length === 0) return [];
      return [
        {
          kind: "bar",
          currency: null,
          unit: "days",
          categories: shown.map((r) => `${rowName(r, t)} (${r.currency})`),
          series: [
            {
              name: "countback",
              label: t("reports.column.countbackDso"),
              values: shown.map((r) => (r.countback_dso ? Number(r.countback_dso) : null)),
            },
            {
              name: "simple",
              label: t("reports.column.simpleDso"),
              values: shown.map((r) => (r.simple_dso ? Number(r.simple_dso) : null)),
            },
          ],
        },
      ];
    }
    case "cash-forecast":
    case "cash-receipts": {
      const rows = (data as Report<ForecastRow | ReceiptsRow>).rows ?? [];
      const forecast = name === "cash-forecast";
      return [...byCurrency(rows)].map(([currency, group]) => {
        const shown = group.slice(0, CHART_ROWS);
        const labels = labelsInOrder(shown.map((r) => r.periods));
        return {
          kind: forecast ? "stacked" : "line",
          currency,
          unit: "money",
          categories: labels,
          series: shown.map((r) => ({
            name: `${r.key}-${r.currency}`,
            label: rowName(r, t),
            values: labels.map((l) => plotted(r.periods.find((p) => p.label === l)?.amount)),
          })),
        };
      });
    }
    case "collector-activity": {
      const shown = ((data as Report<ActivityRow>).rows ?? []).slice(0, CHART_ROWS);
      if (shown.length === 0) return [];
      const counts = [
        ["actions_done", "actionsDone"],
        ["messages_sent", "messagesSent"],
        ["promises_obtained", "promisesObtained"],
        ["disputes_recorded", "disputesRecorded"],
      ] as const;
      return [
        {
          kind: "bar",
          currency: null,
          unit: "count",
          categories: shown.map((r) => rowName(r, t)),
          series: counts.map(([field, label]) => ({
            name: field,
            label: t(`reports.column.${label}`),
            values: shown.map((r) => r[field]),
          })),
        },
      ];
    }
    case "disputes": {
      const rows = (data as DisputeReport).rows ?? [];
      return [...byCurrency(rows)].map(([currency, group]) => {
        const shown = group.slice(0, CHART_ROWS);
        return {
          kind: "bar",
          currency,
          unit: "money",
          categories: shown.map((r) => rowName(r, t)),
          series: [{ name: "amount", label: t("reports.column.amount"), values: shown.map((r) => plotted(r.amount)) }],
        };
      });
    }
    case "item-status": {
      const rows = (data as Report<ItemStatusRow>).rows ?? [];
      return [...byCurrency(rows)].map(([currency, group]) => {
        const shown = group.slice(0, CHART_ROWS);
        const statuses = [...new Set(shown.flatMap((r) => r.statuses.map((s) => s.status)))];
        return {
          kind: "stacked",
          currency,
          unit: "money",
          categories: shown.map((r) => rowName(r, t)),
          series: statuses.map((s) => ({
            name: s,
            label: t(`itemStatus.${s}`, { defaultValue: s }),
            values: shown.map((r) => plotted(r.statuses.find((x) => x.status === s)?.amount)),
          })),
        };
      });
    }
  }
}
