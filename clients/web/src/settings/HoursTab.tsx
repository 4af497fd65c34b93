import {
  Alert,
  Button,
  Checkbox,
  Group,
  Loader,
  NativeSelect,
  Paper,
  Stack,
  Text,
  TextInput,
  Title,
} from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { useMemo, useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import { settingsEndpoints } from "../api/endpoints";
import { ApiProblem } from "../api/problem";
import type { Entity } from "../api/types";
import { usePermission, useSession } from "../auth/session";
import { ProblemAlert } from "../components/ProblemAlert";
import { useLoad } from "../components/useLoad";
import { sendingHoursRequest, type SlotForm, type SlotsInvalid } from "./forms";
import { WEEKDAYS, type SendingHours, type Weekday } from "./types";

/** The days and time slots in which each entity's automatic actions go out, in the entity's time zone. */
export function HoursTab() {
  const { t } = useTranslation();
  const { api } = useSession();
  const entities = useLoad(() => api.entities(), [api]);
  const [entity, setEntity] = useState<string | null>(null);
  const items = entities.data?.items ?? [];
  const chosen = entity ?? items[0]?.code ?? null;
  return (
    <Stack gap="md">
      <ProblemAlert error={entities.error} />
      {entities.loading && !entities.data && <Loader aria-label={t("common.loading")} />}
      {entities.data && items.length === 0 && <Text c="dimmed">{t("settings.entities.none")}</Text>}
      {items.length > 0 && chosen && (
        <>
          <NativeSelect
            label={t("settings.penalties.entity")}
            value={chosen}
            data={items.map((e: Entity) => ({ value: e.code, label: `${e.code} · ${e.name}` }))}
            onChange={(e) => setEntity(e.currentTarget.value)}
            maw={360}
          />
          <EntityHours key={chosen} entity={chosen} />
        </>
      )}
    </Stack>
  );
}

function EntityHours({ entity }: { entity: string }) {
  const { t } = useTranslation();
  const { client } = useSession();
  const routes = useMemo(() => settingsEndpoints(client), [client]);
  const mayWrite = usePermission("sending_hours", "write");
  const hours = useLoad((signal) => routes.sendingHours(entity, signal), [routes, entity]);
  return (
    <>
      <ProblemAlert error={hours.error} />
      {hours.loading && !hours.data && <Loader size="sm" aria-label={t("common.loading")} />}
      {hours.data && (
        <HoursForm key={hours.data.version} hours={hours.data} mayWrite={mayWrite} onReload={hours.reload} />
      )}
    </>
  );
}

function HoursForm({ hours, mayWrite, onReload }: { hours: SendingHours; mayWrite: boolean; onReload(): void }) {
  const { t } = useTranslation();
  const { client } = useSession();
  const routes = useMemo(() => settingsEndpoints(client), [client]);
  const [weekdays, setWeekdays] = useState<Weekday[]>(hours.weekdays);
  const [slots, setSlots] = useState<SlotForm[]>(hours.slots.map((s) => ({ ...s })));
  const [invalid, setInvalid] = useState<SlotsInvalid | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [conflict, setConflict] = useState<ApiProblem | null>(null);
  const titleId = `hours-${hours.entity}`;

  function setSlot(index: number, key: keyof SlotForm, value: string) {
    setSlots((all) => all.map((slot, i) => (i === index ? { ...slot, [key]: value } : slot)));
    setInvalid(null);
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    const built = sendingHoursRequest(hours.version, weekdays, slots);
    if ("invalid" in built) {
      setInvalid(built.invalid);
      return;
    }
    setBusy(true);
    setError(undefined);
    setConflict(null);
    try {
      await routes.setSendingHours(hours.entity, built.body);
      notifications.show({ color: "teal", message: t("settings.hours.saved", { entity: hours.entity }) });
      onReload();
    } catch (failure) {
      if (failure instanceof ApiProblem && failure.status === 409) setConflict(failure);
      else setError(failure);
    } finally {
      setBusy(false);
    }
  }

  const slotError = (index: number) =>
    invalid?.field === "slot" && invalid.index === index ? t(`settings.hours.invalid.${invalid.reason}`) : undefined;
  return (
    <Paper withBorder p="sm" component="form" onSubmit={submit} aria-labelledby={titleId} noValidate>
      <Title order={2} size="h5" id={titleId} mb="xs">
        {t("settings.hours.title", { entity: hours.entity })}
      </Title>
      <Stack gap="sm">
        <Text size="sm" c="dimmed">
          {hours.version === 0 ? t("settings.hours.default") : t("settings.hours.own", { by: hours.updated_by ?? "—" })}{" "}
          {hours.time_zone && t("settings.hours.zone", { zone: hours.time_zone })}
        </Text>
        <Checkbox.Group
          label={t("settings.hours.weekdays")}
          value={weekdays}
          onChange={(value) => {
            setWeekdays(value as Weekday[]);
            setInvalid(null);
          }}
          error={invalid?.field === "weekdays" ? t("settings.hours.invalid.weekdays") : undefined}
        >
          <Group gap="md" mt={4}>
            {WEEKDAYS.map((day) => (
              <Checkbox key={day} value={day} label={t(`settings.hours.days.${day}`)} disabled={!mayWrite} />
            ))}
          </Group>
        </Checkbox.Group>
        <Stack gap="xs" role="group" aria-label={t("settings.hours.slots")}>
          <Text size="sm" fw={500}>
            {t("settings.hours.slots")}
          </Text>
          {slots.map((slot, index) => (
            <Group key={index} align="start" gap="sm">
              <TextInput
                label={t("settings.hours.start", { number: index + 1 })}
                placeholder="08:00"
                value={slot.start}
                maxLength={5}
                readOnly={!mayWrite}
                error={slotError(index)}
                onChange={(e) => setSlot(index, "start", e.currentTarget.value)}
              />
              <TextInput
                label={t("settings.hours.end", { number: index + 1 })}
                placeholder="18:00"
                value={slot.end}
                maxLength={5}
                readOnly={!mayWrite}
                onChange={(e) => setSlot(index, "end", e.currentTarget.value)}
              />
              {mayWrite && (
                <Button
                  mt={24}
                  variant="default"
                  aria-label={t("settings.hours.removeSlot", { number: index + 1 })}
                  onClick={() => {
                    setSlots((all) => all.filter((_, i) => i !== index));
                    setInvalid(null);
                  }}
                >
                  {t("settings.statuses.removeShort")}
                </Button>
              )}
            </Group>
          ))}
          {invalid?.field === "slots" && (
            <Text size="sm" c="red" role="alert">
              {t("settings.hours.invalid.slots")}
            </Text>
          )}
        </Stack>
        {conflict && (
          <Alert color="orange" variant="light" role="alert" title={t("settings.hours.conflict")}>
            <Stack gap="xs">
              <Text size="sm">{conflict.detail}</Text>
              <Group>
                <Button size="xs" onClick={onReload}>
                  {t("settings.statuses.reload")}
                </Button>
              </Group>
            </Stack>
          </Alert>
        )}
        <ProblemAlert error={error} />
        {mayWrite && (
          <Group justify="space-between">
            <Button
              variant="light"
              onClick={() => setSlots((all) => [...all, { start: "", end: "" }])}
              disabled={slots.length >= 24}
            >
              {t("settings.hours.addSlot")}
            </Button>
            <Button type="submit" loading={busy}>
              {t("settings.hours.save", { entity: hours.entity })}
            </Button>
          </Group>
        )}
      </Stack>
    </Paper>
  );
}
