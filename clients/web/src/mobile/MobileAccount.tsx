import { Alert, Anchor, Badge, Button, Card, Group, Loader, SimpleGrid, Stack, Text, Title } from "@mantine/core";
import { useMemo, useState } from "react";
import { useTranslation } from "react-i18next";
import { Link, useParams } from "react-router";
import { mobileEndpoints } from "../api/endpoints";
import { useSession } from "../auth/session";
import { ProblemAlert } from "../components/ProblemAlert";
import { useLoad } from "../components/useLoad";
import { formatDate, formatDateTime, formatMoney } from "../format/format";
import { DisputeAnswerForm } from "./DisputeAnswerForm";
import { rememberAccount, savedAccount } from "./recent";
import type { MobileDispute, SavedAccount } from "./types";

type Shown = { account: SavedAccount; offline: false } | { account: SavedAccount; offline: true; error: unknown };

/**
 * The account summed up for a visit. Fetched each time and saved on the phone; when the fetch fails the saved
 * copy shows under a banner saying when it was fetched.
 */
export function MobileAccount() {
  const { entity = "", account = "" } = useParams();
  const { t } = useTranslation();
  const { client } = useSession();
  const routes = useMemo(() => mobileEndpoints(client), [client]);
  const { data, error, loading } = useLoad<Shown>(
    async (signal) => {
      try {
        const [summary, actions] = await Promise.all([
          routes.summary(entity, account, signal),
          // Last actions are a plus: a role that may not read the timeline still gets the summary.
          routes.lastActions(entity, account, signal).then(
            (timeline) => timeline.entries,
            () => [],
          ),
        ]);
        const saved: SavedAccount = {
          entity,
          account_number: account,
          name: summary.customer.name,
          summary,
          actions,
          fetchedAt: new Date().toISOString(),
        };
        rememberAccount(saved);
        return { account: saved, offline: false };
      } catch (failure) {
        if (signal.aborted) throw failure;
        const saved = savedAccount(entity, account);
        if (!saved) throw failure;
        return { account: saved, offline: true, error: failure };
      }
    },
    [routes, entity, account],
  );

  return (
    <Stack gap="lg" maw={640} mx="auto">
      <Anchor component={Link} to="/mobile" size="lg">
        ← {t("mobile.back")}
      </Anchor>
      {loading && <Loader aria-label={t("mobile.loading")} />}
      {!loading && error !== undefined && <ProblemAlert error={error} />}
      {!loading && data && <Summary shown={data} />}
    </Stack>
  );
}

