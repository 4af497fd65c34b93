import { Alert, Anchor, Button, Card, Group, Loader, Stack, Text, Title, UnstyledButton } from "@mantine/core";
import { useMemo, useState } from "react";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import { mobileEndpoints } from "../api/endpoints";
import { useSession } from "../auth/session";
import { ProblemAlert } from "../components/ProblemAlert";
import { useLoad } from "../components/useLoad";
import { formatDate, formatDateTime, formatMoney } from "../format/format";
import { CustomerSearch } from "./CustomerSearch";
import { DisputeAnswerForm } from "./DisputeAnswerForm";
import { recentAccounts } from "./recent";
import type { MobileDispute } from "./types";

/** Where an account's phone summary is: the disputes list and the recent accounts link there. */
export function mobileAccountPath(entity: string, account_number: string): string {
  return `/mobile/accounts/${encodeURIComponent(entity)}/${encodeURIComponent(account_number)}`;
}

/** The sales rep's start page: find an account, my disputes (answered here), the accounts seen lately (readable
 * offline). */
export function MobileHome() {
  const { t } = useTranslation();
  const recent = useMemo(() => recentAccounts(), []);
  return (
    <Stack gap="lg" maw={640} mx="auto">
      <Title order={2}>{t("mobile.title")}</Title>
      <CustomerSearch pathOf={mobileAccountPath} />
      <MyDisputes />
      <section aria-labelledby="mobile-recent">
        <Title order={3} id="mobile-recent" mb="xs">
          {t("mobile.recent.title")}
        </Title>
        {recent.length === 0 ? <Text c="dimmed">{t("mobile.recent.none")}</Text> : <RecentList />}
      </section>
    </Stack>
  );
}

function MyDisputes() {
  const { t } = useTranslation();
  const { client } = useSession();
  const routes = useMemo(() => mobileEndpoints(client), [client]);
  const { data, error, loading } = useLoad((signal) => routes.myDisputes({}, signal), [routes]);
  return (
    <section aria-labelledby="mobile-disputes">
      <Title order={3} id="mobile-disputes" mb="xs">
        {t("mobile.disputes.title")}
      </Title>
      {loading && <Loader aria-label={t("mobile.loading")} />}
      {error !== undefined && <ProblemAlert error={error} />}
      {data && data.disputes.length === 0 && <Text c="dimmed">{t("mobile.disputes.none")}</Text>}
      {data && data.disputes.length > 0 && (
        <Stack gap="sm" component="ul" role="list" style={{ listStyle: "none", padding: 0, margin: 0 }}>
          {data.disputes.map((d) => (
            <li key={d.item_id}>
              <DisputeCard dispute={d} />
            </li>
          ))}
        </Stack>
      )}
      {data?.truncated && (
        <Alert color="yellow" variant="light" mt="sm">
          {t("mobile.disputes.truncated")}
        </Alert>
      )}
    </section>
  );
}

function DisputeCard({ dispute }: { dispute: MobileDispute }) {
  const { t, i18n } = useTranslation();
  const locale = i18n.language;
  const [answering, setAnswering] = useState(false);
  return (
    <Card withBorder padding="md" mih={64}>
      <Group justify="space-between" wrap="nowrap" align="flex-start">
        <div>
          <Anchor
            component={Link}
            to={mobileAccountPath(dispute.entity, dispute.account_number)}
            fw={600}
            aria-label={t("mobile.disputes.open", { name: dispute.customer_name, item: dispute.item_number })}
          >
            {dispute.customer_name}
          </Anchor>
          <Text size="sm" c="dimmed">
            {dispute.item_number} · {dispute.entity}/{dispute.account_number}
          </Text>
        </div>
        <Text fw={600} style={{ whiteSpace: "nowrap" }}>
          {formatMoney(dispute.open_amount.amount, dispute.open_amount.currency, locale)}
        </Text>
      </Group>
      {dispute.comment && <Text size="sm">{dispute.comment}</Text>}
      {dispute.disputed_since && (
        <Text size="sm" c="dimmed">
          {t("mobile.disputes.since", { date: formatDate(dispute.disputed_since, locale) })}
        </Text>
      )}
      {answering ? (
        <DisputeAnswerForm dispute={dispute} onDone={() => setAnswering(false)} />
      ) : (
        <Button
          mt="sm"
          size="lg"
          variant="light"
          fullWidth
          aria-label={t("mobile.answer.startFor", { item: dispute.item_number })}
          onClick={() => setAnswering(true)}
        >
          {t("mobile.answer.start")}
        </Button>
      )}
    </Card>
  );
}

function RecentList() {
  const { t, i18n } = useTranslation();
  const recent = useMemo(() => recentAccounts(), []);
  return (
    <Stack gap="xs" component="ul" role="list" style={{ listStyle: "none", padding: 0, margin: 0 }}>
      {recent.map((a) => (
        <li key={`${a.entity}/${a.account_number}`}>
          <UnstyledButton component={Link} to={mobileAccountPath(a.entity, a.account_number)} display="block" w="100%">
            <Card withBorder padding="sm" mih={56}>
              <Text fw={600}>{a.name}</Text>
              <Text size="sm" c="dimmed">
                {a.entity}/{a.account_number} ·{" "}
                {t("mobile.recent.savedAt", { when: formatDateTime(a.fetchedAt, i18n.language) })}
              </Text>
            </Card>
          </UnstyledButton>
        </li>
      ))}
    </Stack>
  );
}
