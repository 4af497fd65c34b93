import {
  Badge,
  Button,
  Card,
  Checkbox,
  Group,
  Loader,
  NativeSelect,
  Paper,
  SimpleGrid,
  Stack,
  Switch,
  Table,
  Text,
  TextInput,
  Title,
} from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import type { OpenItem } from "../api/types";
import { usePermission, useSession } from "../auth/session";
import { ProblemAlert } from "../components/ProblemAlert";
import { useLoad } from "../components/useLoad";
import { formatDate, formatMoney, isoDay } from "../format/format";
import { emptyPlanForm, plannable, planRequest, type PlanForm, type PlanInvalid } from "./plans";
import type { PaymentPlan, PlanState } from "./types";

const STATE_COLOUR: Record<PlanState, string> = {
  active: "teal",
  completed: "gray",
  broken: "red",
  cancelled: "gray",
  unknown: "gray",
};

interface Props {
  entity: string;
  account: string;
  items: readonly OpenItem[];
  /** The plan changed the account's items (instalments replace them): the page reloads them. */
  onChanged(): void;
}

/** The customer's payment plans: list, agree a new one, cancel an active one. */
export function PlansPanel({ entity, account, items, onChanged }: Props) {
  const { t } = useTranslation();
  const { api } = useSession();
  const mayWrite = usePermission("payment_plans", "write");
  const [includeEnded, setIncludeEnded] = useState(false);
  const plans = useLoad(() => api.paymentPlans(entity, account, includeEnded), [api, entity, account, includeEnded]);
  const changed = () => {
    plans.reload();
    onChanged();
  };
  return (
    <Stack gap="sm">
      <Group justify="space-between">
        <Title order={4} size="h5" id="plans-title">
          {t("accountPanels.plans")}
        </Title>
        <Switch
          label={t("accountPanels.includeEnded")}
          checked={includeEnded}
          onChange={(e) => setIncludeEnded(e.currentTarget.checked)}
        />
      </Group>
      <ProblemAlert error={plans.error} />
      {plans.loading && !plans.data && <Loader size="sm" aria-label={t("common.loading")} />}
      {plans.data && plans.data.plans.length === 0 && <Text c="dimmed">{t("accountPanels.noPlans")}</Text>}
      {plans.data?.plans.map((plan) => (
        <PlanCard
          key={plan.plan_id}
          plan={plan}
          entity={entity}
          account={account}
          mayCancel={mayWrite}
          onCancelled={changed}
        />
      ))}
      {mayWrite && <NewPlanForm entity={entity} account={account} items={items} onCreated={changed} />}
    </Stack>
  );
}

