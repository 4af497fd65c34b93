import {
  Alert,
  Button,
  Group,
  List,
  Loader,
  NativeSelect,
  Paper,
  SimpleGrid,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
} from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { useMemo, useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import { settingsEndpoints } from "../api/endpoints";
import type { Entity } from "../api/types";
import { usePermission, useSession } from "../auth/session";
import { ProblemAlert } from "../components/ProblemAlert";
import { useLoad } from "../components/useLoad";
import { formatMoney } from "../format/format";
import {
  emptyPenaltyForm,
  penaltyForm,
  penaltyRequest,
  type PenaltyForm,
  type PenaltyInvalid,
  type Tristate,
} from "./forms";
import type { PenaltySettingsSet } from "./types";

/** The entities of the ledger (read-only: they come from the entities file) and their penalty settings. */
export function EntitiesTab() {
  const { t } = useTranslation();
  const { api } = useSession();
  const mayReadPenalties = usePermission("penalties", "read");
  const mayWritePenalties = usePermission("penalties", "write");
  const entities = useLoad(() => api.entities(), [api]);
  return (
    <Stack gap="md">
      <ProblemAlert error={entities.error} />
      {entities.loading && !entities.data && <Loader aria-label={t("common.loading")} />}
      {entities.data && entities.data.items.length === 0 && <Text c="dimmed">{t("settings.entities.none")}</Text>}
      {entities.data && entities.data.items.length > 0 && (
        <Table.ScrollContainer minWidth={560}>
          <Table aria-label={t("settings.entities.list")}>
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">{t("settings.entities.code")}</Table.Th>
                <Table.Th scope="col">{t("settings.entities.name")}</Table.Th>
                <Table.Th scope="col">{t("settings.entities.country")}</Table.Th>
                <Table.Th scope="col">{t("settings.entities.currency")}</Table.Th>
                <Table.Th scope="col">{t("settings.entities.timeZone")}</Table.Th>
                <Table.Th scope="col">{t("settings.entities.groupCurrency")}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {entities.data.items.map((e) => (
                <Table.Tr key={e.code}>
                  <Table.Td ff="monospace">{e.code}</Table.Td>
                  <Table.Td>{e.name}</Table.Td>
                  <Table.Td>{e.country}</Table.Td>
                  <Table.Td>{e.currency}</Table.Td>
                  <Table.Td>{e.time_zone}</Table.Td>
                  <Table.Td>{e.group_currency ?? "—"}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      {mayReadPenalties && entities.data && entities.data.items.length > 0 && (
        <PenaltySettingsForm entities={entities.data.items} mayWrite={mayWritePenalties} />
      )}
    </Stack>
  );
}

function PenaltySettingsForm({ entities, mayWrite }: { entities: Entity[]; mayWrite: boolean }) {
  const { t, i18n } = useTranslation();
  const { client } = useSession();
  const routes = useMemo(() => settingsEndpoints(client), [client]);
  const [entity, setEntity] = useState(entities[0]!.code);
  const [form, setForm] = useState<PenaltyForm>(() => emptyPenaltyForm(entities[0]!.currency));
  const [invalid, setInvalid] = useState<PenaltyInvalid | null>(null);
  const [saved, setSaved] = useState<PenaltySettingsSet | null>(null);
  // What is stored now: the form starts from it, and its terms show until a save answers newer ones.
  const current = useLoad(
    async (signal) => {
      const answer = await routes.entityPenalties(entity, signal);
      const currency = entities.find((x) => x.code === entity)?.currency ?? "";
      setForm(penaltyForm(answer.settings, currency));
      return answer;
    },
    [routes, entity],
  );
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();

  function set<K extends keyof PenaltyForm>(key: K, value: PenaltyForm[K]) {
    setForm((f) => ({ ...f, [key]: value }));
    setInvalid(null);
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!mayWrite) return;
    const built = penaltyRequest(form);
    if ("invalid" in built) {
      setInvalid(built.invalid);
      return;
    }
    setBusy(true);
    setError(undefined);
    setSaved(null);
    try {
      const answer = await routes.setEntityPenalties(entity, built.body);
      setSaved(answer);
      notifications.show({ color: "teal", message: t("settings.penalties.saved", { entity }) });
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  }

  const choice = (key: "issueItems" | "exemptInterest" | "exemptCompensation") => (
    <NativeSelect
      label={t(`settings.penalties.${key}`)}
      value={form[key]}
      disabled={!mayWrite}
      data={[
        { value: "", label: t("settings.penalties.default") },
        { value: "true", label: t("settings.penalties.yes") },
        { value: "false", label: t("settings.penalties.no") },
      ]}
      onChange={(e) => set(key, e.currentTarget.value as Tristate)}
    />
  );
  // The fields show once the stored settings are read, so nothing typed is overwritten by them.
  const ready = Boolean(current.data) && !current.loading;
  const shown = saved ?? current.data;
  const terms = shown?.terms;
  return (
    <Paper
      withBorder
      p="sm"
      component={mayWrite ? "form" : "section"}
      onSubmit={submit}
      aria-labelledby="penalty-title"
      noValidate
    >
      <Title order={2} size="h5" id="penalty-title" mb="xs">
        {t("settings.penalties.title")}
      </Title>
      <Stack gap="sm">
        <Text size="sm" c="dimmed">
          {t("settings.penalties.hint")}
        </Text>
        <ProblemAlert error={current.error ?? error} />
        {!ready && !current.error && <Loader size="sm" aria-label={t("common.loading")} />}
        <SimpleGrid cols={{ base: 1, sm: 2, md: 3 }} spacing="sm">
          <NativeSelect
            label={t("settings.penalties.entity")}
            value={entity}
            data={entities.map((e) => ({ value: e.code, label: `${e.code} · ${e.name}` }))}
            onChange={(e) => {
              const code = e.currentTarget.value;
              setEntity(code);
              setSaved(null);
              set("minimumCurrency", entities.find((x) => x.code === code)?.currency ?? "");
            }}
          />
          {ready && choice("issueItems")}
          {ready && choice("exemptInterest")}
          {ready && choice("exemptCompensation")}
          {ready && (
            <TextInput
              label={t("settings.penalties.minimumAmount")}
              description={t("settings.penalties.minimumHint")}
              inputMode="decimal"
              readOnly={!mayWrite}
              value={form.minimumAmount}
              error={invalid === "minimumAmount" ? t("settings.penalties.invalid.minimumAmount") : undefined}
              onChange={(e) => set("minimumAmount", e.currentTarget.value)}
            />
          )}
          {ready && (
            <TextInput
              label={t("settings.penalties.minimumCurrency")}
              maxLength={3}
              readOnly={!mayWrite}
              value={form.minimumCurrency}
              error={invalid === "minimumCurrency" ? t("settings.penalties.invalid.minimumCurrency") : undefined}
              onChange={(e) => set("minimumCurrency", e.currentTarget.value.toUpperCase())}
            />
          )}
        </SimpleGrid>
        {terms && (
          <Alert color="teal" variant="light" title={t("settings.penalties.terms", { entity: shown.entity })}>
            <List size="sm">
              <List.Item>
                {t("settings.penalties.law")}: {terms.law ?? "—"}
              </List.Item>
              <List.Item>
                {t("settings.penalties.issueItems")}:{" "}
                {terms.issue_items ? t("settings.penalties.yes") : t("settings.penalties.no")}
              </List.Item>
              <List.Item>
                {t("settings.penalties.chargeInterest")}:{" "}
                {terms.charge_interest ? t("settings.penalties.yes") : t("settings.penalties.no")}
              </List.Item>
              <List.Item>
                {t("settings.penalties.chargeCompensation")}:{" "}
                {terms.charge_compensation ? t("settings.penalties.yes") : t("settings.penalties.no")}
              </List.Item>
              {terms.minimum_interest && (
                <List.Item>
                  {t("settings.penalties.minimumAmount")}:{" "}
                  {formatMoney(terms.minimum_interest.amount, terms.minimum_interest.currency, i18n.language)}
                </List.Item>
              )}
            </List>
          </Alert>
        )}
        {mayWrite && (
          <Group justify="flex-end">
            <Button type="submit" loading={busy}>
              {t("settings.penalties.save", { entity })}
            </Button>
          </Group>
        )}
      </Stack>
    </Paper>
  );
}
