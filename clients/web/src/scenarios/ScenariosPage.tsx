import { Badge, Button, Group, Loader, Stack, Table, Tabs, Title, VisuallyHidden } from "@mantine/core";
import { useMemo, useState } from "react";
import { useTranslation } from "react-i18next";
import { scenarioEndpoints } from "../api/endpoints";
import { usePermission, useSession } from "../auth/session";
import { ProblemAlert } from "../components/ProblemAlert";
import { useLoad } from "../components/useLoad";
import { ScenarioEditor } from "./ScenarioEditor";
import { TemplateEditor } from "./TemplateEditor";
import type { Scenario } from "./types";

export function ScenariosPage() {
  const { t } = useTranslation();
  const { client } = useSession();
  const routes = useMemo(() => scenarioEndpoints(client), [client]);
  const mayWriteScenarios = usePermission("scenarios", "write");
  const mayWriteTemplates = usePermission("templates", "write");
  const scenarios = useLoad((signal) => routes.scenarios(signal), [routes]);
  const templates = useLoad((signal) => routes.templates({}, signal), [routes]);
  const [open, setOpen] = useState<Scenario | null>(null);
  // A new editor for each scenario and version read: the draft starts from what the gateway answered.
  const [generation, setGeneration] = useState(0);

  async function reopen(code: string) {
    setOpen(await routes.scenario(code));
    setGeneration((n) => n + 1);
  }

  return (
    <Stack gap="md">
      <Title order={1} size="h2">
        {t("scenarios.title")}
      </Title>
      <Tabs defaultValue="scenarios" keepMounted={false}>
        <Tabs.List>
          <Tabs.Tab value="scenarios">{t("scenarios.tabs.scenarios")}</Tabs.Tab>
          <Tabs.Tab value="templates">{t("scenarios.tabs.templates")}</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="scenarios" pt="md">
          <Stack gap="md">
            {scenarios.loading && !scenarios.data && <Loader aria-label={t("common.loading")} />}
            <ProblemAlert error={scenarios.error} />
            {scenarios.data && (
              <Table.ScrollContainer minWidth={560}>
                <Table aria-label={t("scenarios.list")} highlightOnHover>
                  <Table.Thead>
                    <Table.Tr>
                      <Table.Th scope="col">{t("scenarios.code")}</Table.Th>
                      <Table.Th scope="col">{t("scenarios.name")}</Table.Th>
                      <Table.Th scope="col">{t("scenarios.language")}</Table.Th>
                      <Table.Th scope="col">{t("scenarios.stepCount")}</Table.Th>
                      <Table.Th scope="col">
                        <VisuallyHidden>{t("scenarios.step.actions")}</VisuallyHidden>
                      </Table.Th>
                    </Table.Tr>
                  </Table.Thead>
                  <Table.Tbody>
                    {scenarios.data.scenarios.map((s) => (
                      <Table.Tr key={s.code} aria-current={open?.code === s.code ? "true" : undefined}>
                        <Table.Td ff="monospace">{s.code}</Table.Td>
                        <Table.Td>
                          <Group gap={4}>
                            {s.name}
                            {s.is_default && <Badge size="xs">{t("scenarios.default")}</Badge>}
                            {s.builtin && (
                              <Badge size="xs" variant="outline">
                                {t("scenarios.builtin")}
                              </Badge>
                            )}
                          </Group>
                        </Table.Td>
                        <Table.Td>{s.language || t("scenarios.anyLanguage")}</Table.Td>
                        <Table.Td>{s.steps.length}</Table.Td>
                        <Table.Td>
                          <Button
                            size="xs"
                            variant="light"
                            aria-label={t("scenarios.openScenario", { name: s.name })}
                            onClick={() => {
                              setOpen(s);
                              setGeneration((n) => n + 1);
                            }}
                          >
                            {mayWriteScenarios ? t("scenarios.edit") : t("scenarios.view")}
                          </Button>
                        </Table.Td>
                      </Table.Tr>
                    ))}
                  </Table.Tbody>
                </Table>
              </Table.ScrollContainer>
            )}
            {open && (
              <ScenarioEditor
                key={`${open.code}-${open.version}-${generation}`}
                scenario={open}
                templates={templates.data?.templates ?? []}
                routes={routes}
                mayWrite={mayWriteScenarios}
                onSaved={(saved) => {
                  setOpen(saved);
                  setGeneration((n) => n + 1);
                  scenarios.reload();
                }}
                onReload={() => void reopen(open.code)}
              />
            )}
          </Stack>
        </Tabs.Panel>
        <Tabs.Panel value="templates" pt="md">
          {templates.loading && !templates.data && <Loader aria-label={t("common.loading")} />}
          <ProblemAlert error={templates.error} />
          {templates.data && (
            <TemplateEditor
              templates={templates.data.templates}
              routes={routes}
              mayWrite={mayWriteTemplates}
              onSaved={templates.reload}
            />
          )}
        </Tabs.Panel>
      </Tabs>
    </Stack>
  );
}
