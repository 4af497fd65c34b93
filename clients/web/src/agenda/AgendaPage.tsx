import {
  Alert,
  Button,
  Collapse,
  Group,
  List,
  Loader,
  NativeSelect,
  SimpleGrid,
  Stack,
  Text,
  TextInput,
  Title,
} from "@mantine/core";
import { useMediaQuery } from "@mantine/hooks";
import { notifications } from "@mantine/notifications";
import { useEffect, useMemo, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { useNavigate } from "react-router";
import type { BulkAction, Task } from "../api/types";
import { usePermission, useSession } from "../auth/session";
import { ProblemAlert } from "../components/ProblemAlert";
import { useEntities } from "../components/useEntities";
import { AgendaTable, customerPath } from "./AgendaTable";
import { BulkBar, type BulkBarHandle } from "./BulkBar";
import { defaultFilters, invalidAmount, toQuery, type AgendaFilters } from "./filters";
import { applyBulkResults, emptySelection, retainVisible, type Selection } from "./selection";

const CHANNELS = [
  "",
  "email",
  "sms",
  "letter",
  "phone_call",
  "internal_task",
  "call_centre_task",
  "legal_escalation",
  "debt_sale",
];

export function AgendaPage() {
  const { entities, initial } = useEntities();
  if (initial === null) return <Loader aria-label="…" />;
  return (
    <AgendaWorkspace
      entities={entities.map((e) => ({ value: e.code, label: e.name === e.code ? e.code : `${e.code} — ${e.name}` }))}
      initialEntity={initial}
    />
  );
}

export function AgendaWorkspace({
  entities,
  initialEntity,
}: {
  entities: { value: string; label: string }[];
  initialEntity: string;
}) {
  const { t } = useTranslation();
  const { api, me } = useSession();
  const canWrite = usePermission("agenda", "write");
  const navigate = useNavigate();
  const [filters, setFilters] = useState<AgendaFilters>(() => defaultFilters(initialEntity));
  const [tasks, setTasks] = useState<Task[]>([]);
  const [total, setTotal] = useState(0);
  const [nextPage, setNextPage] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<unknown>();
  const [selection, setSelection] = useState<Selection>(emptySelection);
  const [busy, setBusy] = useState(false);
  const [refused, setRefused] = useState<{ taskId: string; reason: string }[]>([]);
  const [reloadTick, setReloadTick] = useState(0);
  const bar = useRef<BulkBarHandle>(null);
  // On a phone the secondary filters fold away so the tasks come first; a desk shows them all.
  const wide = useMediaQuery("(min-width: 62em)", true, { getInitialValueInEffect: false });
  const [moreFilters, setMoreFilters] = useState<boolean | null>(null);
  const showMore = moreFilters ?? wide;

  useEffect(() => {
    const controller = new AbortController();
    setLoading(true);
    setError(undefined);
    api.agenda(toQuery(filters), controller.signal).then(
      (page) => {
        if (controller.signal.aborted) return;
        setTasks(page.items);
        setTotal(page.total);
        setNextPage(page.next_page_token);
        setSelection((s) =>
          retainVisible(
            s,
            page.items.map((task) => task.task_id),
          ),
        );
        setLoading(false);
      },
      (failure: unknown) => {
        if (controller.signal.aborted) return;
        setError(failure);
        setLoading(false);
      },
    );
    return () => controller.abort();
  }, [api, filters, reloadTick]);

  async function loadMore() {
    if (!nextPage) return;
    try {
      const page = await api.agenda(toQuery(filters, nextPage));
      setTasks((known) => [...known, ...page.items]);
      setNextPage(page.next_page_token);
    } catch (failure) {
      setError(failure);
    }
  }

  const selected = useMemo(() => tasks.filter((task) => selection.ids.has(task.task_id)), [tasks, selection]);

  async function runBulk(action: BulkAction, options: { postpone_to?: string; collector?: string; comment?: string }) {
    if (selected.length === 0) return;
    setBusy(true);
    setError(undefined);
    try {
      const answer = await api.bulk({ action, task_ids: selected.map((task) => task.task_id), ...options });
      const outcome = applyBulkResults(answer.results);
      setRefused(outcome.refused);
      setSelection(outcome.selection);
      notifications.show({
        color: outcome.refused.length ? "orange" : "teal",
        message: t("agenda.bulk.done", {
          action: t(`agenda.bulk.${action}`),
          updated: outcome.updated.length,
          refused: outcome.refused.length,
        }),
      });
      setReloadTick((n) => n + 1);
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  }

  function set<K extends keyof AgendaFilters>(key: K, value: AgendaFilters[K]) {
    setFilters((f) => ({ ...f, [key]: value }));
  }

  const entityChoices =
    me?.entities === "all" ? [{ value: "", label: t("agenda.filters.allEntities") }, ...entities] : entities;

  return (
    <Stack gap="md">
      <Group justify="space-between" align="baseline">
        <Title order={2}>{t("agenda.title")}</Title>
        <Text size="sm" c="dimmed" aria-live="polite">
          {loading ? t("common.loading") : t("agenda.count", { count: total })}
        </Text>
      </Group>
      <form aria-label={t("agenda.filters.label")} onSubmit={(e) => e.preventDefault()}>
        <SimpleGrid cols={{ base: 1, xs: 2, md: 4, lg: 6 }} spacing="sm">
          <NativeSelect
            label={t("agenda.filters.entity")}
            value={filters.entity}
            data={entityChoices}
            onChange={(e) => set("entity", e.currentTarget.value)}
          />
          <NativeSelect
            label={t("agenda.filters.status")}
            value={filters.status}
            data={["", "open", "scheduled", "sent", "done", "cancelled"].map((s) => ({
              value: s,
              label: s ? t(`taskStatus.${s}`) : t("common.any"),
            }))}
            onChange={(e) => set("status", e.currentTarget.value as AgendaFilters["status"])}
          />
          <NativeSelect
            label={t("agenda.filters.channel")}
            value={filters.channel}
            data={CHANNELS.map((c) => ({
              value: c,
              label: c ? t(`channel.${c}`, { defaultValue: c }) : t("common.any"),
            }))}
            onChange={(e) => set("channel", e.currentTarget.value)}
          />
          <NativeSelect
            label={t("agenda.filters.automatic")}
            value={filters.automatic}
            data={[
              { value: "", label: t("common.any") },
              { value: "true", label: t("agenda.filters.automaticOnly") },
              { value: "false", label: t("agenda.filters.manualOnly") },
            ]}
            onChange={(e) => set("automatic", e.currentTarget.value as AgendaFilters["automatic"])}
          />
          <NativeSelect
            label={t("agenda.filters.sort")}
            value={filters.sort}
            data={(["days_overdue", "amount", "due_on"] as const).map((s) => ({
              value: s,
              label: t(`agenda.sort.${s}`),
            }))}
            onChange={(e) => set("sort", e.currentTarget.value as AgendaFilters["sort"])}
          />
          <Group align="end" gap="xs">
            <Button
              variant="subtle"
              aria-expanded={showMore}
              aria-controls="agenda-more-filters"
              onClick={() => setMoreFilters(!showMore)}
            >
              {showMore ? t("agenda.filters.fewer") : t("agenda.filters.more")}
            </Button>
            <Button variant="default" onClick={() => setFilters(defaultFilters(initialEntity))}>
              {t("agenda.filters.reset")}
            </Button>
          </Group>
        </SimpleGrid>
        <Collapse expanded={showMore} id="agenda-more-filters">
          <SimpleGrid cols={{ base: 1, xs: 2, md: 4, lg: 6 }} spacing="sm" mt="sm">
            <TextInput
              label={t("agenda.filters.collector")}
              value={filters.collector}
              disabled={Boolean(me?.portfolio)}
              placeholder={me?.portfolio ?? undefined}
              onChange={(e) => set("collector", e.currentTarget.value)}
            />
            <TextInput
              label={t("agenda.filters.customer")}
              description={t("agenda.filters.customerHint")}
              value={filters.customer_id}
              onChange={(e) => set("customer_id", e.currentTarget.value)}
            />
            <TextInput
              label={t("agenda.filters.minAmount")}
              inputMode="decimal"
              value={filters.min_amount}
              error={invalidAmount(filters.min_amount) ? t("agenda.filters.amountInvalid") : undefined}
              onChange={(e) => set("min_amount", e.currentTarget.value)}
            />
            <TextInput
              label={t("agenda.filters.maxAmount")}
              inputMode="decimal"
              value={filters.max_amount}
              error={invalidAmount(filters.max_amount) ? t("agenda.filters.amountInvalid") : undefined}
              onChange={(e) => set("max_amount", e.currentTarget.value)}
            />
            <TextInput
              type="date"
              label={t("agenda.filters.dueFrom")}
              value={filters.due_from}
              onChange={(e) => set("due_from", e.currentTarget.value)}
            />
            <TextInput
              type="date"
              label={t("agenda.filters.dueTo")}
              value={filters.due_to}
              onChange={(e) => set("due_to", e.currentTarget.value)}
            />
          </SimpleGrid>
        </Collapse>
      </form>

      <ProblemAlert error={error} />

      {canWrite && (
        <BulkBar
          ref={bar}
          selected={selected}
          busy={busy}
          canWrite={canWrite}
          onAction={(action, options) => void runBulk(action, options)}
          onClear={() => setSelection(emptySelection)}
        />
      )}

      {refused.length > 0 && (
        <Alert
          color="orange"
          title={t("agenda.bulk.refusedTitle", { count: refused.length })}
          withCloseButton
          onClose={() => setRefused([])}
        >
          <List size="sm">
            {refused.map((r) => (
              <List.Item key={r.taskId}>
                {r.taskId}: {r.reason}
              </List.Item>
            ))}
          </List>
        </Alert>
      )}

      <Text size="xs" c="dimmed" id="agenda-keys">
        {t("agenda.keys")}
      </Text>

      {!loading && tasks.length === 0 && !error ? (
        <Text c="dimmed">{t("agenda.empty")}</Text>
      ) : (
        <AgendaTable
          tasks={tasks}
          selection={selection}
          onSelectionChange={setSelection}
          onOpen={(task) => navigate(customerPath(task))}
          onShortcut={(action) => bar.current?.trigger(action)}
        />
      )}
      {nextPage && (
        <Button variant="default" onClick={() => void loadMore()}>
          {t("agenda.more", { shown: tasks.length, total })}
        </Button>
      )}
    </Stack>
  );
}
