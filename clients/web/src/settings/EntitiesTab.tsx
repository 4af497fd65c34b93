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
import { emptyPenaltyForm, penaltyRequest, type PenaltyForm, type PenaltyInvalid, type Tristate } from "./forms";
import type { PenaltySettingsSet } from "./types";

/** The entities of the ledger (read-only: they come from the entities file) and their penalty settings. */
export function EntitiesTab() {
  const { t } = useTranslation();
  const { api } = useSession();
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
      {mayWritePenalties && entities.data && entities.data.items.length > 0 && (
        <PenaltySettingsForm entities={entities.data.items} />
      )}
    </Stack>
  );
}

function PenaltySettingsForm({ entities }: { entities: Entity[] }) {
  const { t, i18n } = useTranslation();
  const { client } = useSession();
  const routes = useMemo(() => settingsEndpoints(client), [client]);
  const [entity, setEntity] = useState(entities[0]!.code);
  const [form, setForm] = useState<PenaltyForm>(() => emptyPenaltyForm(entities[0]!.currency));
  const [invalid, setInvalid] = useState<PenaltyInvalid | null>(null);
  const [saved, setSaved] = useState<PenaltySettingsSet | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();

  function set<K extends keyof PenaltyForm>(key: K, value: PenaltyForm[K]) {
    setForm((f) => ({ ...f, [key]: value }));
    setInvalid(null);
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
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
      data={[
        { value: "", label: t("settings.penalties.default") },
        { value: "true", label: t("settings.penalties.yes") },
        { value: "false", label: t("settings.penalties.no") },
      ]}
      onChange={(e) => set(key, e.currentTarget.value as Tristate)}
    />
  );
  const terms = saved?.terms;
  return (
    <Paper withBorder p="sm" component="form" onSubmit={submit} aria-labelledby="penalty-title" noValidate>
      <Title order={2} size="h5" id="penalty-title" mb="xs">
        {t("settings.penalties.title")}
      </Title>
      <Stack gap="sm">
        <Text size="sm" c="dimmed">
          {t("settings.penalties.hint")}
        </Text>
        <ProblemAlert error={error} />
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
          {choice("issueItems")}
          {choice("exemptInterest")}
          {choice("exemptCompensation")}
          <TextInput
            label={t("settings.penalties.minimumAmount")}
            description={t("settings.penalties.minimumHint")}
            inputMode="decimal"
            value={form.minimumAmount}
            error={invalid === "minimumAmount" ? t("settings.penalties.invalid.minimumAmount") : undefined}
            onChange={(e) => set("minimumAmount", e.currentTarget.value)}
          />
          <TextInput
            label={t("settings.penalties.minimumCurrency")}
            maxLength={3}
            value={form.minimumCurrency}
            error={invalid === "minimumCurrency" ? t("settings.penalties.invalid.minimumCurrency") : undefined}
            onChange={(e) => set("minimumCurrency", e.currentTarget.value.toUpperCase())}
          />
        </SimpleGrid>
        {terms && (
          <Alert color="teal" variant="light" title={t("settings.penalties.terms", { entity: saved.entity })}>
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
        <Group justify="flex-end">
          <Button type="submit" loading={busy}>
            {t("settings.penalties.save", { entity })}
          </Button>
        </Group>
      </Stack>
    </Paper>
  );
}
