import { Badge, Card, Group, Loader, Stack, Text, Title } from "@mantine/core";
import { useTranslation } from "react-i18next";
import type { OpenItem } from "../api/types";
import { useSession } from "../auth/session";
import { ProblemAlert } from "../components/ProblemAlert";
import { useLoad } from "../components/useLoad";
import { formatDate, formatDateTime, formatMoney } from "../format/format";
import { promisesFrom, type PromiseState } from "./promises";

const STATE_COLOUR: Record<PromiseState, string> = { open: "teal", broken: "red", replaced: "gray" };

/** The promises to pay made on the account, from its timeline. */
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
  const loaded = useLoad(
    () =>
      api
        .timeline(entity, account, { kind: ["item.qualified", "promise.broken"], page_size: 200 })
        .then((tl) => promisesFrom(tl.entries)),
    [api, entity, account, version],
  );
  const numbers = new Map(items.map((i) => [i.item_id, i.number]));
  const number = (id: string) => numbers.get(id) ?? id.split("/").pop() ?? id;
  return (
    <Stack gap="sm">
      <Title order={4} size="h5">
        {t("accountPanels.promises")}
      </Title>
      <ProblemAlert error={loaded.error} />
      {loaded.loading && !loaded.data && <Loader size="sm" aria-label={t("common.loading")} />}
      {loaded.data && loaded.data.length === 0 && <Text c="dimmed">{t("accountPanels.noPromises")}</Text>}
      {loaded.data?.map((p) => (
        <Card withBorder p="sm" key={`${p.id}-${p.madeAt}`}>
          <Group justify="space-between" align="flex-start">
            <div>
              <Text fw={600}>{p.itemIds.map(number).join(", ")}</Text>
              <Text size="sm" c="dimmed">
                {t("accountPanels.promiseMade", { at: formatDateTime(p.madeAt, locale), by: p.by })}
                {p.since && ` · ${t("accountPanels.since", { day: formatDate(p.since, locale) })}`}
              </Text>
              {p.comment && <Text size="sm">{p.comment}</Text>}
              {p.state === "broken" && p.promised && (
                <Text size="sm" c="red">
                  {t("accountPanels.promiseBroken", {
                    promised: formatMoney(p.promised.amount, p.promised.currency, locale),
                    day: formatDate(p.promisedOn, locale),
                    missing: p.missing ? formatMoney(p.missing.amount, p.missing.currency, locale) : "—",
                  })}
                </Text>
              )}
            </div>
            <Badge variant="light" color={STATE_COLOUR[p.state]}>
              {t(`accountPanels.promiseState.${p.state}`)}
            </Badge>
          </Group>
        </Card>
      ))}
    </Stack>
  );
}
