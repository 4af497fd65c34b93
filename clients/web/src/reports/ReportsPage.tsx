import {
  Button,
  Card,
  Group,
  Loader,
  NativeSelect,
  SimpleGrid,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
} from "@mantine/core";
import { useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import { useSession } from "../auth/session";
import { ProblemAlert } from "../components/ProblemAlert";
import { useEntities } from "../components/useEntities";
import { useLoad } from "../components/useLoad";
import { bucketLabel } from "../dashboard/AgingChart";
import { formatDate, formatMoney, formatNumber } from "../format/format";
import { fetchExport, saveFile } from "./download";
import {
  agingQuery,
  CURRENCY_MODES,
  defaultForm,
  LEVELS,
  REPORT_NAMES,
  REPORTS,
  reportQuery,
  type InvalidField,
  type ReportForm,
  type ReportName,
} from "./query";
import { ReportChart } from "./ReportChart";
import { ReportTable } from "./ReportTable";
import { reportCharts, reportTable } from "./tables";
import type { AgingReport, DisputeReport, ExportFormat, ReportHeader } from "./types";

interface Applied {
  name: ReportName;
  form: ReportForm;
  pageToken: string;
}

/** Every report of the gateway with its level, currency and parameters; a table, a chart, and the gateway's export. */
export function ReportsPage() {
  const { t, i18n } = useTranslation();
  const locale = i18n.language;
  const { api, client } = useSession();
  const { entities } = useEntities();
  const [name, setName] = useState<ReportName>("aging-balance");
  const [form, setForm] = useState<ReportForm>(defaultForm);
  const [applied, setApplied] = useState<Applied>({ name: "aging-balance", form: defaultForm, pageToken: "" });
  const [invalid, setInvalid] = useState<InvalidField | null>(null);
  const [exporting, setExporting] = useState<ExportFormat | null>(null);
  const [exportError, setExportError] = useState<unknown>();
  const definition = REPORTS[name];
  const bucket = (label: string) => bucketLabel(label, t);

  const loaded = useLoad<unknown>(
    async (signal) => {
      if (applied.name === "aging") return api.agingReport(agingQuery(applied.form), signal);
      const built = reportQuery(applied.name, applied.form, applied.pageToken);
      if ("invalid" in built) throw new Error(built.invalid);
      return api.report(REPORTS[applied.name].path!, built.query, signal);
    },
    [api, applied],
  );

  function set<K extends keyof ReportForm>(key: K, value: ReportForm[K]) {
    setForm((f) => ({ ...f, [key]: value }));
    setInvalid(null);
  }

  function apply(nextName: ReportName, nextForm: ReportForm, pageToken = ""): boolean {
    if (nextName !== "aging") {
      const built = reportQuery(nextName, nextForm);
      if ("invalid" in built) {
        setInvalid(built.invalid);
        return false;
      }
    }
    setInvalid(null);
    setApplied({ name: nextName, form: nextForm, pageToken });
    return true;
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    apply(name, form);
  }

  // The export is of the report on screen, as it was asked, so the file matches what the user reads.
  async function download(format: ExportFormat) {
    const path = REPORTS[applied.name].path;
    if (!path) return;
    const built = reportQuery(applied.name, applied.form, applied.pageToken);
    if ("invalid" in built) return;
    setExporting(format);
    setExportError(undefined);
    try {
      saveFile(await fetchExport(client, path, built.query, format));
    } catch (failure) {
      setExportError(failure);
    } finally {
      setExporting(null);
    }
  }

  const shownName = applied.name;
  const data = loaded.data;
  const header: ReportHeader | null =
    data && shownName !== "aging" ? ((data as { header?: ReportHeader }).header ?? null) : null;
  // The older aging names its day at the top level; the others in their header.
  const asOf = header?.as_of ?? (shownName === "aging" ? (data as AgingReport | undefined)?.as_of : null) ?? null;
  const table = data ? reportTable(shownName, data, t, locale, bucket) : null;
  const charts = data ? reportCharts(shownName, data, t, bucket) : [];
  const title = t(`reports.name.${shownName}`);
  const fieldError = (field: InvalidField) => (invalid === field ? t(`reports.invalid.${field}`) : undefined);
  const scoped = definition.path !== null;

  return (
    <Stack gap="md">
      <Title order={2}>{t("reports.title")}</Title>
      <Card withBorder component="form" onSubmit={submit} aria-label={t("reports.parameters")}>
        <SimpleGrid cols={{ base: 1, xs: 2, md: 4 }} spacing="sm">
          <NativeSelect
            label={t("reports.report")}
            value={name}
            data={REPORT_NAMES.map((n) => ({ value: n, label: t(`reports.name.${n}`) }))}
            onChange={(e) => {
              const next = e.currentTarget.value as ReportName;
              setName(next);
              apply(next, form);
            }}
          />
          {scoped && (
            <NativeSelect
              label={t("reports.level")}
              value={form.level}
              data={LEVELS.map((l) => ({ value: l, label: t(`reports.levelName.${l}`) }))}
              onChange={(e) => set("level", e.currentTarget.value as ReportForm["level"])}
            />
          )}
          {scoped && (
            <NativeSelect
              label={t("reports.currency")}
              value={form.currency}
              data={CURRENCY_MODES.map((c) => ({ value: c, label: t(`dashboard.currencyMode.${c}`) }))}
              onChange={(e) => set("currency", e.currentTarget.value as ReportForm["currency"])}
            />
          )}
          <NativeSelect
            label={t("reports.entity")}
            value={form.entity}
            data={[
              { value: "", label: t("reports.allEntities") },
              ...entities.map((e) => ({ value: e.code, label: e.name === e.code ? e.code : `${e.code} — ${e.name}` })),
            ]}
            onChange={(e) => set("entity", e.currentTarget.value)}
          />
          <TextInput
            type="date"
            label={t("reports.asOf")}
            value={form.asOf}
            onChange={(e) => set("asOf", e.currentTarget.value)}
          />
          {scoped && (
            <TextInput
              label={t("reports.key")}
              description={t("reports.keyHint")}
              value={form.key}
              maxLength={250}
              onChange={(e) => set("key", e.currentTarget.value)}
            />
          )}
          {scoped && (
            <TextInput
              label={t("reports.collector")}
              value={form.collector}
              maxLength={200}
              onChange={(e) => set("collector", e.currentTarget.value)}
            />
          )}
          {definition.parameters.includes("buckets") && (
            <TextInput
              label={t("reports.buckets")}
              description={t("reports.bucketsHint")}
              value={form.buckets}
              error={fieldError("buckets")}
              onChange={(e) => set("buckets", e.currentTarget.value)}
            />
          )}
          {definition.parameters.includes("period_days") && (
            <TextInput
              label={t("reports.periodDays")}
              inputMode="numeric"
              value={form.periodDays}
              error={fieldError("periodDays")}
              onChange={(e) => set("periodDays", e.currentTarget.value)}
            />
          )}
          {definition.parameters.includes("max_months") && (
            <TextInput
              label={t("reports.maxMonths")}
              inputMode="numeric"
              value={form.maxMonths}
              error={fieldError("maxMonths")}
              onChange={(e) => set("maxMonths", e.currentTarget.value)}
            />
          )}
          {definition.parameters.includes("from") && (
            <TextInput
              type="date"
              label={t("reports.from")}
              value={form.from}
              error={fieldError("range")}
              onChange={(e) => set("from", e.currentTarget.value)}
            />
          )}
          {definition.parameters.includes("to") && (
            <TextInput
              type="date"
              label={t("reports.to")}
              value={form.to}
              onChange={(e) => set("to", e.currentTarget.value)}
            />
          )}
          {definition.parameters.includes("receiptsPeriod") && (
            <NativeSelect
              label={t("reports.period")}
              value={form.receiptsPeriod}
              data={(["day", "week", "month"] as const).map((p) => ({ value: p, label: t(`reports.periodName.${p}`) }))}
              onChange={(e) => set("receiptsPeriod", e.currentTarget.value as ReportForm["receiptsPeriod"])}
            />
          )}
          {definition.parameters.includes("forecastPeriod") && (
            <NativeSelect
              label={t("reports.period")}
              value={form.forecastPeriod}
              data={(["week", "month"] as const).map((p) => ({ value: p, label: t(`reports.periodName.${p}`) }))}
              onChange={(e) => set("forecastPeriod", e.currentTarget.value as ReportForm["forecastPeriod"])}
            />
          )}
          {definition.parameters.includes("periods") && (
            <TextInput
              label={t("reports.periods")}
              description={t("reports.periodsHint")}
              inputMode="numeric"
              value={form.periods}
              error={fieldError("periods")}
              onChange={(e) => set("periods", e.currentTarget.value)}
            />
          )}
          {definition.parameters.includes("max_items") && (
            <TextInput
              label={t("reports.maxItems")}
              inputMode="numeric"
              value={form.maxItems}
              error={fieldError("maxItems")}
              onChange={(e) => set("maxItems", e.currentTarget.value)}
            />
          )}
        </SimpleGrid>
        <Group mt="sm" justify="space-between">
          <Group gap="xs">
            {REPORTS[applied.name].path ? (
              (["csv", "xlsx"] as const).map((format) => (
                <Button
                  key={format}
                  variant="default"
                  loading={exporting === format}
                  onClick={() => void download(format)}
                  aria-label={t("reports.exportAs", { format: format.toUpperCase() })}
                >
                  {format.toUpperCase()}
                </Button>
              ))
            ) : (
              <Text size="sm" c="dimmed">
                {t("reports.noExport")}
              </Text>
            )}
          </Group>
          <Button type="submit">{t("reports.show")}</Button>
        </Group>
        <ProblemAlert error={exportError} />
      </Card>

      <section aria-labelledby="report-title">
        <Title order={3} size="h4" id="report-title" mb="xs">
          {title}
          {asOf && (
            <Text span size="sm" c="dimmed" ml="xs">
              {t("dashboard.asOf", { day: formatDate(asOf, locale) })}
            </Text>
          )}
        </Title>
        <ProblemAlert error={loaded.error} />
        {loaded.loading && <Loader aria-label={t("common.loading")} />}
        {header?.problems?.length ? (
          <Text size="sm" c="orange" mb="xs">
            {t("dashboard.leftOut")}: {header.problems.join("; ")}
          </Text>
        ) : null}
        {table && table.rows.length === 0 && !loaded.loading && <Text c="dimmed">{t("reports.empty")}</Text>}
        {charts.map((chart, i) => (
          <ReportChart
            key={`${chart.currency ?? "none"}-${i}`}
            model={chart}
            label={chart.currency ? t("reports.chartIn", { report: title, currency: chart.currency }) : title}
            // Charts per currency look alike: each says which it is.
            caption={chart.currency ?? undefined}
          />
        ))}
        {table && table.rows.length > 0 && <ReportTable model={table} caption={title} />}
        {shownName === "disputes" && data ? <DisputedItems report={data as DisputeReport} /> : null}
        {header?.next_page_token && (
          <Group mt="sm" gap="xs">
            {applied.pageToken && (
              <Button variant="default" size="xs" onClick={() => apply(applied.name, applied.form)}>
                {t("reports.firstPage")}
              </Button>
            )}
            <Button
              variant="default"
              size="xs"
              onClick={() => apply(applied.name, applied.form, header.next_page_token ?? "")}
            >
              {t("reports.nextPage")}
            </Button>
          </Group>
        )}
      </section>
    </Stack>
  );
}

function DisputedItems({ report }: { report: DisputeReport }) {
  const { t, i18n } = useTranslation();
  const locale = i18n.language;
  const items = report.items ?? [];
  if (items.length === 0) return null;
  return (
    <section aria-labelledby="disputed-items-title">
      <Title order={4} size="h5" id="disputed-items-title" mt="md" mb="xs">
        {t("reports.disputedItems")}
        {report.items_truncated && (
          <Text span size="sm" c="dimmed" ml="xs">
            {t("reports.truncated", { count: items.length })}
          </Text>
        )}
      </Title>
      <Table.ScrollContainer minWidth={760}>
        <Table striped aria-labelledby="disputed-items-title">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t("reports.column.customer")}</Table.Th>
              <Table.Th>{t("reports.column.status")}</Table.Th>
              <Table.Th>{t("reports.column.since")}</Table.Th>
              <Table.Th className="amount">{t("reports.column.age")}</Table.Th>
              <Table.Th>{t("reports.column.owner")}</Table.Th>
              <Table.Th>{t("reports.column.reason")}</Table.Th>
              <Table.Th className="amount">{t("reports.column.openAmount")}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {items.map((item) => (
              <Table.Tr key={item.item_id}>
                <Table.Td>{item.customer_name || item.customer_id}</Table.Td>
                <Table.Td>{t(`itemStatus.${item.status}`, { defaultValue: item.status })}</Table.Td>
                <Table.Td>{formatDate(item.since, locale)}</Table.Td>
                <Table.Td className="amount">{formatNumber(item.age_days, locale, 0)}</Table.Td>
                <Table.Td>{item.owner || "—"}</Table.Td>
                <Table.Td>{item.reason || "—"}</Table.Td>
                <Table.Td className="amount">
                  {formatMoney(item.open_amount.amount, item.open_amount.currency, locale)}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
    </section>
  );
}
