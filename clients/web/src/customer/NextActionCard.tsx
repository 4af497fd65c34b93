import { Badge, Card, Group, List, SimpleGrid, Text, Title } from "@mantine/core";
import { useTranslation } from "react-i18next";
import { useSession } from "../auth/session";
import { MoneyList } from "../components/Money";
import { ProblemAlert } from "../components/ProblemAlert";
import { useLoad } from "../components/useLoad";
import { formatDate } from "../format/format";

/** What to do next on the account and why, beside the scenario chasing it and the rule that chose it. */
export function NextActionCard({ entity, account, version }: { entity: string; account: string; version: number }) {
  const { t, i18n } = useTranslation();
  const locale = i18n.language;
  const { api } = useSession();
  const next = useLoad(() => api.nextAction(entity, account), [api, entity, account, version]);
  const scenario = useLoad(() => api.customerScenario(entity, account), [api, entity, account]);
  return (
    <SimpleGrid cols={{ base: 1, md: 2 }}>
      <Card withBorder aria-labelledby="next-action-title" component="section">
        <Title order={3} size="h5" id="next-action-title" mb="xs">
          {t("accountPanels.nextAction")}
        </Title>
        <ProblemAlert error={next.error} />
        {next.data && (
          <>
            <Group gap="xs">
              <Text fw={700}>{t(`accountPanels.action.${next.data.action}`, { defaultValue: next.data.action })}</Text>
              {next.data.channel && (
                <Badge variant="light">{t(`channel.${next.data.channel}`, { defaultValue: next.data.channel })}</Badge>
              )}
              {next.data.act_on && (
                <Text size="sm" c="dimmed">
                  {t("accountPanels.actOn", { day: formatDate(next.data.act_on, locale) })}
                </Text>
              )}
            </Group>
            <Text size="sm">{next.data.reason}</Text>
            {next.data.overdue.length > 0 && (
              <Text size="sm" c="dimmed" component="div">
                {t("customer.totalOverdue")}: <MoneyList amounts={next.data.overdue} />
              </Text>
            )}
          </>
        )}
      </Card>
      <Card withBorder aria-labelledby="scenario-title" component="section">
        <Title order={3} size="h5" id="scenario-title" mb="xs">
          {t("accountPanels.scenario")}
        </Title>
        <ProblemAlert error={scenario.error} />
        {scenario.data && (
          <>
            <Text fw={700}>
              {scenario.data.scenario || "—"}
              {scenario.data.rule && (
                <Text span size="sm" c="dimmed" ml="xs">
                  {t("accountPanels.byRule", { rule: scenario.data.rule })}
                </Text>
              )}
            </Text>
            {scenario.data.explanation.length > 0 && (
              <List size="sm" mt="xs">
                {scenario.data.explanation.map((line) => (
                  <List.Item key={line}>{line}</List.Item>
                ))}
              </List>
            )}
          </>
        )}
      </Card>
    </SimpleGrid>
  );
}
