import { Badge, Card, Group, Loader, Stack, Text, Title } from "@mantine/core";
import { useTranslation } from "react-i18next";
import type { OpenItem } from "../api/types";
import { useSession } from "../auth/session";
import { ProblemAlert } from "../components/ProblemAlert";
import { useLoad } from "../components/useLoad";
import { formatDate, formatMoney } from "../format/format";
import type { PromiseToPay } from "./types";

const STATE_COLOUR: Record<PromiseToPay["state"], string> = { open: "teal", kept: "blue", broken: "red" };

/** The promises to pay made on the account, as the collection engine watches them: open, kept or broken. */
export function PromisesPanel({
  entity,
  account,
  items,
  version,
}: {
  entity: string;
  account: string;
  items: readonly OpenItem[];
  /** Bumped when the account was qualified again, so new promises show. */
  version: number;
}) {
  const { t, i18n } = useTranslation();
  const locale = i18n.language;
  const { api } = useSession();
  const loaded = useLoad((signal) => api.promises(entity, account, signal), [api, entity, account, version]);
  const numbers = new Map(items.map((i) => [i.item_id, i.number]));
  // A paid item is no longer open: its number is the id's last part.
  const number = (id: string) => numbers.get(id) ?? id.split("/").pop() ?? id;
  const promises = loaded.data?.promises;
  return (
    <Stack gap="sm">
      <Title order={4} size="h5">
        {t("accountPanels.promises")}
      </Title>
      <ProblemAlert error={loaded.error} />
      {loaded.loading && !loaded.data && <Loader size="sm" aria-label={t("common.loading")} />}
      {promises && promises.length === 0 && <Text c="dimmed">{t("accountPanels.noPromises")}</Text>}
      {promises && promises.length > 0 && (
        <Stack gap="sm" component="ul" role="list" style={{ listStyle: "none", padding: 0, margin: 0 }}>
          {promises.map((p) => (
            <Card withBorder p="sm" key={p.promise_id} component="li">
              <Group justify="space-between" align="flex-start">
                <div>
                  <Text fw={600}>
                    {t("accountPanels.promiseFor", {
                      amount: formatMoney(p.amount.amount, p.amount.currency, locale),
                      day: formatDate(p.promised_on, locale),
                    })}
                  </Text>
                  <Text size="sm">{p.item_ids.map(number).join(", ")}</Text>
                  <Text size="sm" c="dimmed">
                    {t("accountPanels.promiseMade", { day: formatDate(p.created_on, locale), by: p.by })}
                  </Text>
                </div>
                <Badge variant="light" color={STATE_COLOUR[p.state] ?? "gray"}>
                  {t(`accountPanels.promiseState.${p.state}`)}
                </Badge>
              </Group>
            </Card>
          ))}
        </Stack>
      )}
      {loaded.data?.truncated && (
        <Text size="sm" c="dimmed">
          {t("accountPanels.promisesTruncated")}
        </Text>
      )}
    </Stack>
  );
}
