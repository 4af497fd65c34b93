import { Badge, Card, Group, Loader, Progress, SimpleGrid, Stack, Table, Text, Title } from "@mantine/core";
import { useTranslation } from "react-i18next";
import type { Money } from "../api/types";
import { useSession } from "../auth/session";
import { MoneyList } from "../components/Money";
import { ProblemAlert } from "../components/ProblemAlert";
import { useLoad } from "../components/useLoad";
import { formatDate, formatMoney, formatNumber } from "../format/format";

const GRADE_COLOUR: Record<string, string> = { A: "teal", B: "green", C: "yellow", D: "orange", E: "red" };

/** A limit's use, given by the gateway as a fraction ("1.0500" is 105 %), as the locale writes a percentage. */
export function formatUse(use: string, locale: string): string {
  return new Intl.NumberFormat(locale, { style: "percent", maximumFractionDigits: 1 }).format(Number(use));
}

function present(list: readonly (Money | null)[]): Money[] {
  return list.filter((m): m is Money => m !== null);
}

/** The customer's risk: score and its parts, credit limits and their use, insurance covers, external rating. */
export function RiskPanel({ entity, account }: { entity: string; account: string }) {
  const { t, i18n } = useTranslation();
  const locale = i18n.language;
  const { api } = useSession();
  const loaded = useLoad(() => api.riskProfile(entity, account), [api, entity, account]);
  if (loaded.loading && !loaded.data) return <Loader size="sm" aria-label={t("common.loading")} />;
  if (!loaded.data) return <ProblemAlert error={loaded.error} />;
  const profile = loaded.data;
  const { score } = profile;
  return (
    <Stack gap="md">
      <ProblemAlert error={loaded.error} />
      <SimpleGrid cols={{ base: 1, sm: 3 }}>
        <Card withBorder>
          <Text size="sm" c="dimmed">
            {t("accountPanels.score")}
          </Text>
          {score.rated ? (
            <Group gap="xs" align="baseline">
              <Text fw={700} size="xl">
                {t("accountPanels.scoreOf", { value: score.value })}
              </Text>
              {score.grade && (
                <Badge
                  color={GRADE_COLOUR[score.grade] ?? "gray"}
                  aria-label={t("accountPanels.grade", { grade: score.grade })}
                >
                  {score.grade}
                </Badge>
              )}
            </Group>
          ) : (
            <Text c="dimmed">{t("accountPanels.notRated")}</Text>
          )}
          {profile.behaviour.trend && (
            <Text size="xs" c="dimmed" title={profile.behaviour.trend_explanation}>
              {t("accountPanels.trend")}:{" "}
              {t(`accountPanels.trendName.${profile.behaviour.trend}`, { defaultValue: profile.behaviour.trend })}
            </Text>
          )}
        </Card>
        <Card withBorder>
          <Text size="sm" c="dimmed">
            {t("customer.totalOpen")}
          </Text>
          <Text fw={700}>
            <MoneyList amounts={present(profile.open_balance)} />
          </Text>
        </Card>
        <Card withBorder>
          <Text size="sm" c="dimmed">
            {t("accountPanels.externalRating")}
          </Text>
          <Text fw={700}>
            {profile.external_rating ? `${profile.external_rating.rating} · ${profile.external_rating.agency}` : "—"}
          </Text>
          {profile.external_rating?.rated_on && (
            <Text size="xs" c="dimmed">
              {formatDate(profile.external_rating.rated_on, locale)}
            </Text>
          )}
        </Card>
      </SimpleGrid>

      <section aria-labelledby="score-parts-title">
        <Title order={4} size="h5" id="score-parts-title" mb="xs">
          {t("accountPanels.scoreParts")}
        </Title>
        <Table.ScrollContainer minWidth={640}>
          <Table striped aria-labelledby="score-parts-title">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t("accountPanels.part")}</Table.Th>
                <Table.Th>{t("accountPanels.measure")}</Table.Th>
                <Table.Th className="amount">{t("accountPanels.value")}</Table.Th>
                <Table.Th className="amount">{t("accountPanels.weight")}</Table.Th>
                <Table.Th className="amount">{t("accountPanels.points")}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {score.parts.map((part) => (
                <Table.Tr key={part.name} c={part.rated ? undefined : "dimmed"}>
                  <Table.Th scope="row" fw={500} title={part.explanation}>
                    {t(`accountPanels.partName.${part.name}`, { defaultValue: part.name })}
                  </Table.Th>
                  <Table.Td>{part.measure}</Table.Td>
                  <Table.Td className="amount">{part.value ? formatNumber(part.value, locale) : "—"}</Table.Td>
                  <Table.Td className="amount">{formatNumber(part.weight, locale)}</Table.Td>
                  <Table.Td className="amount">
                    {part.rated ? formatNumber(part.points, locale, 2) : t("accountPanels.notRatedPart")}
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      </section>

      <SimpleGrid cols={{ base: 1, md: 2 }}>
        <section aria-labelledby="limits-title">
          <Title order={4} size="h5" id="limits-title" mb="xs">
            {t("accountPanels.limits")}
          </Title>
          {profile.limits.length === 0 && <Text c="dimmed">{t("accountPanels.noLimit")}</Text>}
          <Stack gap="xs">
            {profile.limits.map((limit) => {
              const use = limit.use;
              const fraction = use?.use ? Number(use.use) : null;
              return (
                <Card withBorder p="sm" key={limit.limit_id}>
                  <Group justify="space-between">
                    <Text fw={600}>
                      {limit.amount ? formatMoney(limit.amount.amount, limit.amount.currency, locale) : "—"}
                    </Text>
                    <Badge variant="light">
                      {t(`accountPanels.holder.${limit.holder_kind}`, { defaultValue: limit.holder_kind })}
                    </Badge>
                  </Group>
                  {use?.known && use.use && fraction !== null ? (
                    <>
                      <Progress
                        mt="xs"
                        value={Math.min(100, fraction * 100)}
                        color={fraction > 1 ? "red" : fraction > 0.8 ? "orange" : "teal"}
                        aria-label={t("accountPanels.limitUse")}
                      />
                      <Text size="sm">
                        {t("accountPanels.used", { use: formatUse(use.use, locale) })}
                        {use.balance && ` · ${formatMoney(use.balance.amount, use.balance.currency, locale)}`}
                        {use.headroom &&
                          ` · ${t("accountPanels.headroom")}: ${formatMoney(use.headroom.amount, use.headroom.currency, locale)}`}
                      </Text>
                    </>
                  ) : (
                    <Text size="sm" c="orange">
                      {use?.problem ?? t("accountPanels.useUnknown")}
                    </Text>
                  )}
                  {limit.review_on && (
                    <Text size="xs" c="dimmed">
                      {t("accountPanels.reviewOn", { day: formatDate(limit.review_on, locale) })}
                    </Text>
                  )}
                </Card>
              );
            })}
          </Stack>
        </section>
        <section aria-labelledby="covers-title">
          <Title order={4} size="h5" id="covers-title" mb="xs">
            {t("accountPanels.covers")}
          </Title>
          {profile.covers.length === 0 && <Text c="dimmed">{t("accountPanels.noCover")}</Text>}
          <Stack gap="xs">
            {profile.covers.map((cover) => (
              <Card withBorder p="sm" key={cover.cover_id}>
                <Group justify="space-between">
                  <Text fw={600}>{cover.insurer}</Text>
                  <Text fw={600}>
                    {cover.amount ? formatMoney(cover.amount.amount, cover.amount.currency, locale) : "—"}
                  </Text>
                </Group>
                <Text size="sm" c="dimmed">
                  {t("accountPanels.coverPeriod", {
                    from: formatDate(cover.starts_on, locale) || "—",
                    to: formatDate(cover.expires_on, locale) || "—",
                  })}
                  {cover.policy_reference && ` · ${cover.policy_reference}`}
                </Text>
              </Card>
            ))}
          </Stack>
        </section>
      </SimpleGrid>
    </Stack>
  );
}