function PlanCard({
  plan,
  entity,
  account,
  mayCancel,
  onCancelled,
}: {
  plan: PaymentPlan;
  entity: string;
  account: string;
  mayCancel: boolean;
  onCancelled(): void;
}) {
  const { t, i18n } = useTranslation();
  const locale = i18n.language;
  const { api } = useSession();
  const [cancelling, setCancelling] = useState(false);
  const [reason, setReason] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const titleId = `plan-${plan.plan_id}`;

  async function cancel(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await api.cancelPlan(entity, account, plan.plan_id, reason.trim());
      notifications.show({ color: "teal", message: t("accountPanels.planCancelled") });
      setCancelling(false);
      onCancelled();
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  }

  return (
    <Card withBorder p="sm" component="article" aria-labelledby={titleId}>
      <Group justify="space-between" align="flex-start">
        <div>
          <Text fw={600} id={titleId}>
            {t("accountPanels.planOf", {
              total: formatMoney(plan.total.amount, plan.total.currency, locale),
              count: plan.instalments.length,
            })}
          </Text>
          <Text size="sm" c="dimmed">
            {t("accountPanels.planMade", { day: formatDate(plan.created_on, locale), by: plan.created_by })}
            {` · ${t("accountPanels.paid")}: ${formatMoney(plan.paid.amount, plan.paid.currency, locale)}`}
          </Text>
          {plan.comment && <Text size="sm">{plan.comment}</Text>}
        </div>
        <Group gap="xs">
          <Badge variant="light" color={STATE_COLOUR[plan.state] ?? "gray"}>
            {t(`accountPanels.planState.${plan.state}`)}
          </Badge>
          {mayCancel && plan.state === "active" && !cancelling && (
            <Button size="xs" variant="default" color="red" onClick={() => setCancelling(true)}>
              {t("accountPanels.cancelPlan")}
            </Button>
          )}
        </Group>
      </Group>
      <Table.ScrollContainer minWidth={420} mt="xs">
        <Table aria-label={t("accountPanels.instalments")}>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t("accountPanels.instalment")}</Table.Th>
              <Table.Th>{t("customer.due")}</Table.Th>
              <Table.Th className="amount">{t("customer.amount")}</Table.Th>
              <Table.Th className="amount">{t("customer.openAmount")}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {plan.instalments.map((i) => (
              <Table.Tr key={i.item_id}>
                <Table.Td>{i.number || i.sequence}</Table.Td>
                <Table.Td>{formatDate(i.due_date, locale)}</Table.Td>
                <Table.Td className="amount">{formatMoney(i.amount.amount, i.amount.currency, locale)}</Table.Td>
                <Table.Td className="amount">
                  {formatMoney(i.open_amount.amount, i.open_amount.currency, locale)}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      {cancelling && (
        <form onSubmit={cancel}>
          <Group align="end" mt="xs">
            <TextInput
              label={t("accountPanels.cancelReason")}
              value={reason}
              maxLength={500}
              onChange={(e) => setReason(e.currentTarget.value)}
              style={{ flex: 1 }}
              data-autofocus
            />
            <Button type="submit" color="red" loading={busy}>
              {t("accountPanels.confirmCancel")}
            </Button>
            <Button variant="default" onClick={() => setCancelling(false)}>
              {t("accountPanels.keepPlan")}
            </Button>
          </Group>
        </form>
      )}
      <ProblemAlert error={error} />
    </Card>
  );
}

function NewPlanForm({
  entity,
  account,
  items,
  onCreated,
}: {
  entity: string;
  account: string;
  items: readonly OpenItem[];
  onCreated(): void;
}) {
  const { t, i18n } = useTranslation();
  const locale = i18n.language;
  const { api } = useSession();
  const [form, setForm] = useState<PlanForm>(emptyPlanForm);
  const [invalid, setInvalid] = useState<PlanInvalid | null>(null);
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const choices = plannable(items);

  function set<K extends keyof PlanForm>(key: K, value: PlanForm[K]) {
    setForm((f) => ({ ...f, [key]: value }));
    setInvalid(null);
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    const built = planRequest(form, items, isoDay());
    if ("invalid" in built) {
      setInvalid(built.invalid);
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      const answer = await api.createPlan(entity, account, built.request);
      notifications.show({
        color: "teal",
        message: t("accountPanels.planCreated", { count: answer.plan.instalments.length }),
      });
      setForm(emptyPlanForm);
      onCreated();
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  }

  const fieldError = (field: PlanInvalid) => (invalid === field ? t(`accountPanels.invalid.${field}`) : undefined);
  return (
    <Paper withBorder p="sm" component="form" onSubmit={submit} aria-labelledby="new-plan-title" noValidate>
      <Title order={5} size="h6" id="new-plan-title" mb="xs">
        {t("accountPanels.newPlan")}
      </Title>
      <ProblemAlert error={error} />
      <Checkbox.Group
        label={t("accountPanels.coveredItems")}
        value={form.itemIds}
        onChange={(ids) => set("itemIds", ids)}
        error={fieldError("items") ?? fieldError("instalment") ?? fieldError("currency")}
      >
        <SimpleGrid cols={{ base: 1, sm: 2 }} spacing={4} mt={4}>
          {choices.map((item) => (
            <Checkbox
              key={item.item_id}
              value={item.item_id}
              label={`${item.number} · ${formatMoney(item.open_amount.amount, item.open_amount.currency, locale)} · ${formatDate(item.due_date, locale)}`}
            />
          ))}
        </SimpleGrid>
      </Checkbox.Group>
      <SimpleGrid cols={{ base: 1, xs: 2, md: 3 }} spacing="sm" mt="sm">
        <TextInput
          label={t("accountPanels.instalmentCount")}
          inputMode="numeric"
          required
          value={form.count}
          error={fieldError("count")}
          onChange={(e) => set("count", e.currentTarget.value)}
        />
        <TextInput
          type="date"
          label={t("accountPanels.firstDate")}
          required
          value={form.firstDate}
          error={fieldError("firstDate")}
          onChange={(e) => set("firstDate", e.currentTarget.value)}
        />
        <NativeSelect
          label={t("accountPanels.frequency")}
          value={form.frequency}
          data={(["monthly", "weekly"] as const).map((f) => ({
            value: f,
            label: t(`accountPanels.frequencyName.${f}`),
          }))}
          onChange={(e) => set("frequency", e.currentTarget.value as PlanForm["frequency"])}
        />
        <TextInput
          label={t("accountPanels.downPayment")}
          inputMode="decimal"
          value={form.downPayment}
          error={fieldError("downPayment")}
          onChange={(e) => set("downPayment", e.currentTarget.value)}
        />
        <TextInput
          type="date"
          label={t("accountPanels.downPaymentOn")}
          value={form.downPaymentOn}
          error={fieldError("downPaymentOn")}
          onChange={(e) => set("downPaymentOn", e.currentTarget.value)}
        />
        <TextInput
          label={t("accountPanels.comment")}
          value={form.comment}
          maxLength={2000}
          onChange={(e) => set("comment", e.currentTarget.value)}
        />
      </SimpleGrid>
      <Group justify="flex-end" mt="sm">
        <Button type="submit" loading={busy}>
          {t("accountPanels.createPlan")}
        </Button>
      </Group>
    </Paper>
  );
}
