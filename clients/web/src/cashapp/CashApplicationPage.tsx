import {
  Badge,
  Button,
  Card,
  Group,
  List,
  Loader,
  NativeSelect,
  Paper,
  Stack,
  Table,
  Tabs,
  Text,
  TextInput,
  Title,
} from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { useMemo, useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import { matchingEndpoints } from "../api/endpoints";
import { usePermission, useSession } from "../auth/session";
import { ProblemAlert } from "../components/ProblemAlert";
import { useEntities } from "../components/useEntities";
import { useLoad } from "../components/useLoad";
import { formatDate, formatDateTime, formatMoney, formatPercent } from "../format/format";
import { AllocationEditor } from "./AllocationEditor";
import type { ConfirmBody } from "./split";
import type { MatchDecision, ReviewEntry, ReviewQueue } from "./types";

type Routes = ReturnType<typeof matchingEndpoints>;

function confidenceColor(confidence: number): string {
  if (confidence >= 0.9) return "teal";
  return confidence >= 0.6 ? "yellow" : "red";
}

function TransactionFacts({ entry }: { entry: ReviewEntry }) {
  const { t, i18n } = useTranslation();
  const tx = entry.transaction;
  return (
    <Stack gap={2}>
      <Group gap="xs" wrap="wrap">
        <Text fw={700}>{formatMoney(tx.amount.amount, tx.amount.currency, i18n.language)}</Text>
        <Text size="sm">{tx.counterparty_name ?? t("cashapp.unknownPayer")}</Text>
        <Text size="sm" c="dimmed">
          {formatDate(tx.booking_date ?? tx.value_date, i18n.language)} · {tx.entity}
        </Text>
      </Group>
      {tx.counterparty_iban && (
        <Text size="xs" c="dimmed" ff="monospace">
          {tx.counterparty_iban}
        </Text>
      )}
      {(tx.remittance_text || tx.structured_reference) && (
        <Text size="sm">
          {t("cashapp.remittance")}: {tx.structured_reference ?? ""} {tx.remittance_text ?? ""}
        </Text>
      )}
    </Stack>
  );
}

interface EntryProps {
  entry: ReviewEntry;
  routes: Routes;
  mayWrite: boolean;
  onDecided(decision: MatchDecision): void;
}

function EntryCard({ entry, routes, mayWrite, onDecided }: EntryProps) {
  const { t, i18n } = useTranslation();
  const [editing, setEditing] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const proposal = entry.proposal;
  const locale = i18n.language;
  const hasProposal = Boolean(proposal.customer_id) && proposal.allocations.length > 0;
  const titleId = `tx-${entry.transaction.transaction_id}`;

  async function confirm(body: ConfirmBody) {
    setBusy(true);
    setError(undefined);
    try {
      const decision = await routes.confirm(entry.transaction.transaction_id, body);
      notifications.show({ color: "teal", message: t("cashapp.applied") });
      onDecided(decision);
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  }

  return (
    <Card withBorder padding="sm" component="article" aria-labelledby={titleId}>
      <Stack gap="xs">
        <Group justify="space-between" align="flex-start">
          <div id={titleId}>
            <TransactionFacts entry={entry} />
          </div>
          {hasProposal && (
            <Badge color={confidenceColor(proposal.confidence)} size="lg" variant="light">
              {t("cashapp.confidence", { value: formatPercent(String(proposal.confidence * 100), locale) })}
            </Badge>
          )}
        </Group>
        {hasProposal ? (
          <Stack gap={4}>
            <Text size="sm">{t("cashapp.proposal", { customer: proposal.customer_id })}</Text>
            <Table withRowBorders={false} w="auto" aria-label={t("cashapp.proposedAllocations")}>
              <Table.Tbody>
                {proposal.allocations.map((a) => (
                  <Table.Tr key={a.item_id}>
                    <Table.Td>{a.item_number || a.item_id}</Table.Td>
                    <Table.Td>{formatMoney(a.amount.amount, a.amount.currency, locale)}</Table.Td>
                    <Table.Td>
                      {a.write_off
                        ? t("cashapp.writeOff", {
                            amount: formatMoney(a.write_off.amount, a.write_off.currency, locale),
                          })
                        : ""}
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
            {proposal.unallocated && (
              <Text size="sm">
                {t("cashapp.unallocated", {
                  amount: formatMoney(proposal.unallocated.amount, proposal.unallocated.currency, locale),
                })}
              </Text>
            )}
            {proposal.rate && <Text size="xs">{t("cashapp.rate", { rate: proposal.rate })}</Text>}
          </Stack>
        ) : (
          <Text size="sm" c="dimmed">
            {t("cashapp.noProposal")}
          </Text>
        )}
        {proposal.reasons.length > 0 && (
          <div>
            <Text size="xs" fw={600}>
              {t("cashapp.reasons")}
            </Text>
            <List size="sm">
              {proposal.reasons.map((r) => (
                <List.Item key={r}>{r}</List.Item>
              ))}
            </List>
          </div>
        )}
        <ProblemAlert error={error} />
        {mayWrite && !editing && (
          <Group gap="xs">
            {hasProposal && (
              <Button size="xs" loading={busy} onClick={() => void confirm({ accept_proposal: true })}>
                {t("cashapp.confirmProposal")}
              </Button>
            )}
            <Button size="xs" variant="light" onClick={() => setEditing(true)}>
              {hasProposal ? t("cashapp.chooseOther") : t("cashapp.chooseItems")}
            </Button>
          </Group>
        )}
        {editing && (
          <AllocationEditor
            entry={entry}
            busy={busy}
            onConfirm={(body) => void confirm(body)}
            onCancel={() => setEditing(false)}
          />
        )}
      </Stack>
    </Card>
  );
}

function Queue({
  kind,
  entity,
  routes,
  mayWrite,
  onDecided,
}: {
  kind: "review" | "suspense";
  entity: string;
  routes: Routes;
  mayWrite: boolean;
  onDecided(d: MatchDecision): void;
}) {
  const { t } = useTranslation();
  const [extra, setExtra] = useState<ReviewQueue | null>(null);
  const [done, setDone] = useState<ReadonlySet<string>>(new Set());
  const loaded = useLoad(
    (signal) => {
      setExtra(null);
      return kind === "review"
        ? routes.review({ entity, page_size: 50 }, signal)
        : routes.suspense({ entity, page_size: 50 }, signal);
    },
    [routes, kind, entity],
  );
  if (loaded.loading && !loaded.data) return <Loader aria-label={t("common.loading")} />;
  if (loaded.error) return <ProblemAlert error={loaded.error} />;
  const entries = [...(loaded.data?.entries ?? []), ...(extra?.entries ?? [])].filter(
    (e) => !done.has(e.transaction.transaction_id),
  );
  const next = extra ? extra.next_page_token : (loaded.data?.next_page_token ?? null);

  async function more() {
    if (!next) return;
    const page =
      kind === "review"
        ? await routes.review({ entity, page_token: next, page_size: 50 })
        : await routes.suspense({ entity, page_token: next, page_size: 50 });
    setExtra((now) => ({ ...page, entries: [...(now?.entries ?? []), ...page.entries] }));
  }

  return (
    <Stack gap="sm">
      <Text size="sm" aria-live="polite">
        {t(`cashapp.count.${kind}`, { count: Math.max(0, (loaded.data?.total ?? 0) - done.size) })}
      </Text>
      {entries.length === 0 && <Text c="dimmed">{t(`cashapp.empty.${kind}`)}</Text>}
      {entries.map((entry) => (
        <EntryCard
          key={entry.transaction.transaction_id}
          entry={entry}
          routes={routes}
          mayWrite={mayWrite}
          onDecided={(decision) => {
            setDone((now) => new Set(now).add(entry.transaction.transaction_id));
            onDecided(decision);
          }}
        />
      ))}
      {next && (
        <Button variant="default" onClick={() => void more()}>
          {t("cashapp.more")}
        </Button>
      )}
    </Stack>
  );
}

/** Undo an allocation: from the list of lines applied in this session, or any line found by its id. */
function Reversal({
  routes,
  applied,
  onReversed,
}: {
  routes: Routes;
  applied: MatchDecision[];
  onReversed(id: string): void;
}) {
  const { t, i18n } = useTranslation();
  const [lookup, setLookup] = useState("");
  const [found, setFound] = useState<ReviewEntry | null>(null);
  const [reasons, setReasons] = useState<Record<string, string>>({});
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState<string | null>(null);

  async function find(event: FormEvent) {
    event.preventDefault();
    setError(undefined);
    setFound(null);
    if (!lookup.trim()) return;
    try {
      setFound(await routes.transaction(lookup.trim()));
    } catch (failure) {
      setError(failure);
    }
  }

  async function reverse(allocationId: string) {
    const reason = (reasons[allocationId] ?? "").trim();
    if (!reason) return;
    setBusy(allocationId);
    setError(undefined);
    try {
      await routes.reverse(allocationId, reason);
      notifications.show({ color: "teal", message: t("cashapp.reverse.done") });
      onReversed(allocationId);
      setFound((now) => (now?.allocation_id === allocationId ? null : now));
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(null);
    }
  }

  const rows: { allocationId: string; entry: ReviewEntry }[] = [
    ...applied.map((d) => ({ allocationId: d.allocation_id, entry: d.entry })),
    ...(found?.allocation_id && !applied.some((d) => d.allocation_id === found.allocation_id)
      ? [{ allocationId: found.allocation_id, entry: found }]
      : []),
  ];
  return (
    <Paper withBorder p="md" aria-labelledby="reverse-title">
      <Stack gap="sm">
        <Title order={2} size="h4" id="reverse-title">
          {t("cashapp.reverse.title")}
        </Title>
        <Group align="flex-end" component="form" onSubmit={find}>
          <TextInput
            label={t("cashapp.reverse.lookup")}
            value={lookup}
            onChange={(e) => setLookup(e.currentTarget.value)}
          />
          <Button type="submit" variant="light">
            {t("cashapp.reverse.find")}
          </Button>
        </Group>
        {found && !found.allocation_id && (
          <Text size="sm">{t("cashapp.reverse.notApplied", { status: t(`cashapp.status.${found.status}`) })}</Text>
        )}
        <ProblemAlert error={error} />
        {rows.length === 0 && (
          <Text size="sm" c="dimmed">
            {t("cashapp.reverse.none")}
          </Text>
        )}
        {rows.map(({ allocationId, entry }) => {
          const reason = reasons[allocationId] ?? "";
          return (
            <Group key={allocationId} align="flex-end" justify="space-between" wrap="wrap">
              <div>
                <TransactionFacts entry={entry} />
                <Text size="xs" c="dimmed">
                  {t("cashapp.reverse.appliedTo", { customer: entry.proposal.customer_id ?? "—" })}
                  {entry.updated_at ? ` · ${formatDateTime(entry.updated_at, i18n.language)}` : ""}
                </Text>
              </div>
              <Group align="flex-end" gap="xs">
                <TextInput
                  label={t("cashapp.reverse.reason")}
                  maxLength={500}
                  value={reason}
                  onChange={(e) => {
                    const value = e.currentTarget.value;
                    setReasons((now) => ({ ...now, [allocationId]: value }));
                  }}
                />
                <Button
                  color="red"
                  variant="light"
                  disabled={!reason.trim()}
                  loading={busy === allocationId}
                  onClick={() => void reverse(allocationId)}
                >
                  {t("cashapp.reverse.submit")}
                </Button>
              </Group>
            </Group>
          );
        })}
      </Stack>
    </Paper>
  );
}

export function CashApplicationPage() {
  const { t } = useTranslation();
  const { client } = useSession();
  const routes = useMemo(() => matchingEndpoints(client), [client]);
  const mayWrite = usePermission("cash_application", "write");
  const { entities, initial } = useEntities();
  const [entity, setEntity] = useState<string | null>(null);
  const [applied, setApplied] = useState<MatchDecision[]>([]);
  const chosen = entity ?? initial;

  return (
    <Stack gap="md">
      <Group justify="space-between" align="flex-end">
        <Title order={1} size="h2">
          {t("cashapp.title")}
        </Title>
        <NativeSelect
          label={t("cashapp.entity")}
          value={chosen ?? ""}
          data={[
            ...(initial === "" ? [{ value: "", label: t("cashapp.allEntities") }] : []),
            ...entities.map((e) => ({ value: e.code, label: e.code })),
          ]}
          onChange={(e) => setEntity(e.currentTarget.value)}
        />
      </Group>
      {chosen === null ? (
        <Loader aria-label={t("common.loading")} />
      ) : (
        <Tabs defaultValue="review" keepMounted={false}>
          <Tabs.List>
            <Tabs.Tab value="review">{t("cashapp.tabs.review")}</Tabs.Tab>
            <Tabs.Tab value="suspense">{t("cashapp.tabs.suspense")}</Tabs.Tab>
          </Tabs.List>
          {(["review", "suspense"] as const).map((kind) => (
            <Tabs.Panel key={kind} value={kind} pt="md">
              <Queue
                kind={kind}
                entity={chosen}
                routes={routes}
                mayWrite={mayWrite}
                onDecided={(d) => setApplied((now) => [d, ...now])}
              />
            </Tabs.Panel>
          ))}
        </Tabs>
      )}
      {mayWrite && (
        <Reversal
          routes={routes}
          applied={applied}
          onReversed={(id) => setApplied((now) => now.filter((d) => d.allocation_id !== id))}
        />
      )}
    </Stack>
  );
}
