import { Card, Group, Loader, Text, Title } from "@mantine/core";
import { useTranslation } from "react-i18next";
import { useSession } from "../auth/session";
import { ProblemAlert } from "../components/ProblemAlert";
import { useLoad } from "../components/useLoad";
import { formatNumber, isoDay } from "../format/format";
import { ReportChart } from "../reports/ReportChart";
import { dsoTrend, scopeQuery, type DashboardScope } from "./trend";

const MONTHS = 12;

/** Countback DSO over the last twelve month-ends and today, a line per currency. */
export function DsoTrendCard({ scope }: { scope: DashboardScope }) {
  const { t, i18n } = useTranslation();
  const locale = i18n.language;
  const { api } = useSession();
  // One request: the gateway answers the report on each month-end and today, oldest first.
  const loaded = useLoad(
    (signal) => api.dsoSeries({ ...scopeQuery(scope), as_of: isoDay(), points: MONTHS, page_size: 50 }, signal),
    [api, scope.entity, scope.currency, isoDay()],
  );
  const reports = loaded.data?.points ?? [];
  const days = reports.map((report) => report.header.as_of ?? "");
  const month = new Intl.DateTimeFormat(locale, { month: "short", year: "2-digit", timeZone: "UTC" });
  const label = (day: string) => month.format(new Date(`${day}T00:00:00Z`));
  const trend = loaded.data ? dsoTrend(days, reports, label) : null;
  const title = t("dashboardPanels.dsoTitle");
  return (
    <Card withBorder>
      <Title order={3} size="h4" mb="xs">
        {title}
      </Title>
      <ProblemAlert error={loaded.error} />
      {loaded.loading && !loaded.data && <Loader size="sm" aria-label={t("common.loading")} />}
      {trend && trend.latest.length === 0 && <Text c="dimmed">{t("dashboardPanels.noDso")}</Text>}
      {trend && trend.latest.length > 0 && (
        <>
          <Group gap="lg" mb="xs">
            {trend.latest.map((row) => (
              <div key={row.currency}>
                <Text size="sm" c="dimmed">
                  {t("dashboardPanels.dsoToday", { currency: row.currency })}
                </Text>
                <Text fw={700} size="xl">
                  {row.countback_dso
                    ? t("dashboardPanels.days", { value: formatNumber(row.countback_dso, locale, 1) })
                    : "—"}
                </Text>
                {row.simple_dso && (
                  <Text size="xs" c="dimmed">
                    {t("dashboardPanels.simpleDso", {
                      value: formatNumber(row.simple_dso, locale, 1),
                      days: row.period_days,
                    })}
                  </Text>
                )}
              </div>
            ))}
          </Group>
          <ReportChart model={trend.model} label={title} height={220} />
          {/* The points as text, for screen readers and exact reading. */}
          <table className="visually-hidden-table">
            <caption>{title}</caption>
            <thead>
              <tr>
                <th scope="col">{t("dashboardPanels.month")}</th>
                {trend.model.series.map((s) => (
                  <th scope="col" key={s.name}>
                    {s.label}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {trend.model.categories.map((category, i) => (
                <tr key={days[i]}>
                  <th scope="row">{category}</th>
                  {trend.model.series.map((s) => (
                    <td key={s.name}>{s.values[i] === null ? "—" : formatNumber(s.values[i]!, locale, 1)}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </Card>
  );
}
