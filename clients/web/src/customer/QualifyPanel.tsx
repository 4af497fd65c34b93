import { Button, Checkbox, Group, NativeSelect, Paper, SimpleGrid, Text, TextInput, Title } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { useEffect, useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import type { OpenItem } from "../api/types";
import { useSession } from "../auth/session";
import { ProblemAlert } from "../components/ProblemAlert";
import { settingsEndpoints } from "../api/endpoints";
import { emptyForm, qualificationRequest, statusChoices, STATUSES, type QualifyForm } from "./qualify";

interface Props {
  entity: string;
  account: string;
  selected: readonly OpenItem[];
  onQualified(): void;
}

/** Put the selected items in a status (dispute, promise to pay...) with a comment, an owner and a date. */
export function QualifyPanel({ entity, account, selected, onQualified }: Props) {
  const { t, i18n } = useTranslation();
  const { api, client } = useSession();
  const [form, setForm] = useState<QualifyForm>(emptyForm);
  // The organisation's own statuses; the shipped ones until they have come (or when they cannot be read).
  const [choices, setChoices] = useState<{ code: string; labels: Record<string, string> }[]>(() =>
    STATUSES.map((code) => ({ code, labels: {} as Record<string, string> })),
  );
  useEffect(() => {
    const controller = new AbortController();
    settingsEndpoints(client)
      .statuses(controller.signal)
      .then((catalogue) => setChoices(statusChoices(catalogue.statuses)))
      .catch(() => undefined);
    return () => controller.abort();
  }, [client]);
  const [invalid, setInvalid] = useState<string | null>(null);
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);

  function set<K extends keyof QualifyForm>(key: K, value: QualifyForm[K]) {
    setForm((f) => ({ ...f, [key]: value }));
    setInvalid(null);
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    const request = qualificationRequest(form, selected);
    if ("invalid" in request) {
      setInvalid(request.invalid);
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      const answer = await api.qualify(entity, account, request);
      notifications.show({
        color: "teal",
        message: t("qualify.done", { count: answer.statuses.length, status: t(`itemStatus.${form.status}`) }),
      });
      setForm(emptyForm);
      onQualified();
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  }

  const promise = form.status === "promise_to_pay";
  return (
    <Paper withBorder p="sm" component="form" onSubmit={submit} aria-labelledby="qualify-title">
      <Group justify="space-between" mb="xs">
        <Title order={3} size="h5" id="qualify-title">
          {t("qualify.title")}
        </Title>
        <Text size="sm" aria-live="polite">
          {t("qualify.selected", { count: selected.length })}
        </Text>
      </Group>
      <ProblemAlert error={error} />
      <SimpleGrid cols={{ base: 1, xs: 2, md: 4 }} spacing="sm">
        <NativeSelect
          label={t("qualify.status")}
          value={form.status}
          data={choices.map((s) => ({
            value: s.code,
            label: s.labels[i18n.language] ?? t(`itemStatus.${s.code}`, { defaultValue: s.labels.en ?? s.code }),
          }))}
          onChange={(e) => set("status", e.currentTarget.value)}
        />
        <TextInput
          type="date"
          label={t("qualify.on")}
          value={form.on}
          onChange={(e) => set("on", e.currentTarget.value)}
        />
        <TextInput
          label={t("qualify.owner")}
          value={form.owner}
          onChange={(e) => set("owner", e.currentTarget.value)}
        />
        <TextInput
          label={t("qualify.comment")}
          value={form.comment}
          maxLength={2000}
          onChange={(e) => set("comment", e.currentTarget.value)}
        />
        {promise && (
          <>
            <TextInput
              label={t("qualify.promisedAmount")}
              inputMode="decimal"
              required
              value={form.promisedAmount}
              error={invalid === "promisedAmount" ? t("agenda.filters.amountInvalid") : undefined}
              onChange={(e) => set("promisedAmount", e.currentTarget.value)}
            />
            <TextInput
              type="date"
              label={t("qualify.promisedOn")}
              required
              value={form.promisedOn}
              error={invalid === "promisedOn" ? t("qualify.required") : undefined}
              onChange={(e) => set("promisedOn", e.currentTarget.value)}
            />
          </>
        )}
      </SimpleGrid>
      {invalid === "currency" && (
        <Text c="red" size="sm" mt="xs" role="alert">
          {t("qualify.oneCurrency")}
        </Text>
      )}
      {invalid === "items" && (
        <Text c="red" size="sm" mt="xs" role="alert">
          {t("qualify.noItems")}
        </Text>
      )}
      <Group mt="sm" justify="space-between">
        <Checkbox
          label={t("qualify.sendConfirmation")}
          checked={form.sendConfirmation}
          onChange={(e) => set("sendConfirmation", e.currentTarget.checked)}
        />
        <Button type="submit" loading={busy} disabled={selected.length === 0}>
          {t("qualify.submit")}
        </Button>
      </Group>
    </Paper>
  );
}
