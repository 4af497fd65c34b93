import { useTranslation } from "react-i18next";
import { Bar, BarChart, CartesianGrid, Cell, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import type { AgingRow } from "../api/types";
import { formatMoney, formatNumber } from "../format/format";

// Not due in green, then warmer with age: the colour says how late before the label is read.
const COLOURS = ["#2f9e44", "#fab005", "#fd7e14", "#f76707", "#e8590c", "#c92a2a", "#862e2e"];

export function bucketLabel(label: string, t: (key: string, options?: Record<string, unknown>) => string): string {
  if (label === "not due") return t("dashboard.bucket.notDue");
  const range = /^(\d+)-(\d+)$/.exec(label);
  if (range) return t("dashboard.bucket.range", { from: range[1], to: range[2] });
  const over = /^>(\d+)$/.exec(label);
  if (over) return t("dashboard.bucket.over", { days: over[1] });
  return label;
}

export function AgingChart({ row }: { row: AgingRow }) {
  const { t, i18n } = useTranslation();
  const locale = i18n.language;
  const currency = row.total.currency || row.currency;
  const data = row.buckets.map((b) => ({
    label: bucketLabel(b.label, t),
    // Charts plot numbers; the exact decimal stays in the tooltip and the table next to it.
    value: Number(b.amount.amount),
    amount: b.amount.amount,
    count: b.count,
  }));
  return (
    <figure style={{ margin: 0 }} aria-label={t("dashboard.agingChartLabel", { currency })}>
      <ResponsiveContainer width="100%" height={260}>
        <BarChart data={data} margin={{ top: 8, right: 8, bottom: 8, left: 8 }}>
          <CartesianGrid strokeDasharray="3 3" vertical={false} />
          <XAxis dataKey="label" tick={{ fontSize: 12 }} interval={0} />
          <YAxis
            tick={{ fontSize: 12 }}
            width={72}
            tickFormatter={(v: number) =>
              new Intl.NumberFormat(locale, { notation: "compact", maximumFractionDigits: 1 }).format(v)
            }
          />
          <Tooltip
            formatter={(_value, _name, entry) => [
              `${formatMoney(String(entry.payload.amount), currency, locale)} · ${t("dashboard.itemsCount", {
                count: entry.payload.count,
              })}`,
              t("dashboard.amount"),
            ]}
          />
          <Bar dataKey="value" isAnimationActive={false}>
            {data.map((d, i) => (
              <Cell key={d.label} fill={COLOURS[Math.min(i, COLOURS.length - 1)]} />
            ))}
          </Bar>
        </BarChart>
      </ResponsiveContainer>
      {/* The same figures as text, for screen readers and for reading exact amounts. */}
      <figcaption className="visually-hidden-table">
        <table>
          <caption>{t("dashboard.agingChartLabel", { currency })}</caption>
          <tbody>
            {data.map((d) => (
              <tr key={d.label}>
                <th scope="row">{d.label}</th>
                <td>{formatMoney(d.amount, currency, locale)}</td>
                <td>{formatNumber(d.count, locale, 0)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </figcaption>
    </figure>
  );
}
