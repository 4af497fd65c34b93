import {
  Alert,
  Badge,
  Button,
  Checkbox,
  Group,
  Loader,
  NativeSelect,
  Paper,
  SimpleGrid,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
  VisuallyHidden,
} from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { useMemo, useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import { settingsEndpoints } from "../api/endpoints";
import { ApiProblem } from "../api/problem";
import { usePermission, useSession } from "../auth/session";
import { ProblemAlert } from "../components/ProblemAlert";
import { useLoad } from "../components/useLoad";
import { formatDateTime } from "../format/format";
import { catalogueRequest, statusForm, statusRequest, type StatusForm, type StatusInvalid } from "./forms";
import { FOLLOW_UP_ACTIONS, RESOLUTION_OWNERS, type StatusDefinition } from "./types";

/** The item statuses collectors qualify items with, and what each does; replaced whole with the version read. */
export function StatusesTab() {
  const { t, i18n } = useTranslation();
  const { client } = useSession();
  const routes = useMemo(() => settingsEndpoints(client), [client]);
  const mayWrite = usePermission("statuses", "write");
  const catalogue = useLoad((signal) => routes.statuses(signal), [routes]);
  // The statuses as edited here, not saved yet; null while nothing was changed.
  const [draft, setDraft] = useState<StatusDefinition[] | null>(null);
  // The status being edited: its index, "new" for one being added, null for none.
  const [editing, setEditing] = useState<number | "new" | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [conflict, setConflict] = useState<ApiProblem | null>(null);
  const statuses = draft ?? catalogue.data?.statuses ?? [];

  function apply(status: StatusDefinition) {
    const next = [...statuses];
    if (editing === "new") next.push(status);
    else if (editing !== null) next[editing] = status;
    setDraft(next);
    setEditing(null);
  }

  function remove(index: number) {
    setDraft(statuses.filter((_, i) => i !== index));
    setEditing(null);
  }

  function reload() {
    setDraft(null);
    setEditing(null);
    setConflict(null);
    setError(undefined);
    catalogue.reload();
  }

  async function save() {
    if (!catalogue.data || !draft) return;
    setBusy(true);
    setError(undefined);
    setConflict(null);
    try {
      await routes.saveStatuses(catalogueRequest(catalogue.data.version, draft));
      notifications.show({ color: "teal", message: t("settings.statuses.saved") });
      setDraft(null);
      catalogue.reload();
    } catch (failure) {
      if (failure instanceof ApiProblem && failure.status === 409) setConflict(failure);
      else setError(failure);
    } finally {
      setBusy(false);
    }
  }

  const label = (s: StatusDefinition) => s.labels[i18n.language] ?? s.labels.en ?? Object.values(s.labels)[0] ?? s.code;
  const data = catalogue.data;
  return (
    <Stack gap="md">
      <ProblemAlert error={catalogue.error} />
      {catalogue.loading && !data && <Loader aria-label={t("common.loading")} />}
      {data && (
        <Text size="sm" c="dimmed">
          {data.version === 0
            ? t("settings.statuses.shipped")
            : t("settings.statuses.version", {
                version: data.version,
                by: data.updated_by ?? "—",
                at: data.updated_at ? formatDateTime(data.updated_at, i18n.language) : "—",
              })}
        </Text>
      )}
      {data && (
        <Table.ScrollContainer minWidth={720}>
          <Table aria-label={t("settings.statuses.list")} highlightOnHover>
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">{t("settings.statuses.code")}</Table.Th>
                <Table.Th scope="col">{t("settings.statuses.label")}</Table.Th>
                <Table.Th scope="col">{t("settings.statuses.excludes")}</Table.Th>
                <Table.Th scope="col">{t("settings.statuses.followUp")}</Table.Th>
                <Table.Th scope="col">{t("settings.statuses.owner")}</Table.Th>
                {mayWrite && (
                  <Table.Th scope="col">
                    <VisuallyHidden>{t("settings.actions")}</VisuallyHidden>
                  </Table.Th>
                )}
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {statuses.map((s, index) => (
                <Table.Tr key={s.code} aria-current={editing === index ? "true" : undefined}>
                  <Table.Td ff="monospace">
                    {s.code}{" "}
                    {s.built_in && (
                      <Badge size="xs" variant="light" color="gray">
                        {t("settings.statuses.builtIn")}
                      </Badge>
                    )}
                  </Table.Td>
                  <Table.Td>{label(s)}</Table.Td>
                  <Table.Td>
                    {s.excludes_from_scenario ? t("settings.penalties.yes") : t("settings.penalties.no")}
                  </Table.Td>
                  <Table.Td>
                    {s.follow_up
                      ? t("settings.statuses.followUpIn", {
                          action: t(`settings.statuses.actionNames.${s.follow_up.action}`, {
                            defaultValue: s.follow_up.action,
                          }),
                          count: s.follow_up.delay_days,
                        })
                      : t("settings.statuses.none")}
                  </Table.Td>
                  <Table.Td>
                    {s.resolution_owner
                      ? t(`settings.statuses.owners.${s.resolution_owner}`)
                      : t("settings.statuses.none")}
                  </Table.Td>
                  {mayWrite && (
                    <Table.Td>
                      <Group gap={4} wrap="nowrap">
                        <Button
                          size="xs"
                          variant="light"
                          aria-label={t("settings.statuses.edit", { code: s.code })}
                          onClick={() => setEditing(index)}
                        >
                          {t("settings.statuses.editShort")}
                        </Button>
                        {!s.built_in && (
                          <Button
                            size="xs"
                            variant="default"
                            color="red"
                            aria-label={t("settings.statuses.remove", { code: s.code })}
                            onClick={() => remove(index)}
                          >
                            {t("settings.statuses.removeShort")}
                          </Button>
                        )}
                      </Group>
                    </Table.Td>
                  )}
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      {mayWrite && data && editing !== null && (
        <StatusEditor
          key={editing === "new" ? "new" : statuses[editing]!.code}
          status={editing === "new" ? undefined : statuses[editing]}
          taken={statuses.filter((_, i) => i !== editing).map((s) => s.code)}
          onApply={apply}
          onCancel={() => setEditing(null)}
        />
      )}
      {conflict && (
        <Alert color="orange" variant="light" role="alert" title={t("settings.statuses.conflict")}>
          <Stack gap="xs">
            <Text size="sm">{conflict.detail}</Text>
            <Group>
              <Button size="xs" onClick={reload}>
                {t("settings.statuses.reload")}
              </Button>
            </Group>
          </Stack>
        </Alert>
      )}
      <ProblemAlert error={error} />
      {mayWrite && data && (
        <Group justify="space-between">
          <Button variant="light" onClick={() => setEditing("new")} disabled={editing !== null}>
            {t("settings.statuses.add")}
          </Button>
          <Group>
            {draft && (
              <Text size="sm" c="orange">
                {t("settings.statuses.unsaved")}
              </Text>
            )}
            {draft && (
              <Button variant="default" onClick={reload}>
                {t("settings.statuses.discard")}
              </Button>
            )}
            <Button onClick={() => void save()} loading={busy} disabled={!draft || editing !== null}>
              {t("settings.statuses.save")}
            </Button>
          </Group>
        </Group>
      )}
    </Stack>
  );
}

const LANGUAGE_NAMES: Record<string, string> = { en: "English", fr: "Français", cs: "Čeština", de: "Deutsch" };

function StatusEditor({
  status,
  taken,
  onApply,
  onCancel,
}: {
  status?: StatusDefinition;
  taken: string[];
  onApply(status: StatusDefinition): void;
  onCancel(): void;
}) {
  const { t } = useTranslation();
  const [form, setForm] = useState<StatusForm>(() => statusForm(status));
  const [invalid, setInvalid] = useState<StatusInvalid | null>(null);
  const titleId = "status-editor-title";

  function set<K extends keyof StatusForm>(key: K, value: StatusForm[K]) {
    setForm((f) => ({ ...f, [key]: value }));
    setInvalid(null);
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    const built = statusRequest(form, taken);
    if ("invalid" in built) setInvalid(built.invalid);
    else onApply(built.status);
  }

  return (
    <Paper withBorder p="sm" component="form" onSubmit={submit} aria-labelledby={titleId} noValidate>
      <Title order={2} size="h5" id={titleId} mb="xs">
        {status ? t("settings.statuses.editorEdit", { code: status.code }) : t("settings.statuses.editorNew")}
      </Title>
      <Stack gap="sm">
        <SimpleGrid cols={{ base: 1, sm: 2, md: 3 }} spacing="sm">
          <TextInput
            label={t("settings.statuses.code")}
            description={t("settings.statuses.codeHint")}
            required
            // Keyboard users land in the editor they opened: on the code of a new status, else on its first label.
            autoFocus={!status}
            disabled={Boolean(status)}
            value={form.code}
            maxLength={50}
            error={
              invalid === "code"
                ? t("settings.statuses.invalid.code")
                : invalid === "duplicate"
                  ? t("settings.statuses.invalid.duplicate")
                  : undefined
            }
            onChange={(e) => set("code", e.currentTarget.value)}
          />
          {Object.keys(form.labels).map((language, index) => (
            <TextInput
              key={language}
              label={t("settings.statuses.labelIn", { language: LANGUAGE_NAMES[language] ?? language })}
              autoFocus={Boolean(status) && index === 0}
              value={form.labels[language]}
              maxLength={200}
              // Said once, on the first language: every label field is concerned.
              error={invalid === "labels" && index === 0 ? t("settings.statuses.invalid.labels") : undefined}
              onChange={(e) => {
                const value = e.currentTarget.value;
                setForm((f) => ({ ...f, labels: { ...f.labels, [language]: value } }));
                setInvalid(null);
              }}
            />
          ))}
          <NativeSelect
            label={t("settings.statuses.followUp")}
            value={form.followUpAction}
            data={[
              { value: "", label: t("settings.statuses.none") },
              ...FOLLOW_UP_ACTIONS.map((a) => ({ value: a, label: t(`settings.statuses.actionNames.${a}`) })),
            ]}
            onChange={(e) => set("followUpAction", e.currentTarget.value)}
          />
          <TextInput
            label={t("settings.statuses.delayDays")}
            inputMode="numeric"
            disabled={!form.followUpAction}
            value={form.delayDays}
            error={invalid === "delayDays" ? t("settings.statuses.invalid.delayDays") : undefined}
            onChange={(e) => set("delayDays", e.currentTarget.value)}
          />
          <NativeSelect
            label={t("settings.statuses.owner")}
            value={form.owner}
            data={[
              { value: "", label: t("settings.statuses.none") },
              ...RESOLUTION_OWNERS.map((o) => ({ value: o, label: t(`settings.statuses.owners.${o}`) })),
            ]}
            onChange={(e) => set("owner", e.currentTarget.value as StatusForm["owner"])}
          />
          <TextInput
            label={t("settings.statuses.confirmation")}
            description={t("settings.statuses.confirmationHint")}
            value={form.confirmation}
            maxLength={100}
            onChange={(e) => set("confirmation", e.currentTarget.value)}
          />
        </SimpleGrid>
        <Group gap="lg">
          <Checkbox
            label={t("settings.statuses.excludes")}
            checked={form.excludes}
            onChange={(e) => set("excludes", e.currentTarget.checked)}
          />
          <Checkbox
            label={t("settings.statuses.requiresComment")}
            checked={form.requiresComment}
            onChange={(e) => set("requiresComment", e.currentTarget.checked)}
          />
          <Checkbox
            label={t("settings.statuses.isDispute")}
            checked={form.isDispute}
            onChange={(e) => set("isDispute", e.currentTarget.checked)}
          />
          <Checkbox
            label={t("settings.statuses.closesOnPayment")}
            checked={form.closesOnPayment}
            onChange={(e) => set("closesOnPayment", e.currentTarget.checked)}
          />
        </Group>
        <Group justify="flex-end">
          <Button variant="default" onClick={onCancel}>
            {t("settings.cancel")}
          </Button>
          <Button type="submit">{t("settings.statuses.apply")}</Button>
        </Group>
      </Stack>
    </Paper>
  );
}
