import { Card, Loader, SimpleGrid, Stack, Text, Title } from "@mantine/core";
import { useTranslation } from "react-i18next";
import { useSession } from "../auth/session";
import { ProblemAlert } from "../components/ProblemAlert";
import { useLoad } from "../components/useLoad";
import { formatMoney } from "../format/format";
import { ReportChart } from "../reports/ReportChart";
import { ReportTable } from "../reports/ReportTable";
import { reportCharts, reportTable } from "../reports/tables";
import type { CashForecast } from "../reports/types";
import { bucketLabel } from "./AgingChart";
import { scopeQuery, type DashboardScope } from "./trend";

/** Cash expected over the next weeks from promises, plans and payment habits, per currency. */
export function ForecastCard({ scope }: { scope: DashboardScope }) {
  const { t, i18n } = useTranslation();
  const locale = i18n.language;
  const { api } = useSession();
  const loaded = useLoad(
    (signal) =>
      api.report<CashForecast>(
        "/api/v1/reports/cash-forecast",
        { ...scopeQuery(scope), period: "week", periods: 8 },
        signal,
      ),
    [api, scope.entity, scope.currency],
  );
  const rows = loaded.data?.rows ?? [];
  const title = t("dashboardPanels.forecastTitle");
  const bucket = (label: string) => bucketLabel(label, t);
  const charts = loaded.data ? reportCharts("cash-forecast", loaded.data, t, bucket) : [];
  return (
    <Card withBorder>
      <Title order={3} size="h4" mb="xs">
        {title}
      </Title>
      <ProblemAlert error={loaded.error} />
      {loaded.loading && !loaded.data && <Loader size="sm" aria-label={t("common.loading")} />}
      {loaded.data && rows.length === 0 && <Text c="dimmed">{t("dashboardPanels.noForecast")}</Text>}
      <Stack gap="sm">
        {rows.map((row) => (
          <SimpleGrid key={`${row.key}-${row.currency}`} cols={{ base: 2, sm: 4 }}>
            {(
              [
                ["total", row.total],
                ["overdue", row.overdue],
                ["disputed", row.disputed],
                ["later", row.later],
              ] as const
            ).map(([name, amount]) => (
              <div key={name}>
                <Text size="sm" c="dimmed">
                  {t(`dashboardPanels.forecast.${name}`)}
                </Text>
                <Text fw={name === "total" ? 700 : 500}>
                  {amount?.currency ? formatMoney(amount.amount, amount.currency, locale) : "—"}
                </Text>
              </div>
            ))}
          </SimpleGrid>
        ))}
        {charts.map((chart) => (
          <ReportChart
            key={chart.currency ?? ""}
            model={chart}
            height={220}
            label={t("reports.chartIn", { report: title, currency: chart.currency })}
          />
        ))}
        {loaded.data && rows.length > 0 && (
          <div className="visually-hidden-table">
            <ReportTable model={reportTable("cash-forecast", loaded.data, t, locale, bucket)} caption={title} />
          </div>
        )}
      </Stack>
    </Card>
  );
}