function Summary({ shown }: { shown: Shown }) {
  const { t, i18n } = useTranslation();
  const locale = i18n.language;
  const { summary, actions, fetchedAt } = shown.account;
  const openDisputes = summary.disputes;
  return (
    <>
      {shown.offline && (
        <Alert color="yellow" variant="light" role="status" title={t("mobile.offline.title")}>
          {t("mobile.offline.banner", { when: formatDateTime(fetchedAt, locale) })}
        </Alert>
      )}
      <div>
        <Title order={2}>{summary.customer.name}</Title>
        <Text c="dimmed">
          {summary.customer.entity}/{summary.customer.account_number}
        </Text>
      </div>

      <section aria-labelledby="mobile-balances">
        <Title order={3} id="mobile-balances" mb="xs">
          {t("mobile.balance.title")}
        </Title>
        {summary.balances.length === 0 && <Text c="dimmed">{t("mobile.balance.none")}</Text>}
        <Stack gap="sm">
          {summary.balances.map((b) => (
            <Card
              key={b.currency}
              withBorder
              padding="md"
              role="group"
              aria-label={t("mobile.balance.currency", { currency: b.currency })}
            >
              <SimpleGrid cols={2}>
                <div>
                  <Text size="sm" c="dimmed">
                    {t("mobile.balance.open")}
                  </Text>
                  <Text fw={700} size="xl" data-testid={`open-${b.currency}`}>
                    {formatMoney(b.open, b.currency, locale)}
                  </Text>
                  <Text size="sm">{t("mobile.balance.items", { count: b.open_items })}</Text>
                </div>
                <div>
                  <Text size="sm" c="dimmed">
                    {t("mobile.balance.overdue")}
                  </Text>
                  <Text
                    fw={700}
                    size="xl"
                    c={Number(b.overdue) > 0 ? "red" : undefined}
                    data-testid={`overdue-${b.currency}`}
                  >
                    {formatMoney(b.overdue, b.currency, locale)}
                  </Text>
                  <Text size="sm">{t("mobile.balance.items", { count: b.overdue_items })}</Text>
                </div>
              </SimpleGrid>
            </Card>
          ))}
        </Stack>
        {summary.oldest_days_overdue != null && summary.oldest_days_overdue > 0 && (
          <Text mt="xs">{t("mobile.balance.oldest", { count: summary.oldest_days_overdue })}</Text>
        )}
        <Text size="sm" c="dimmed" mt="xs">
          {t("mobile.balance.asOf", { date: formatDate(summary.as_of, locale) })}
        </Text>
      </section>

      <section aria-labelledby="mobile-account-disputes">
        <Title order={3} id="mobile-account-disputes" mb="xs">
          {t("mobile.account.disputes", { count: openDisputes.length })}
        </Title>
        {openDisputes.length === 0 && <Text c="dimmed">{t("mobile.account.noDisputes")}</Text>}
        <Stack gap="sm">
          {openDisputes.map((d) => (
            <DisputeDetail key={d.item_id} dispute={d} offline={shown.offline} />
          ))}
        </Stack>
      </section>

      <section aria-labelledby="mobile-actions">
        <Title order={3} id="mobile-actions" mb="xs">
          {t("mobile.account.actions")}
        </Title>
        {actions.length === 0 ? (
          <Text c="dimmed">{t("mobile.account.noActions")}</Text>
        ) : (
          <Stack gap="xs" component="ul" style={{ listStyle: "none", padding: 0, margin: 0 }}>
            {actions.map((a) => (
              <li key={a.id}>
                <Text size="sm" c="dimmed">
                  {formatDateTime(a.occurred_at, locale)}
                </Text>
                <Text>{a.summary}</Text>
              </li>
            ))}
          </Stack>
        )}
      </section>

      <section aria-labelledby="mobile-contacts">
        <Title order={3} id="mobile-contacts" mb="xs">
          {t("mobile.account.contacts")}
        </Title>
        {summary.contacts.length === 0 && <Text c="dimmed">{t("mobile.account.noContacts")}</Text>}
        <Stack gap="sm">
          {summary.contacts.map((c, index) => (
            <Card key={`${c.email ?? ""}/${c.phone ?? ""}/${index}`} withBorder padding="md">
              <Group justify="space-between">
                <Text fw={600}>{c.name ?? "—"}</Text>
                <Badge variant="light">{c.role}</Badge>
              </Group>
              <Group mt="sm" gap="sm" grow>
                {c.phone && (
                  <Button component="a" href={`tel:${c.phone.replace(/[^\d+]/g, "")}`} size="lg" variant="light">
                    {t("mobile.account.call", { phone: c.phone })}
                  </Button>
                )}
                {c.email && (
                  <Button component="a" href={`mailto:${c.email}`} size="lg" variant="light">
                    {t("mobile.account.email")}
                  </Button>
                )}
              </Group>
              {c.email && (
                <Text size="sm" c="dimmed" mt="xs">
                  {c.email}
                </Text>
              )}
            </Card>
          ))}
        </Stack>
      </section>
    </>
  );
}

function DisputeDetail({ dispute, offline }: { dispute: MobileDispute; offline: boolean }) {
  const { t, i18n } = useTranslation();
  const locale = i18n.language;
  const [answering, setAnswering] = useState(false);
  return (
    <Card withBorder padding="md">
      <Group justify="space-between" wrap="nowrap" align="flex-start">
        <Text fw={600}>{dispute.item_number}</Text>
        <Text fw={600} style={{ whiteSpace: "nowrap" }}>
          {formatMoney(dispute.open_amount.amount, dispute.open_amount.currency, locale)}
        </Text>
      </Group>
      {dispute.disputed_since && (
        <Text size="sm" c="dimmed">
          {t("mobile.disputes.since", { date: formatDate(dispute.disputed_since, locale) })}
        </Text>
      )}
      {dispute.comment && <Text mt="xs">{dispute.comment}</Text>}
      {dispute.answers.length > 0 && (
        <Stack gap={4} mt="xs">
          <Text size="sm" fw={600}>
            {t("mobile.answer.previous")}
          </Text>
          {dispute.answers.map((a, i) => (
            <Text size="sm" key={i}>
              {a}
            </Text>
          ))}
        </Stack>
      )}
      {!offline &&
        (answering ? (
          <DisputeAnswerForm dispute={dispute} onDone={() => setAnswering(false)} />
        ) : (
          <Button mt="sm" size="lg" variant="light" fullWidth onClick={() => setAnswering(true)}>
            {t("mobile.answer.start")}
          </Button>
        ))}
    </Card>
  );
}
