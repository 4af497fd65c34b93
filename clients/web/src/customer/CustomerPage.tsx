import {
  Anchor,
  Badge,
  Button,
  Card,
  Checkbox,
  Group,
  Loader,
  SimpleGrid,
  Stack,
  Table,
  Tabs,
  Text,
  Timeline as MantineTimeline,
  Title,
} from "@mantine/core";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { Link, useParams } from "react-router";
import type { TimelineEntry } from "../api/types";
import { usePermission, useSession } from "../auth/session";
import { MoneyList } from "../components/Money";
import { ProblemAlert } from "../components/ProblemAlert";
import { useLoad } from "../components/useLoad";
import { formatDate, formatDateTime, formatMoney, isoDay } from "../format/format";
import { accountTotals, currentStatuses, daysOverdue } from "./account";
import { NextActionCard } from "./NextActionCard";
import { PenaltiesPanel } from "./PenaltiesPanel";
import { PlansPanel } from "./PlansPanel";
import { PromisesPanel } from "./PromisesPanel";
import { QualifyPanel } from "./QualifyPanel";
import { RiskPanel } from "./RiskPanel";

export function CustomerPage() {
  const { entity = "", account = "" } = useParams();
  const { t, i18n } = useTranslation();
  const { api } = useSession();
  const locale = i18n.language;
  const today = isoDay();

  const loaded = useLoad(() => api.account(entity, account), [api, entity, account]);
  const statuses = useLoad(
    () =>
      api
        .timeline(entity, account, { kind: ["item.qualified"], page_size: 500 })
        .then((tl) => currentStatuses(tl.entries)),
    [api, entity, account],
  );
  const timeline = useTimeline(entity, account);
  const mayQualify = usePermission("qualifications", "write");
  const [picked, setPicked] = useState<ReadonlySet<string>>(new Set());
  const mayReadPlans = usePermission("payment_plans", "read");
  const mayReadRisk = usePermission("risk", "read");
  const mayReadPenalties = usePermission("penalties", "read");
  // Bumped when the user changed the account here, so the panels that depend on it ask again.
  const [version, setVersion] = useState(0);

  if (loaded.loading && !loaded.data) return <Loader aria-label={t("common.loading")} />;
  if (loaded.error || !loaded.data) return <ProblemAlert error={loaded.error} />;
  const { customer, contacts, items } = loaded.data;
  const totals = accountTotals(items, today);
  const sorted = [...items].sort((a, b) => (a.due_date ?? "").localeCompare(b.due_date ?? ""));
  const selectedItems = sorted.filter((i) => picked.has(i.item_id));
  const pick = (id: string) =>
    setPicked((now) => {
      const next = new Set(now);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });

  return (
    <Stack gap="md">
      <Group justify="space-between" align="flex-start">
        <div>
          <Anchor component={Link} to="/agenda" size="sm">
            ← {t("nav.agenda")}
          </Anchor>
          <Title order={2}>{customer.name}</Title>
          <Text c="dimmed" size="sm">
            {customer.entity} · {customer.account_number}
            {customer.collector && ` · ${t("customer.collector")}: ${customer.collector}`}
            {customer.sales_rep && ` · ${t("customer.salesRep")}: ${customer.sales_rep}`}
            {` · ${t("customer.language")}: ${customer.language}`}
          </Text>
        </div>
      </Group>

      <SimpleGrid cols={{ base: 1, xs: 3 }}>
        <Card withBorder>
          <Text size="sm" c="dimmed">
            {t("customer.totalOpen")}
          </Text>
          <Text fw={700} size="lg">
            <MoneyList amounts={totals.open} />
          </Text>
        </Card>
        <Card withBorder>
          <Text size="sm" c="dimmed">
            {t("customer.totalOverdue")}
          </Text>
          <Text fw={700} size="lg" c={totals.overdue.length ? "red" : undefined}>
            <MoneyList amounts={totals.overdue} />
          </Text>
        </Card>
        <Card withBorder>
          <Text size="sm" c="dimmed">
            {t("customer.items")}
          </Text>
          <Text fw={700} size="lg">
            {t("customer.itemsCount", { count: items.length, overdue: totals.overdueItems })}
          </Text>
        </Card>
      </SimpleGrid>

      <NextActionCard entity={entity} account={account} version={version} />

      <section aria-labelledby="items-title">
        <Title order={3} size="h4" id="items-title" mb="xs">
          {t("customer.openItems")}
        </Title>
        <ProblemAlert error={statuses.error} />
        <Table.ScrollContainer minWidth={720}>
          <Table striped aria-labelledby="items-title">
            <Table.Thead>
              <Table.Tr>
                {mayQualify && (
                  <Table.Th w={40}>
                    <Checkbox
                      aria-label={t("customer.selectAll")}
                      checked={items.length > 0 && picked.size === items.length}
                      indeterminate={picked.size > 0 && picked.size < items.length}
                      onChange={() =>
                        setPicked(picked.size === items.length ? new Set() : new Set(items.map((i) => i.item_id)))
                      }
                    />
                  </Table.Th>
                )}
                <Table.Th>{t("customer.number")}</Table.Th>
                <Table.Th>{t("customer.kind")}</Table.Th>
                <Table.Th>{t("customer.issued")}</Table.Th>
                <Table.Th>{t("customer.due")}</Table.Th>
                <Table.Th className="amount">{t("customer.daysOverdue")}</Table.Th>
                <Table.Th className="amount">{t("customer.amount")}</Table.Th>
                <Table.Th className="amount">{t("customer.openAmount")}</Table.Th>
                <Table.Th>{t("customer.status")}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {sorted.map((item) => {
                const late = daysOverdue(item.due_date, today);
                const status = statuses.data?.get(item.item_id);
                return (
                  <Table.Tr key={item.item_id}>
                    {mayQualify && (
                      <Table.Td>
                        <Checkbox
                          aria-label={t("customer.selectItem", { number: item.number })}
                          checked={picked.has(item.item_id)}
                          onChange={() => pick(item.item_id)}
                        />
                      </Table.Td>
                    )}
                    <Table.Td>
                      {item.number}
                      {item.reference && (
                        <Text size="xs" c="dimmed">
                          {item.reference}
                        </Text>
                      )}
                    </Table.Td>
                    <Table.Td>{t(`itemKind.${item.kind}`, { defaultValue: item.kind })}</Table.Td>
                    <Table.Td>{formatDate(item.issue_date, locale)}</Table.Td>
                    <Table.Td>{formatDate(item.due_date, locale)}</Table.Td>
                    <Table.Td className="amount" c={late > 0 ? "red" : undefined}>
                      {late > 0 ? late : "—"}
                    </Table.Td>
                    <Table.Td className="amount">
                      {formatMoney(item.amount.amount, item.amount.currency, locale)}
                    </Table.Td>
                    <Table.Td className="amount">
                      {formatMoney(item.open_amount.amount, item.open_amount.currency, locale)}
                    </Table.Td>
                    <Table.Td>
                      {status ? (
                        <Badge
                          variant="light"
                          color="grape"
                          title={status.since ? formatDate(status.since, locale) : undefined}
                        >
                          {t(`itemStatus.${status.status}`, { defaultValue: status.status })}
                        </Badge>
                      ) : late > 0 ? (
                        <Badge variant="light" color="red">
                          {t("itemStatus.overdue")}
                        </Badge>
                      ) : (
                        <Badge variant="light" color="gray">
                          {t("itemStatus.notDue")}
                        </Badge>
                      )}
                    </Table.Td>
                  </Table.Tr>
                );
              })}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
        {mayQualify && (
          <QualifyPanel
            entity={entity}
            account={account}
            selected={selectedItems}
            onQualified={() => {
              setPicked(new Set());
              statuses.reload();
              timeline.reload();
              setVersion((v) => v + 1);
            }}
          />
        )}
      </section>

      {(mayReadPlans || mayReadRisk || mayReadPenalties) && (
        <Tabs defaultValue={mayReadPlans ? "plans" : mayReadRisk ? "risk" : "penalties"} keepMounted={false}>
          <Tabs.List aria-label={t("accountPanels.panels")}>
            {mayReadPlans && <Tabs.Tab value="plans">{t("accountPanels.promisesAndPlans")}</Tabs.Tab>}
            {mayReadRisk && <Tabs.Tab value="risk">{t("accountPanels.risk")}</Tabs.Tab>}
            {mayReadPenalties && <Tabs.Tab value="penalties">{t("accountPanels.penalties")}</Tabs.Tab>}
          </Tabs.List>
          {mayReadPlans && (
            <Tabs.Panel value="plans" pt="md">
              <SimpleGrid cols={{ base: 1, lg: 2 }} spacing="lg">
                <PromisesPanel entity={entity} account={account} items={items} version={version} />
                <PlansPanel
                  entity={entity}
                  account={account}
                  items={items}
                  onChanged={() => {
                    loaded.reload();
                    timeline.reload();
                    setVersion((v) => v + 1);
                  }}
                />
              </SimpleGrid>
            </Tabs.Panel>
          )}
          {mayReadRisk && (
            <Tabs.Panel value="risk" pt="md">
              <RiskPanel entity={entity} account={account} />
            </Tabs.Panel>
          )}
          {mayReadPenalties && (
            <Tabs.Panel value="penalties" pt="md">
              <PenaltiesPanel entity={entity} account={account} />
            </Tabs.Panel>
          )}
        </Tabs>
      )}

      <SimpleGrid cols={{ base: 1, md: 2 }} spacing="lg">
        <section aria-labelledby="timeline-title">
          <Title order={3} size="h4" id="timeline-title" mb="xs">
            {t("customer.timeline")}
          </Title>
          <ProblemAlert error={timeline.error} />
          {timeline.entries.length === 0 && !timeline.loading ? (
            <Text c="dimmed">{t("customer.timelineEmpty")}</Text>
          ) : (
            <MantineTimeline bulletSize={12} lineWidth={2}>
              {timeline.entries.map((entry) => (
                <MantineTimeline.Item
                  key={entry.id}
                  title={t(`timelineKind.${entry.kind}`, { defaultValue: entry.kind })}
                >
                  <Text size="sm">{entry.summary}</Text>
                  <Text size="xs" c="dimmed">
                    {formatDateTime(entry.occurred_at, locale)} · {entry.actor}
                  </Text>
                </MantineTimeline.Item>
              ))}
            </MantineTimeline>
          )}
          {timeline.next && (
            <Button variant="default" size="xs" mt="sm" onClick={timeline.more} loading={timeline.loading}>
              {t("customer.timelineMore")}
            </Button>
          )}
        </section>
        <section aria-labelledby="contacts-title">
          <Title order={3} size="h4" id="contacts-title" mb="xs">
            {t("customer.contacts")}
          </Title>
          {contacts.length === 0 ? (
            <Text c="dimmed">{t("customer.noContacts")}</Text>
          ) : (
            <Stack gap="xs">
              {contacts.map((c, i) => (
                <Card withBorder key={`${c.email ?? c.phone ?? ""}-${i}`} p="sm">
                  <Text fw={600}>{c.name ?? "—"}</Text>
                  <Text size="sm" c="dimmed">
                    {c.role}
                    {c.language && ` · ${c.language}`}
                  </Text>
                  {c.email && (
                    <Anchor href={`mailto:${c.email}`} size="sm">
                      {c.email}
                    </Anchor>
                  )}
                  {c.phone && (
                    <Anchor href={`tel:${c.phone}`} size="sm" display="block">
                      {c.phone}
                    </Anchor>
                  )}
                </Card>
              ))}
            </Stack>
          )}
        </section>
      </SimpleGrid>
    </Stack>
  );
}

function useTimeline(entity: string, account: string) {
  const { api } = useSession();
  const [extra, setExtra] = useState<{ entries: TimelineEntry[]; next: string | null } | null>(null);
  const [moreError, setMoreError] = useState<unknown>();
  const [moreLoading, setMoreLoading] = useState(false);
  const first = useLoad(() => {
    setExtra(null);
    return api.timeline(entity, account, { page_size: 50 });
  }, [api, entity, account]);
  const entries = [...(first.data?.entries ?? []), ...(extra?.entries ?? [])];
  const next = extra ? extra.next : (first.data?.next_page_token ?? null);
  return {
    entries,
    next,
    loading: first.loading || moreLoading,
    reload: first.reload,
    error: first.error ?? moreError,
    more: () => {
      if (!next) return;
      setMoreLoading(true);
      api
        .timeline(entity, account, { page_size: 50, page_token: next })
        .then(
          (page) =>
            setExtra((e) => ({ entries: [...(e?.entries ?? []), ...page.entries], next: page.next_page_token })),
          setMoreError,
        )
        .finally(() => setMoreLoading(false));
    },
  };
}
