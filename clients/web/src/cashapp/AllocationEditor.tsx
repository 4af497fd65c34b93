import { Button, Checkbox, Group, Paper, Stack, Table, Text, TextInput, Title, VisuallyHidden } from "@mantine/core";
import { useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import type { OpenItem } from "../api/types";
import { useSession } from "../auth/session";
import { ProblemAlert } from "../components/ProblemAlert";
import { compareAmounts, formatDate, formatMoney } from "../format/format";
import { checkSplit, defaultAmount, splitCustomerId, type ConfirmBody, type SplitLine } from "./split";
import type { ReviewEntry } from "./types";

interface Props {
  entry: ReviewEntry;
  busy: boolean;
  onConfirm(body: ConfirmBody): void;
  onCancel(): void;
}

function linesOf(entry: ReviewEntry): SplitLine[] {
  return entry.proposal.allocations.map((a) => ({
    item_id: a.item_id,
    label: a.item_number || a.item_id,
    currency: a.amount.currency,
    open: null,
    amount: a.amount.amount,
    write_off: a.write_off?.amount ?? "",
  }));
}

/**
 * Apply a bank line by hand: to the proposed customer or another one, over items picked from that customer's open
 * items, each with its own amount (a split) and an optional write-off.
 */
export function AllocationEditor({ entry, busy, onConfirm, onCancel }: Props) {
  const { t, i18n } = useTranslation();
  const { api } = useSession();
  const locale = i18n.language;
  const payment = entry.transaction.amount;
  const [customer, setCustomer] = useState(entry.proposal.customer_id ?? "");
  const [items, setItems] = useState<OpenItem[] | null>(null);
  const [loadError, setLoadError] = useState<unknown>();
  const [lines, setLines] = useState<SplitLine[]>(() => linesOf(entry));
  const [learn, setLearn] = useState(true);
  const [tried, setTried] = useState(false);
  const check = checkSplit(customer, lines, payment, learn);

  async function loadItems(event?: FormEvent) {
    event?.preventDefault();
    const id = splitCustomerId(customer.trim());
    setLoadError(undefined);
    if (!id) {
      setItems(null);
      setLoadError(new Error(t("cashapp.editor.customerFormat")));
      return;
    }
    try {
      const account = await api.account(id.entity, id.account);
      setItems(account.items);
      // A line proposed without its number gets it from the account.
      setLines((now) =>
        now.map((l) => {
          const item = account.items.find((i) => i.item_id === l.item_id);
          return item ? { ...l, label: item.number, open: item.open_amount.amount } : l;
        }),
      );
    } catch (failure) {
      setItems(null);
      setLoadError(failure);
    }
  }

  function toggle(item: OpenItem) {
    setLines((now) =>
      now.some((l) => l.item_id === item.item_id)
        ? now.filter((l) => l.item_id !== item.item_id)
        : [
            ...now,
            {
              item_id: item.item_id,
              label: item.number,
              currency: item.open_amount.currency,
              open: item.open_amount.amount,
              amount: defaultAmount(item.open_amount, now, payment),
              write_off: "",
            },
          ],
    );
  }

  function setLine(index: number, change: Partial<SplitLine>) {
    setLines((now) => now.map((l, i) => (i === index ? { ...l, ...change } : l)));
  }

  function submit() {
    setTried(true);
    if (check.ok) onConfirm(check.body);
  }

  const lineProblems = check.ok ? {} : check.lines;
  const problem = check.ok ? null : check.problem;
  return (
    <Paper withBorder p="sm" aria-label={t("cashapp.editor.title")}>
      <Stack gap="sm">
        <Title order={4} size="h5">
          {t("cashapp.editor.title")}
        </Title>
        <Group align="flex-end" component="form" onSubmit={loadItems}>
          <TextInput
            label={t("cashapp.editor.customer")}
            description={t("cashapp.editor.customerHelp")}
            value={customer}
            onChange={(e) => {
              setCustomer(e.currentTarget.value);
              setItems(null);
            }}
          />
          <Button type="submit" variant="light">
            {t("cashapp.editor.loadItems")}
          </Button>
        </Group>
        <ProblemAlert error={loadError} />
        {items && (
          <Table.ScrollContainer minWidth={480}>
            <Table aria-label={t("cashapp.editor.openItems")}>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th scope="col">{t("cashapp.editor.pick")}</Table.Th>
                  <Table.Th scope="col">{t("cashapp.editor.item")}</Table.Th>
                  <Table.Th scope="col">{t("cashapp.editor.due")}</Table.Th>
                  <Table.Th scope="col">{t("cashapp.editor.open")}</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {items.length === 0 && (
                  <Table.Tr>
                    <Table.Td colSpan={4}>{t("cashapp.editor.noItems")}</Table.Td>
                  </Table.Tr>
                )}
                {items.map((item) => (
                  <Table.Tr key={item.item_id}>
                    <Table.Td>
                      <Checkbox
                        aria-label={t("cashapp.editor.pickItem", { item: item.number })}
                        checked={lines.some((l) => l.item_id === item.item_id)}
                        onChange={() => toggle(item)}
                      />
                    </Table.Td>
                    <Table.Td>{item.number}</Table.Td>
                    <Table.Td>{formatDate(item.due_date, locale)}</Table.Td>
                    <Table.Td>{formatMoney(item.open_amount.amount, item.open_amount.currency, locale)}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
        {lines.length > 0 && (
          <Table.ScrollContainer minWidth={360}>
            <Table aria-label={t("cashapp.editor.split")}>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th scope="col">{t("cashapp.editor.item")}</Table.Th>
                  <Table.Th scope="col">{t("cashapp.editor.amount")}</Table.Th>
                  <Table.Th scope="col">{t("cashapp.editor.writeOff")}</Table.Th>
                  <Table.Th scope="col">
                    <VisuallyHidden>{t("cashapp.editor.remove")}</VisuallyHidden>
                  </Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {lines.map((line, index) => {
                  const wrong = tried ? lineProblems[index] : undefined;
                  return (
                    <Table.Tr key={line.item_id + index}>
                      <Table.Td>
                        {line.label}
                        {line.open && (
                          <Text size="xs" c="dimmed">
                            {t("cashapp.editor.owes", { amount: formatMoney(line.open, line.currency, locale) })}
                          </Text>
                        )}
                      </Table.Td>
                      <Table.Td>
                        <TextInput
                          aria-label={t("cashapp.editor.amountOf", { item: line.label, currency: line.currency })}
                          inputMode="decimal"
                          rightSection={<Text size="xs">{line.currency}</Text>}
                          rightSectionWidth={44}
                          value={line.amount}
                          error={wrong && wrong !== "writeOff" ? t(`cashapp.editor.problem.${wrong}`) : undefined}
                          onChange={(e) => setLine(index, { amount: e.currentTarget.value })}
                        />
                      </Table.Td>
                      <Table.Td>
                        <TextInput
                          aria-label={t("cashapp.editor.writeOffOf", { item: line.label })}
                          inputMode="decimal"
                          value={line.write_off}
                          error={wrong === "writeOff" ? t("cashapp.editor.problem.writeOff") : undefined}
                          onChange={(e) => setLine(index, { write_off: e.currentTarget.value })}
                        />
                      </Table.Td>
                      <Table.Td>
                        <Button
                          variant="subtle"
                          size="xs"
                          color="red"
                          aria-label={t("cashapp.editor.removeItem", { item: line.label })}
                          onClick={() => setLines((now) => now.filter((_, i) => i !== index))}
                        >
                          ✕
                        </Button>
                      </Table.Td>
                    </Table.Tr>
                  );
                })}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
        <Text size="sm" aria-live="polite">
          {check.allocated
            ? t("cashapp.editor.allocated", {
                allocated: formatMoney(check.allocated.amount, check.allocated.currency, locale),
                payment: formatMoney(payment.amount, payment.currency, locale),
              })
            : t("cashapp.editor.nothingAllocated", { payment: formatMoney(payment.amount, payment.currency, locale) })}
          {check.ok && check.left && compareAmounts(check.left.amount, "0") !== 0
            ? ` · ${t("cashapp.editor.left", { amount: formatMoney(check.left.amount, check.left.currency, locale) })}`
            : ""}
        </Text>
        {tried && problem && (
          <Text c="red" size="sm" role="alert">
            {t(`cashapp.editor.problem.${problem}`)}
          </Text>
        )}
        <Group justify="space-between">
          <Checkbox
            label={t("cashapp.editor.learn")}
            checked={learn}
            onChange={(e) => setLearn(e.currentTarget.checked)}
          />
          <Group gap="xs">
            <Button variant="default" onClick={onCancel}>
              {t("cashapp.editor.cancel")}
            </Button>
            <Button onClick={submit} loading={busy}>
              {t("cashapp.editor.apply")}
            </Button>
          </Group>
        </Group>
      </Stack>
    </Paper>
  );
}
