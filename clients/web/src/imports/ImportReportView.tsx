import { Alert, Badge, Button, Group, Paper, SimpleGrid, Stack, Table, Text, Title } from "@mantine/core";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { useSession } from "../auth/session";
import { importEndpoints } from "../api/endpoints";
import { ProblemAlert } from "../components/ProblemAlert";
import { formatNumber } from "../format/format";
import type { ImportReport, RowError } from "./types";

/** Rows shown on screen; the rest are in rejected.csv. */
const SHOWN_ERRORS = 200;

function saveText(text: string, fileName: string) {
  const url = URL.createObjectURL(new Blob([text], { type: "text/csv;charset=utf-8" }));
  const link = document.createElement("a");
  link.href = url;
  link.download = fileName;
  document.body.appendChild(link);
  link.click();
  link.remove();
  // Revoked after the click has been handled: revoking at once cancels the download in some browsers.
  window.setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function RejectedRows({ errors, label }: { errors: readonly RowError[]; label: string }) {
  const { t, i18n } = useTranslation();
  if (errors.length === 0) return null;
  return (
    <Table.ScrollContainer minWidth={560}>
      <Table striped aria-label={label}>
        <Table.Thead>
          <Table.Tr>
            <Table.Th scope="col">{t("imports.report.row")}</Table.Th>
            <Table.Th scope="col">{t("imports.report.field")}</Table.Th>
            <Table.Th scope="col">{t("imports.report.value")}</Table.Th>
            <Table.Th scope="col">{t("imports.report.reason")}</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {errors.slice(0, SHOWN_ERRORS).map((e, index) => (
            <Table.Tr key={`${e.file}-${e.row}-${e.column ?? ""}-${index}`}>
              <Table.Td>{e.row ? formatNumber(e.row, i18n.language) : "—"}</Table.Td>
              <Table.Td>{e.header ?? e.column ?? "—"}</Table.Td>
              <Table.Td>{e.value ?? ""}</Table.Td>
              <Table.Td>{e.reason}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      {errors.length > SHOWN_ERRORS && (
        <Text size="sm" c="dimmed">
          {t("imports.report.moreInCsv", { count: errors.length - SHOWN_ERRORS })}
        </Text>
      )}
    </Table.ScrollContainer>
  );
}

export function ImportReportView({ report }: { report: ImportReport }) {
  const { t, i18n } = useTranslation();
  const { client } = useSession();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const n = (value: number) => formatNumber(value, i18n.language);
  const counts: [string, number][] = [
    ["rowsRead", report.rows_read],
    ["rowsRejected", report.rows_rejected],
    ["customersCreated", report.customers_created],
    ["customersChanged", report.customers_changed],
    ["itemsOpened", report.items_opened],
    ["itemsChanged", report.items_changed],
    ["itemsClosed", report.items_closed],
  ];

  async function download() {
    setBusy(true);
    setError(undefined);
    try {
      const csv = await importEndpoints(client).rejectedRows(report.import_id);
      saveText(csv, `${report.file_name.replace(/\.[^.]*$/, "")}-rejected.csv`);
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  }

  return (
    <Paper withBorder p="md" aria-labelledby="import-report-title">
      <Stack gap="sm">
        <Group justify="space-between">
          <Title order={3} size="h4" id="import-report-title">
            {t("imports.report.title", { file: report.file_name })}
          </Title>
          <Group gap="xs">
            {report.dry_run && <Badge color="gray">{t("imports.report.dryRun")}</Badge>}
            {report.replayed && <Badge color="blue">{t("imports.report.replayed")}</Badge>}
            {report.mapping_profile && (
              <Badge variant="outline">{t("imports.report.profile", { name: report.mapping_profile })}</Badge>
            )}
          </Group>
        </Group>
        {report.file_rejected && (
          <Alert color="red" role="alert" title={t("imports.report.fileRejected")}>
            {t("imports.report.fileRejectedDetail")}
          </Alert>
        )}
        {report.snapshot_closing_skipped && (
          <Alert color="yellow" title={t("imports.report.closingSkipped")}>
            {t("imports.report.closingSkippedDetail")}
          </Alert>
        )}
        <SimpleGrid
          cols={{ base: 2, sm: 4, lg: 7 }}
          spacing="xs"
          component="dl"
          aria-label={t("imports.report.counts")}
        >
          {counts.map(([key, value]) => (
            <div key={key}>
              <Text component="dt" size="xs" c="dimmed">
                {t(`imports.report.${key}`)}
              </Text>
              <Text component="dd" fw={600} m={0} data-testid={`count-${key}`}>
                {n(value)}
              </Text>
            </div>
          ))}
        </SimpleGrid>
        {report.errors.length > 0 && (
          <>
            <Group justify="space-between">
              <Title order={4} size="h5">
                {t("imports.report.rejectedTitle", { count: report.errors.length })}
              </Title>
              {report.import_id && !report.file_rejected && (
                <Button variant="light" size="xs" onClick={() => void download()} loading={busy}>
                  {t("imports.report.download")}
                </Button>
              )}
            </Group>
            <ProblemAlert error={error} />
            <RejectedRows errors={report.errors} label={t("imports.report.rejectedTable")} />
          </>
        )}
      </Stack>
    </Paper>
  );
}
