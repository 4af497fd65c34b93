import { Loader, Stack, Tabs, Text, Title } from "@mantine/core";
import { useTranslation } from "react-i18next";
import { usePermission, useSession } from "../auth/session";
import { EntitiesTab } from "./EntitiesTab";
import { HoursTab } from "./HoursTab";
import { PartnersTab } from "./PartnersTab";
import { StatusesTab } from "./StatusesTab";
import { UsersTab } from "./UsersTab";

/** Administration: users and roles, partners and their API keys, entities and their penalty settings, item
 * statuses, and each entity's sending days and time slots. */
export function SettingsPage() {
  const { t } = useTranslation();
  const { me } = useSession();
  // Each tab needs the permission its routes ask for (GET /api/v1/me): a tab the gateway would refuse is not shown.
  const tabs = [
    { value: "users", shown: usePermission("users", "read") },
    { value: "partners", shown: usePermission("partners", "read") },
    { value: "entities", shown: usePermission("entities", "read") },
    { value: "statuses", shown: usePermission("statuses", "read") },
    { value: "hours", shown: usePermission("sending_hours", "read") },
  ].filter((tab) => tab.shown);
  return (
    <Stack gap="md">
      <Title order={1} size="h2">
        {t("settings.title")}
      </Title>
      {!me ? (
        <Loader aria-label={t("common.loading")} />
      ) : tabs.length === 0 ? (
        <Text c="dimmed">{t("settings.nothing")}</Text>
      ) : (
        <Tabs defaultValue={tabs[0]!.value} keepMounted={false}>
          <Tabs.List>
            {tabs.map((tab) => (
              <Tabs.Tab key={tab.value} value={tab.value}>
                {t(`settings.tabs.${tab.value}`)}
              </Tabs.Tab>
            ))}
          </Tabs.List>
          <Tabs.Panel value="users" pt="md">
            <UsersTab />
          </Tabs.Panel>
          <Tabs.Panel value="partners" pt="md">
            <PartnersTab />
          </Tabs.Panel>
          <Tabs.Panel value="entities" pt="md">
            <EntitiesTab />
          </Tabs.Panel>
          <Tabs.Panel value="statuses" pt="md">
            <StatusesTab />
          </Tabs.Panel>
          <Tabs.Panel value="hours" pt="md">
            <HoursTab />
          </Tabs.Panel>
        </Tabs>
      )}
    </Stack>
  );
}
