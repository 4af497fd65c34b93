import { Text } from "@mantine/core";
import { useTranslation } from "react-i18next";
import {
  Bar,
  BarChart,
  CartesianGrid,
  Legend,
  Line,
  LineChart,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from "recharts";
import { formatMoney, formatNumber } from "../format/format";
import type { ChartModel } from "./tables";

// Distinct at a glance and readable on white; series beyond the list reuse it.
const PALETTE = ["#1c7ed6", "#2f9e44", "#f08c00", "#c92a2a", "#7048e8", "#495057", "#e8590c", "#5c940d", "#d6336c"];

/**
 * A chart of ``model``. The figures it plots are an approximation for the eye: the table beside it gives the exact
 * amounts, and the tooltip formats them per locale.
 */
export function ReportChart({
  model,
  label,
  caption,
  height = 280,
}: {
  model: ChartModel;
  label: string;
  /** Shown above the chart, e.g. its currency when a report has one chart per currency. */
  caption?: string;
  height?: number;
}) {
  const { i18n } = useTranslation();
  const locale = i18n.language;
  const data = model.categories.map((category, i) => {
    const point: Record<string, string | number | null> = { category };
    for (const s of model.series) point[s.name] = s.values[i] ?? null;
    return point;
  });
  const tick = (v: number) =>
    new Intl.NumberFormat(locale, { notation: "compact", maximumFractionDigits: 1 }).format(v);
  const value = (v: unknown) => {
    if (typeof v !== "number") return "—";
    if (model.unit === "money" && model.currency) return formatMoney(String(v), model.currency, locale);
    return formatNumber(v, locale, model.unit === "days" ? 1 : 0);
  };
  const axes = (
    <>
      <CartesianGrid strokeDasharray="3 3" vertical={false} />
      <XAxis dataKey="category" tick={{ fontSize: 12 }} />
      <YAxis tick={{ fontSize: 12 }} width={72} tickFormatter={tick} />
      <Tooltip formatter={(v) => value(v)} />
      {model.series.length > 1 && <Legend />}
    </>
  );
  return (
    <figure style={{ margin: 0 }} aria-label={label}>
      {caption && (
        <Text component="figcaption" size="sm" fw={600} ta="center">
          {caption}
        </Text>
      )}
      <ResponsiveContainer width="100%" height={height}>
        {model.kind === "line" ? (
          <LineChart data={data} margin={{ top: 8, right: 16, bottom: 8, left: 8 }}>
            {axes}
            {model.series.map((s, i) => (
              <Line
                key={s.name}
                type="monotone"
                dataKey={s.name}
                name={s.label}
                stroke={PALETTE[i % PALETTE.length]}
                strokeWidth={2}
                connectNulls
                isAnimationActive={false}
              />
            ))}
          </LineChart>
        ) : (
          <BarChart data={data} margin={{ top: 8, right: 16, bottom: 8, left: 8 }}>
            {axes}
            {model.series.map((s, i) => (
              <Bar
                key={s.name}
                dataKey={s.name}
                name={s.label}
                fill={PALETTE[i % PALETTE.length]}
                stackId={model.kind === "stacked" ? "stack" : undefined}
                isAnimationActive={false}
              />
            ))}
          </BarChart>
        )}
      </ResponsiveContainer>
    </figure>
  );
}
