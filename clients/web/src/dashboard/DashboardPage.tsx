import { Anchor, Card, Grid, Group, Loader, NativeSelect, RingProgress, Stack, Text, Title } from "@mantine/core";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import { usePermission, useSession } from "../auth/session";
import { ProblemAlert } from "../components/ProblemAlert";
import { useEntities } from "../components/useEntities";
import { useLoad } from "../components/useLoad";
import { formatDate, formatMoney, formatPercent, isoDay } from "../format/format";
import { AgingChart } from "./AgingChart";
import { AlertsCard } from "./AlertsCard";
import { DsoTrendCard } from "./DsoTrendCard";
import { ForecastCard } from "./ForecastCard";
import type { DashboardScope } from "./trend";

type CurrencyMode = "item" | "entity" | "group";

export function DashboardPage() {
  const { t, i18n } = useTranslation();
  const locale = i18n.language;
  const { api } = useSession();
  const mayReadAgenda = usePermission("agenda", "read");
  const mayReadReports = usePermission("reports", "read");
  const mayReadAlerts = usePermission("risk_alerts", "read");
  const { entities, initial } = useEntities();
  const [currency, setCurrency] = useState<CurrencyMode>("item");
  // "" is the whole group (every entity of the user's scope); a code, that entity alone.
  const [entity, setEntity] = useState("");
  const scope: DashboardScope = { entity, currency };

  const aging = useLoad(
    () => api.agingBalance({ level: "group", currency, ...(entity ? { entity: [entity] } : {}) }),
    [api, currency, entity],
  );
  const agenda = useLoad(
    async (signal) =>
      mayReadAgenda && initial !== null
        ? (await api.agenda({ entity: entity || initial, status: "open", due_to: isoDay(), page_size: 1 }, signal))
            .total
        : null,
    [api, mayReadAgenda, initial, entity],
  );
  const rows = aging.data?.rows ?? [];

  return (
    <Stack gap="md">
      <Group justify="space-between" align="end">
        <Title order={2}>{t("dashboard.title")}</Title>
        <Group align="end" gap="sm">
          <NativeSelect
            label={t("dashboardPanels.scope")}
            value={entity}
            data={[
              { value: "", label: t("dashboardPanels.wholeGroup") },
              ...entities.map((e) => ({ value: e.code, label: e.name === e.code ? e.code : `${e.code} — ${e.name}` })),
            ]}
            onChange={(e) => setEntity(e.currentTarget.value)}
          />
          <NativeSelect
            label={t("dashboard.currency")}
            value={currency}
            data={(["item", "entity", "group"] as const).map((c) => ({
              value: c,
              label: t(`dashboard.currencyMode.${c}`),
            }))}
            onChange={(e) => setCurrency(e.currentTarget.value as CurrencyMode)}
          />
        </Group>
      </Group>

      {mayReadAgenda && (
        <Card withBorder>
          <Group justify="space-between">
            <div>
              <Text size="sm" c="dimmed">
                {t("dashboard.agendaToday")}
              </Text>
              <Text fw={700} size="xl" aria-live="polite">
                {agenda.loading ? "…" : (agenda.data ?? "—")}
              </Text>
            </div>
            <Anchor component={Link} to="/agenda">
              {t("dashboard.openAgenda")}
            </Anchor>
          </Group>
          <ProblemAlert error={agenda.error} />
        </Card>
      )}

      <ProblemAlert error={aging.error} />
      {aging.loading && !aging.data && <Loader aria-label={t("common.loading")} />}
      {aging.data?.header.problems?.length ? (
        <Text size="sm" c="orange">
          {t("dashboard.leftOut")}: {aging.data.header.problems.join("; ")}
        </Text>
      ) : null}
      {aging.data && rows.length === 0 && <Text c="dimmed">{t("dashboard.noOpenItems")}</Text>}

      {rows.map((row) => {
        const rowCurrency = row.total.currency || row.currency;
        return (
          <Card withBorder key={`${row.key}-${rowCurrency}`}>
            <Title order={3} size="h4" mb="sm">
              {t("dashboard.agingTitle", { currency: rowCurrency })}
              {aging.data?.header.as_of && (
                <Text span size="sm" c="dimmed" ml="xs">
                  {t("dashboard.asOf", { day: formatDate(aging.data.header.as_of, locale) })}
                </Text>
              )}
            </Title>
            <Grid>
              <Grid.Col span={{ base: 12, md: 3 }}>
                <Stack gap="xs" align="center" justify="center">
                  <RingProgress
                    size={140}
                    thickness={14}
                    roundCaps
                    sections={[{ value: Math.min(100, Number(row.percent_overdue) || 0), color: "red" }]}
                    label={
                      <Text ta="center" fw={700} size="lg">
                        {formatPercent(row.percent_overdue, locale)}
                      </Text>
                    }
                    aria-label={t("dashboard.percentOverdue")}
                  />
                  <Text size="sm">{t("dashboard.percentOverdue")}</Text>
                  <Text size="sm" c="dimmed">
                    {t("dashboard.overdueOfTotal", {
                      overdue: formatMoney(row.overdue.amount, rowCurrency, locale),
                      total: formatMoney(row.total.amount, rowCurrency, locale),
                    })}
                  </Text>
                </Stack>
              </Grid.Col>
              <Grid.Col span={{ base: 12, md: 9 }}>
                <AgingChart row={row} />
              </Grid.Col>
            </Grid>
          </Card>
        );
      })}

      <Grid>
        {mayReadReports && (
          <Grid.Col span={{ base: 12, lg: 6 }}>
            <DsoTrendCard scope={scope} />
          </Grid.Col>
        )}
        {mayReadReports && (
          <Grid.Col span={{ base: 12, lg: 6 }}>
            <ForecastCard scope={scope} />
          </Grid.Col>
        )}
        {mayReadAlerts && (
          <Grid.Col span={12}>
            <AlertsCard entity={entity} />
          </Grid.Col>
        )}
      </Grid>
    </Stack>
  );
}
