import { Anchor, Badge, Button, Card, Group, Loader, Stack, Text, Title } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import { usePermission, useSession } from "../auth/session";
import { ProblemAlert } from "../components/ProblemAlert";
import { useLoad } from "../components/useLoad";
import { formatDate, formatDateTime } from "../format/format";

const SEVERITY_COLOUR: Record<string, string> = { high: "red", critical: "red", medium: "orange", low: "gray" };

/** The open risk alerts of the user's customers, newest first, each acknowledged in one click. */
export function AlertsCard({ entity }: { entity: string }) {
  const { t, i18n } = useTranslation();
  const locale = i18n.language;
  const { api } = useSession();
  const mayAcknowledge = usePermission("risk_alerts", "write");
  const loaded = useLoad((signal) => api.riskAlerts({ entity, status: "open", page_size: 10 }, signal), [api, entity]);
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<unknown>();

  async function acknowledge(alertId: string) {
    setBusy(alertId);
    setError(undefined);
    try {
      await api.acknowledgeAlert(alertId);
      notifications.show({ color: "teal", message: t("dashboardPanels.acknowledged") });
      loaded.reload();
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(null);
    }
  }

  const alerts = loaded.data?.alerts ?? [];
  return (
    <Card withBorder>
      <Group justify="space-between" mb="xs">
        <Title order={3} size="h4" id="alerts-title">
          {t("dashboardPanels.alertsTitle")}
        </Title>
        {loaded.data && (
          <Badge variant="light" color={loaded.data.total ? "red" : "gray"}>
            {t("dashboardPanels.openAlerts", { count: loaded.data.total })}
          </Badge>
        )}
      </Group>
      <ProblemAlert error={loaded.error ?? error} />
      {loaded.loading && !loaded.data && <Loader size="sm" aria-label={t("common.loading")} />}
      {loaded.data && alerts.length === 0 && <Text c="dimmed">{t("dashboardPanels.noAlerts")}</Text>}
      <Stack
        gap="xs"
        component="ul"
        aria-labelledby="alerts-title"
        style={{ listStyle: "none", padding: 0, margin: 0 }}
      >
        {alerts.map((alert) => (
          <li key={alert.alert_id}>
            <Card withBorder p="xs">
              {/* Wraps on a phone: the button goes under the text instead of being clipped. */}
              <Group justify="space-between" align="flex-start">
                <div style={{ flex: "1 1 16rem", minWidth: 0 }}>
                  <Group gap="xs">
                    <Badge size="sm" variant="light" color={SEVERITY_COLOUR[alert.severity] ?? "orange"}>
                      {t(`dashboardPanels.rule.${alert.rule}`, { defaultValue: alert.rule })}
                    </Badge>
                    {alert.account_number && (
                      <Anchor component={Link} to={`/customers/${alert.entity}/${alert.account_number}`} size="sm">
                        {alert.customer_name ?? alert.account_number}
                      </Anchor>
                    )}
                  </Group>
                  <Text size="sm">{alert.summary}</Text>
                  <Text size="xs" c="dimmed">
                    {alert.raised_at ? formatDateTime(alert.raised_at, locale) : formatDate(alert.raised_on, locale)}
                    {alert.collector && ` · ${alert.collector}`}
                  </Text>
                </div>
                {mayAcknowledge && (
                  <Button
                    size="xs"
                    variant="default"
                    loading={busy === alert.alert_id}
                    onClick={() => void acknowledge(alert.alert_id)}
                    aria-label={t("dashboardPanels.acknowledgeAlert", { summary: alert.summary })}
                  >
                    {t("dashboardPanels.acknowledge")}
                  </Button>
                )}
              </Group>
            </Card>
          </li>
        ))}
      </Stack>
    </Card>
  );
}
