import {
  ActionIcon,
  Button,
  Checkbox,
  Group,
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
import { useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import { ApiProblem } from "../api/problem";
import { ProblemAlert } from "../components/ProblemAlert";
import type { scenarioEndpoints } from "../api/endpoints";
import {
  ANCHORS,
  CHANNELS,
  addStep,
  draftOf,
  editRequest,
  moveStep,
  removeStep,
  updateStep,
  type ScenarioDraft,
  type ScenarioProblem,
  type StepDraft,
} from "./steps";
import type { MessageTemplate, Scenario, StepChannel } from "./types";

type Routes = ReturnType<typeof scenarioEndpoints>;

interface Props {
  scenario: Scenario;
  templates: readonly MessageTemplate[];
  routes: Routes;
  mayWrite: boolean;
  onSaved(scenario: Scenario): void;
  onReload(): void;
}

/** Template codes offered for a channel: those written for it, and the step's own even when unknown. */
function templateOptions(templates: readonly MessageTemplate[], channel: string, current: string): string[] {
  const codes = new Set(templates.filter((t) => t.channel === channel).map((t) => t.code));
  if (current) codes.add(current);
  return [...codes].sort();
}

export function ScenarioEditor({ scenario, templates, routes, mayWrite, onSaved, onReload }: Props) {
  const { t } = useTranslation();
  const [draft, setDraft] = useState<ScenarioDraft>(() => draftOf(scenario));
  const [problems, setProblems] = useState<ScenarioProblem[]>([]);
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const [copy, setCopy] = useState({ code: "", name: "", language: "" });
  const [copying, setCopying] = useState(false);

  const wrong = (step: number | null, field: string) =>
    problems.some((p) => p.step === step && p.field === field) ? t(`scenarios.problem.${field}`) : undefined;
  const change = (next: ScenarioDraft) => {
    setDraft(next);
    setProblems([]);
  };
  const setStep = (index: number, patch: Partial<StepDraft>) => change(updateStep(draft, index, patch));
  const setAlso = (index: number, at: number, patch: Partial<StepChannel>) =>
    setStep(index, { also: draft.steps[index]!.also.map((o, i) => (i === at ? { ...o, ...patch } : o)) });

  async function save(event: FormEvent) {
    event.preventDefault();
    const request = editRequest(draft, scenario.version);
    if (!request.ok) {
      setProblems(request.problems);
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      const saved = await routes.saveScenario(scenario.code, request.body);
      notifications.show({
        color: "teal",
        message: t("scenarios.saved", { name: saved.name, version: saved.version }),
      });
      onSaved(saved);
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  }

  async function duplicate(event: FormEvent) {
    event.preventDefault();
    setCopying(true);
    setError(undefined);
    try {
      const saved = await routes.duplicateScenario(scenario.code, {
        code: copy.code.trim(),
        name: copy.name.trim(),
        language: copy.language.trim(),
      });
      notifications.show({ color: "teal", message: t("scenarios.duplicated", { code: saved.code }) });
      setCopy({ code: "", name: "", language: "" });
      onSaved(saved);
    } catch (failure) {
      setError(failure);
    } finally {
      setCopying(false);
    }
  }

  const conflict = error instanceof ApiProblem && error.status === 409;
  return (
    <Stack gap="md">
      <Paper withBorder p="md" component="form" onSubmit={save} aria-labelledby="scenario-title">
        <Stack gap="sm">
          <Group justify="space-between">
            <Title order={2} size="h4" id="scenario-title">
              {t("scenarios.editTitle", { code: scenario.code, version: scenario.version })}
            </Title>
            {scenario.used_by_rules.length > 0 && (
              <Text size="sm" c="dimmed">
                {t("scenarios.usedBy", { rules: scenario.used_by_rules.join(", ") })}
              </Text>
            )}
          </Group>
          <SimpleGrid cols={{ base: 1, sm: 3 }} spacing="sm">
            <TextInput
              label={t("scenarios.name")}
              required
              maxLength={200}
              value={draft.name}
              error={wrong(null, "name")}
              onChange={(e) => change({ ...draft, name: e.currentTarget.value })}
            />
            <TextInput
              label={t("scenarios.language")}
              description={t("scenarios.languageHelp")}
              value={draft.language}
              error={wrong(null, "language")}
              onChange={(e) => change({ ...draft, language: e.currentTarget.value })}
            />
            <TextInput
              label={t("scenarios.minimumAmount")}
              inputMode="decimal"
              value={draft.minimum_amount}
              error={wrong(null, "minimum_amount")}
              onChange={(e) => change({ ...draft, minimum_amount: e.currentTarget.value })}
            />
          </SimpleGrid>
          <Table.ScrollContainer minWidth={980}>
            <Table aria-label={t("scenarios.steps")} verticalSpacing="xs">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th scope="col">#</Table.Th>
                  <Table.Th scope="col">{t("scenarios.step.code")}</Table.Th>
                  <Table.Th scope="col">{t("scenarios.step.days")}</Table.Th>
                  <Table.Th scope="col">{t("scenarios.step.anchor")}</Table.Th>
                  <Table.Th scope="col">{t("scenarios.step.channel")}</Table.Th>
                  <Table.Th scope="col">{t("scenarios.step.template")}</Table.Th>
                  <Table.Th scope="col">{t("scenarios.step.automatic")}</Table.Th>
                  <Table.Th scope="col">{t("scenarios.step.conditions")}</Table.Th>
                  <Table.Th scope="col">{t("scenarios.step.actions")}</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {draft.steps.map((step, index) => {
                  const n = index + 1;
                  return (
                    <Table.Tr key={index}>
                      <Table.Td>{n}</Table.Td>
                      <Table.Td>
                        <TextInput
                          aria-label={t("scenarios.step.codeOf", { n })}
                          value={step.code}
                          error={wrong(index, "code")}
                          onChange={(e) => setStep(index, { code: e.currentTarget.value })}
                        />
                      </Table.Td>
                      <Table.Td>
                        <TextInput
                          aria-label={t("scenarios.step.daysOf", { n })}
                          inputMode="numeric"
                          w={80}
                          value={step.offset_days}
                          error={wrong(index, "offset_days")}
                          onChange={(e) => setStep(index, { offset_days: e.currentTarget.value })}
                        />
                      </Table.Td>
                      <Table.Td>
                        <NativeSelect
                          aria-label={t("scenarios.step.anchorOf", { n })}
                          value={step.anchor}
                          data={ANCHORS.map((a) => ({ value: a, label: t(`scenarios.anchor.${a}`) }))}
                          onChange={(e) => setStep(index, { anchor: e.currentTarget.value })}
                        />
                      </Table.Td>
                      <Table.Td>
                        <NativeSelect
                          aria-label={t("scenarios.step.channelOf", { n })}
                          value={step.channel}
                          data={[...new Set([...CHANNELS, step.channel])].map((c) => ({
                            value: c,
                            label: t(`scenarios.channel.${c}`, { defaultValue: c }),
                          }))}
                          onChange={(e) => setStep(index, { channel: e.currentTarget.value })}
                        />
                      </Table.Td>
                      <Table.Td>
                        <NativeSelect
                          aria-label={t("scenarios.step.templateOf", { n })}
                          value={step.template}
                          error={wrong(index, "template")}
                          data={[
                            { value: "", label: t("scenarios.step.chooseTemplate") },
                            ...templateOptions(templates, step.channel, step.template).map((c) => ({
                              value: c,
                              label: c,
                            })),
                          ]}
                          onChange={(e) => setStep(index, { template: e.currentTarget.value })}
                        />
                      </Table.Td>
                      <Table.Td>
                        <Checkbox
                          aria-label={t("scenarios.step.automaticOf", { n })}
                          checked={step.automatic}
                          onChange={(e) => setStep(index, { automatic: e.currentTarget.checked })}
                        />
                      </Table.Td>
                      <Table.Td>
                        <Stack gap={4}>
                          <TextInput
                            size="xs"
                            aria-label={t("scenarios.step.minimumOf", { n })}
                            placeholder={t("scenarios.step.minimum")}
                            inputMode="decimal"
                            value={step.minimum_amount}
                            error={wrong(index, "minimum_amount")}
                            onChange={(e) => setStep(index, { minimum_amount: e.currentTarget.value })}
                          />
                          <TextInput
                            size="xs"
                            aria-label={t("scenarios.step.productGroupOf", { n })}
                            placeholder={t("scenarios.step.productGroup")}
                            value={step.product_group}
                            error={wrong(index, "product_group")}
                            onChange={(e) => setStep(index, { product_group: e.currentTarget.value })}
                          />
                          {step.also.map((other, a) => (
                            <Group key={a} gap={4} wrap="nowrap">
                              <NativeSelect
                                size="xs"
                                aria-label={t("scenarios.step.alsoChannelOf", { n, m: a + 1 })}
                                value={other.channel}
                                error={problems.some((p) => p.step === index && p.field === "also" && p.also === a)}
                                data={[...new Set([...CHANNELS, other.channel])].map((c) => ({
                                  value: c,
                                  label: t(`scenarios.channel.${c}`, { defaultValue: c }),
                                }))}
                                onChange={(e) => setAlso(index, a, { channel: e.currentTarget.value })}
                              />
                              <NativeSelect
                                size="xs"
                                aria-label={t("scenarios.step.alsoTemplateOf", { n, m: a + 1 })}
                                value={other.template}
                                data={[
                                  { value: "", label: t("scenarios.step.chooseTemplate") },
                                  ...templateOptions(templates, other.channel, other.template).map((c) => ({
                                    value: c,
                                    label: c,
                                  })),
                                ]}
                                onChange={(e) => setAlso(index, a, { template: e.currentTarget.value })}
                              />
                              <ActionIcon
                                size="sm"
                                variant="subtle"
                                color="red"
                                aria-label={t("scenarios.step.alsoRemove", { n, m: a + 1 })}
                                onClick={() => setStep(index, { also: step.also.filter((_, i) => i !== a) })}
                              >
                                ✕
                              </ActionIcon>
                            </Group>
                          ))}
                          <Button
                            size="compact-xs"
                            variant="subtle"
                            aria-label={t("scenarios.step.alsoAddOf", { n })}
                            onClick={() => setStep(index, { also: [...step.also, { channel: "sms", template: "" }] })}
                          >
                            {t("scenarios.step.alsoAdd")}
                          </Button>
                        </Stack>
                      </Table.Td>
                      <Table.Td>
                        <Group gap={4} wrap="nowrap">
                          <ActionIcon
                            variant="subtle"
                            aria-label={t("scenarios.step.up", { n })}
                            disabled={index === 0}
                            onClick={() => change(moveStep(draft, index, -1))}
                          >
                            ↑
                          </ActionIcon>
                          <ActionIcon
                            variant="subtle"
                            aria-label={t("scenarios.step.down", { n })}
                            disabled={index === draft.steps.length - 1}
                            onClick={() => change(moveStep(draft, index, 1))}
                          >
                            ↓
                          </ActionIcon>
                          <ActionIcon
                            variant="subtle"
                            color="red"
                            aria-label={t("scenarios.step.remove", { n })}
                            onClick={() => change(removeStep(draft, index))}
                          >
                            ✕
                          </ActionIcon>
                        </Group>
                      </Table.Td>
                    </Table.Tr>
                  );
                })}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
          {wrong(null, "steps") && (
            <Text c="red" size="sm" role="alert">
              {wrong(null, "steps")}
            </Text>
          )}
          {problems.length > 0 && (
            <Text c="red" size="sm" role="alert">
              {t("scenarios.fix", { count: problems.length })}
            </Text>
          )}
          <ProblemAlert error={error} />
          {conflict && (
            <Button variant="light" onClick={onReload}>
              {t("scenarios.reload")}
            </Button>
          )}
          {mayWrite && (
            <Group justify="space-between">
              <Button variant="default" onClick={() => change(addStep(draft))}>
                {t("scenarios.addStep")}
              </Button>
              <Button type="submit" loading={busy}>
                {t("scenarios.save")}
              </Button>
            </Group>
          )}
        </Stack>
      </Paper>
      {mayWrite && (
        <Paper withBorder p="md" component="form" onSubmit={duplicate} aria-labelledby="duplicate-title">
          <Stack gap="sm">
            <Title order={3} size="h5" id="duplicate-title">
              {t("scenarios.duplicate.title")}
            </Title>
            <SimpleGrid cols={{ base: 1, sm: 3 }} spacing="sm">
              <TextInput
                label={t("scenarios.duplicate.code")}
                required
                value={copy.code}
                onChange={(e) => setCopy({ ...copy, code: e.currentTarget.value })}
              />
              <TextInput
                label={t("scenarios.duplicate.name")}
                placeholder={t("scenarios.duplicate.namePlaceholder")}
                value={copy.name}
                onChange={(e) => setCopy({ ...copy, name: e.currentTarget.value })}
              />
              <TextInput
                label={t("scenarios.duplicate.language")}
                placeholder={scenario.language}
                value={copy.language}
                onChange={(e) => setCopy({ ...copy, language: e.currentTarget.value })}
              />
            </SimpleGrid>
            <Group>
              <Button type="submit" variant="light" loading={copying} disabled={!copy.code.trim()}>
                {t("scenarios.duplicate.submit")}
              </Button>
            </Group>
          </Stack>
        </Paper>
      )}
    </Stack>
  );
}
