import { Badge, Group, Loader, Stack, Table, Text, Title } from "@mantine/core";
import { useTranslation } from "react-i18next";
import type { Money } from "../api/types";
import { useSession } from "../auth/session";
import { MoneyList } from "../components/Money";
import { ProblemAlert } from "../components/ProblemAlert";
import { useLoad } from "../components/useLoad";
import { formatDate, formatMoney, totalsByCurrency } from "../format/format";
import type { PenaltyInvoice } from "./types";

/** What an invoice owes in penalties now: the interest to date and the fixed compensation. */
export function penaltiesDue(invoices: readonly PenaltyInvoice[]): Money[] {
  const amounts: Money[] = [];
  for (const i of invoices) {
    if (i.interest_to_date) amounts.push(i.interest_to_date);
    if (i.compensation) amounts.push(i.compensation);
  }
  // Exact decimal sums per currency, never across currencies.
  return totalsByCurrency(amounts);
}

/** The late-payment penalties due on the account, the terms they follow, and the penalty items issued. */
export function PenaltiesPanel({ entity, account }: { entity: string; account: string }) {
  const { t, i18n } = useTranslation();
  const locale = i18n.language;
  const { api } = useSession();
  const loaded = useLoad(() => api.penalties(entity, account), [api, entity, account]);
  if (loaded.loading && !loaded.data) return <Loader size="sm" aria-label={t("common.loading")} />;
  if (!loaded.data) return <ProblemAlert error={loaded.error} />;
  const { terms, invoices, issued } = loaded.data;
  const money = (m: Money | null) => (m ? formatMoney(m.amount, m.currency, locale) : "—");
  return (
    <Stack gap="md">
      <Group gap="xs">
        <Text size="sm" c="dimmed">
          {t("accountPanels.law")}: {terms.law ?? "—"}
        </Text>
        <Badge variant="light" color={terms.charge_interest ? "teal" : "gray"}>
          {t(terms.charge_interest ? "accountPanels.interestCharged" : "accountPanels.interestExempt")}
        </Badge>
        <Badge variant="light" color={terms.charge_compensation ? "teal" : "gray"}>
          {t(terms.charge_compensation ? "accountPanels.compensationCharged" : "accountPanels.compensationExempt")}
        </Badge>
      </Group>
      <div>
        <Text size="sm" c="dimmed">
          {t("accountPanels.penaltiesDue")}
          {loaded.data.as_of && ` (${formatDate(loaded.data.as_of, locale)})`}
        </Text>
        <Text fw={700} size="lg">
          <MoneyList amounts={penaltiesDue(invoices)} />
        </Text>
      </div>
      {invoices.length === 0 ? (
        <Text c="dimmed">{t("accountPanels.noPenalties")}</Text>
      ) : (
        <Table.ScrollContainer minWidth={720}>
          <Table striped aria-label={t("accountPanels.penaltiesByInvoice")}>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t("customer.number")}</Table.Th>
                <Table.Th>{t("customer.due")}</Table.Th>
                <Table.Th className="amount">{t("customer.daysOverdue")}</Table.Th>
                <Table.Th className="amount">{t("customer.openAmount")}</Table.Th>
                <Table.Th className="amount">{t("accountPanels.interestToDate")}</Table.Th>
                <Table.Th className="amount">{t("accountPanels.compensation")}</Table.Th>
                <Table.Th className="amount">{t("accountPanels.interestNotIssued")}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {invoices.map((i) => (
                <Table.Tr key={i.item_id}>
                  <Table.Th scope="row" fw={500}>
                    {i.number}
                    {i.problem && (
                      <Text size="xs" c="orange">
                        {i.problem}
                      </Text>
                    )}
                  </Table.Th>
                  <Table.Td>{formatDate(i.due_date, locale)}</Table.Td>
                  <Table.Td className="amount">{i.days_late}</Table.Td>
                  <Table.Td className="amount">{money(i.open_amount)}</Table.Td>
                  <Table.Td className="amount">{money(i.interest_to_date)}</Table.Td>
                  <Table.Td className="amount">
                    {money(i.compensation)}
                    {i.compensation_issued && ` (${t("accountPanels.issued")})`}
                  </Table.Td>
                  <Table.Td className="amount">{money(i.interest_not_issued)}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      {issued.length > 0 && (
        <section aria-labelledby="issued-title">
          <Title order={4} size="h5" id="issued-title" mb="xs">
            {t("accountPanels.issuedItems")}
          </Title>
          <Table.ScrollContainer minWidth={560}>
            <Table striped aria-labelledby="issued-title">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>{t("customer.number")}</Table.Th>
                  <Table.Th>{t("customer.kind")}</Table.Th>
                  <Table.Th>{t("accountPanels.period")}</Table.Th>
                  <Table.Th>{t("customer.issued")}</Table.Th>
                  <Table.Th className="amount">{t("customer.amount")}</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {issued.map((p) => (
                  <Table.Tr key={p.penalty_id}>
                    <Table.Td>{p.number}</Table.Td>
                    <Table.Td>{t(`accountPanels.penaltyKind.${p.kind}`)}</Table.Td>
                    <Table.Td>
                      {p.period_from
                        ? `${formatDate(p.period_from, locale)} – ${formatDate(p.period_to, locale)}`
                        : "—"}
                    </Table.Td>
                    <Table.Td>{formatDate(p.issued_on, locale)}</Table.Td>
                    <Table.Td className="amount">{money(p.amount)}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        </section>
      )}
    </Stack>
  );
}
