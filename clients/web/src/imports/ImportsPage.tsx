import {
  Alert,
  Button,
  Checkbox,
  Group,
  Input,
  Loader,
  NativeSelect,
  Paper,
  SimpleGrid,
  Stack,
  Table,
  Tabs,
  Text,
  TextInput,
  Title,
} from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { useId, useMemo, useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import { useSearchParams } from "react-router";
import { importEndpoints } from "../api/endpoints";
import { useSession } from "../auth/session";
import { ProblemAlert } from "../components/ProblemAlert";
import { useEntities } from "../components/useEntities";
import { useLoad } from "../components/useLoad";
import { formatDate, formatMoney, formatNumber } from "../format/format";
import { ImportProgress, type UploadPhase } from "./ImportProgress";
import { ImportReportView, RejectedRows } from "./ImportReportView";
import {
  draftFrom,
  mappingProblems,
  profileName,
  profileRequest,
  unusedHeaders,
  withSource,
  type MappingDraft,
} from "./mapping";
import { MappingEditor } from "./MappingEditor";
import type { ImportReport, MappingProposal, StatementReport } from "./types";
import { FileRejected, newIdempotencyKey, uploadFile, type UploadRequest } from "./upload";
import { useImportProgress } from "./useImportProgress";

/**
 * Uploads with a progress bar: the phase while it runs, null otherwise. An upload run with ``watch`` (an import of
 * receivables, which the importer reports on by the upload's Idempotency-Key) also has the importer's progress
 * once its bytes are sent, until it is answered.
 */
function useUpload() {
  const { client, api } = useSession();
  const [phase, setPhase] = useState<UploadPhase | null>(null);
  const [watched, setWatched] = useState<string | null>(null);
  const running = useImportProgress(phase?.phase === "processing" ? watched : null);
  async function run<R>(request: Omit<UploadRequest, "onProgress">, options: { watch?: boolean } = {}): Promise<R> {
    const size = request.file.size;
    setPhase({ phase: "sending", loaded: 0, total: size, size });
    setWatched(options.watch && request.idempotencyKey ? request.idempotencyKey : null);
    try {
      return await uploadFile<R>(client, () => api.me(), {
        ...request,
        onProgress: ({ loaded, total: sent }) =>
          setPhase((now) => {
            // The request's bytes (the file and the multipart framing) measure the sending, not the file's size.
            if (loaded < sent) return { phase: "sending", loaded, total: sent, size };
            // The clock of the processing phase starts once, at the last byte sent.
            return now?.phase === "processing" ? now : { phase: "processing", since: Date.now(), size };
          }),
      });
    } finally {
      setPhase(null);
      setWatched(null);
    }
  }
  return { phase, running, run };
}

function FileField({ label, accept, onFile }: { label: string; accept: string; onFile(file: File | null): void }) {
  const id = useId();
  return (
    <Input.Wrapper label={label} labelElement="label" id={id}>
      <input id={id} type="file" accept={accept} onChange={(e) => onFile(e.currentTarget.files?.[0] ?? null)} />
    </Input.Wrapper>
  );
}

function RejectedFile({ error }: { error: unknown }) {
  const { t } = useTranslation();
  if (!(error instanceof FileRejected)) return <ProblemAlert error={error} />;
  return (
    <Alert color="red" role="alert" title={error.problem.title}>
      <Stack gap="xs">
        <Text size="sm">{t("imports.report.fileRejectedDetail")}</Text>
        <RejectedRows errors={error.rows} label={t("imports.report.rejectedTable")} />
      </Stack>
    </Alert>
  );
}

type Stage = { step: "choose" } | { step: "mapping"; proposal: MappingProposal };

function ReceivablesImport() {
  const { t } = useTranslation();
  const { client } = useSession();
  const [params, setParams] = useSearchParams();
  const [file, setFile] = useState<File | null>(null);
  const [mode, setMode] = useState<"incremental" | "full_snapshot">("incremental");
  const [entities, setEntities] = useState("");
  const [dryRun, setDryRun] = useState(false);
  const [stage, setStage] = useState<Stage>({ step: "choose" });
  const [draft, setDraft] = useState<MappingDraft>({});
  const [changed, setChanged] = useState(false);
  const [name, setName] = useState("");
  const [nameInvalid, setNameInvalid] = useState(false);
  const [error, setError] = useState<unknown>();
  const [report, setReport] = useState<ImportReport | null>(null);
  const [checking, setChecking] = useState(false);
  const upload = useUpload();
  const routes = useMemo(() => importEndpoints(client), [client]);

  // A report named in the address (after an import, or a link to an earlier one) is read back from the gateway.
  const shownId = params.get("report");
  const earlier = useLoad(
    (signal) =>
      shownId && shownId !== report?.import_id ? routes.importReport(shownId, signal) : Promise.resolve(null),
    [routes, shownId],
  );
  const shown = report && report.import_id === shownId ? report : (earlier.data ?? report);

  const proposal = stage.step === "mapping" ? stage.proposal : null;
  const problems = proposal ? mappingProblems(draft, proposal.headers) : [];
  // A known layout imported as saved needs no new profile; anything else is saved first, since the upload route
  // applies the profile saved for the file's layout and takes no mapping of its own.
  const mustSave = proposal !== null && (proposal.saved_profile === null || changed);

  function pickFile(next: File | null) {
    setFile(next);
    setStage({ step: "choose" });
    setError(undefined);
  }

  async function check(event: FormEvent) {
    event.preventDefault();
    if (!file) return;
    setChecking(true);
    setError(undefined);
    try {
      const answer = await upload.run<MappingProposal>({ path: "/api/v1/imports/mapping-proposals", file });
      setDraft(draftFrom(answer));
      setChanged(false);
      setName(answer.saved_profile?.name ?? file.name.replace(/\.[^.]*$/, ""));
      setStage({ step: "mapping", proposal: answer });
    } catch (failure) {
      setError(failure);
    } finally {
      setChecking(false);
    }
  }

  async function runImport() {
    if (!file || !proposal) return;
    if (problems.length > 0) return;
    setError(undefined);
    try {
      if (mustSave) {
        const profile = profileName(name);
        if (!profile) {
          setNameInvalid(true);
          return;
        }
        await routes.saveMappingProfile(profile, profileRequest(draft, proposal.layout_signature));
        notifications.show({ color: "teal", message: t("imports.mapping.saved", { name: profile }) });
        setStage({
          step: "mapping",
          proposal: {
            ...proposal,
            saved_profile: { name: profile, ...profileRequest(draft, proposal.layout_signature) },
          },
        });
        setChanged(false);
      }
      const answer = await upload.run<ImportReport>(
        {
          path: "/api/v1/imports/receivables",
          query: {
            mode,
            entities: mode === "full_snapshot" ? entities.trim() : undefined,
            dry_run: dryRun || undefined,
          },
          file,
          idempotencyKey: newIdempotencyKey(),
        },
        { watch: true },
      );
      setReport(answer);
      setStage({ step: "choose" });
      if (answer.import_id) setParams({ report: answer.import_id }, { replace: true });
    } catch (failure) {
      setError(failure);
    }
  }

  const busy = upload.phase !== null;
  return (
    <Stack gap="md">
      <Paper withBorder p="md" component="form" onSubmit={check} aria-labelledby="receivables-title">
        <Stack gap="sm">
          <Title order={2} size="h4" id="receivables-title">
            {t("imports.receivables.title")}
          </Title>
          <Text size="sm" c="dimmed">
            {t("imports.receivables.help")}
          </Text>
          <SimpleGrid cols={{ base: 1, sm: 2, md: 4 }} spacing="sm">
            <FileField
              label={t("imports.receivables.file")}
              accept=".csv,.xlsx,.json,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
              onFile={pickFile}
            />
            <NativeSelect
              label={t("imports.receivables.mode")}
              value={mode}
              data={[
                { value: "incremental", label: t("imports.receivables.incremental") },
                { value: "full_snapshot", label: t("imports.receivables.fullSnapshot") },
              ]}
              onChange={(e) => setMode(e.currentTarget.value as typeof mode)}
            />
            {mode === "full_snapshot" && (
              <TextInput
                label={t("imports.receivables.snapshotEntities")}
                description={t("imports.receivables.snapshotEntitiesHelp")}
                value={entities}
                onChange={(e) => setEntities(e.currentTarget.value)}
              />
            )}
            <Checkbox
              mt="lg"
              label={t("imports.receivables.dryRun")}
              checked={dryRun}
              onChange={(e) => setDryRun(e.currentTarget.checked)}
            />
          </SimpleGrid>
          <Group>
            <Button type="submit" disabled={!file || busy} loading={checking}>
              {t("imports.receivables.check")}
            </Button>
          </Group>
        </Stack>
      </Paper>

      {proposal && (
        <Paper withBorder p="md" aria-labelledby="mapping-title">
          <Stack gap="sm">
            <Title order={2} size="h4" id="mapping-title">
              {t("imports.mapping.title")}
            </Title>
            <Text size="sm">
              {proposal.saved_profile && !changed
                ? t("imports.mapping.known", { name: proposal.saved_profile.name })
                : t("imports.mapping.new", { count: proposal.headers.length })}
            </Text>
            <MappingEditor
              headers={proposal.headers}
              draft={draft}
              confidence={proposal.saved_profile ? {} : proposal.confidence}
              problems={problems}
              onChange={(field, source) => {
                setDraft((d) => withSource(d, field, source));
                setChanged(true);
              }}
            />
            {unusedHeaders(draft, proposal.headers).length > 0 && (
              <Text size="sm" c="dimmed">
                {t("imports.mapping.unused", { headers: unusedHeaders(draft, proposal.headers).join(", ") })}
              </Text>
            )}
            <Group align="flex-end">
              {mustSave && (
                <TextInput
                  label={t("imports.mapping.profileName")}
                  value={name}
                  maxLength={100}
                  required
                  error={nameInvalid ? t("imports.mapping.profileNameInvalid") : undefined}
                  onChange={(e) => {
                    setName(e.currentTarget.value);
                    setNameInvalid(false);
                  }}
                />
              )}
              <Button onClick={() => void runImport()} disabled={problems.length > 0 || busy}>
                {mustSave ? t("imports.mapping.saveAndImport") : t("imports.mapping.import")}
              </Button>
            </Group>
            {problems.length > 0 && (
              <Text size="sm" c="red" role="alert">
                {t("imports.mapping.fix", { count: problems.length })}
              </Text>
            )}
          </Stack>
        </Paper>
      )}

      {upload.phase && (
        <ImportProgress state={upload.phase} running={upload.running} label={t("imports.progress.label")} />
      )}
      <RejectedFile error={error} />
      {earlier.error ? <ProblemAlert error={earlier.error} /> : null}
      {earlier.loading && shownId && !shown ? <Loader aria-label={t("common.loading")} /> : null}
      {shown && <ImportReportView report={shown} />}
    </Stack>
  );
}

const FORMATS = ["auto", "camt", "mt940", "csv", "xlsx"] as const;

function StatementImport() {
  const { t, i18n } = useTranslation();
  const { entities, initial } = useEntities();
  const [entity, setEntity] = useState<string | null>(null);
  const [format, setFormat] = useState<(typeof FORMATS)[number]>("auto");
  const [file, setFile] = useState<File | null>(null);
  const [error, setError] = useState<unknown>();
  const [report, setReport] = useState<StatementReport | null>(null);
  const upload = useUpload();
  const chosen = entity ?? (initial || entities[0]?.code || "");
  const locale = i18n.language;

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!file || !chosen) return;
    setError(undefined);
    setReport(null);
    try {
      setReport(
        await upload.run<StatementReport>({
          path: "/api/v1/imports/statements",
          query: { entity: chosen, format },
          file,
          idempotencyKey: newIdempotencyKey(),
        }),
      );
    } catch (failure) {
      setError(failure);
    }
  }

  return (
    <Stack gap="md">
      <Paper withBorder p="md" component="form" onSubmit={submit} aria-labelledby="statement-title">
        <Stack gap="sm">
          <Title order={2} size="h4" id="statement-title">
            {t("imports.statement.title")}
          </Title>
          <SimpleGrid cols={{ base: 1, sm: 3 }} spacing="sm">
            <NativeSelect
              label={t("imports.statement.entity")}
              value={chosen}
              data={entities.map((e) => ({
                value: e.code,
                label: e.name && e.name !== e.code ? `${e.code} · ${e.name}` : e.code,
              }))}
              onChange={(e) => setEntity(e.currentTarget.value)}
            />
            <NativeSelect
              label={t("imports.statement.format")}
              value={format}
              data={FORMATS.map((f) => ({ value: f, label: t(`imports.statement.formats.${f}`) }))}
              onChange={(e) => setFormat(e.currentTarget.value as (typeof FORMATS)[number])}
            />
            <FileField label={t("imports.statement.file")} accept=".xml,.sta,.mt940,.txt,.csv,.xlsx" onFile={setFile} />
          </SimpleGrid>
          <Group>
            <Button type="submit" disabled={!file || !chosen || upload.phase !== null}>
              {t("imports.statement.upload")}
            </Button>
          </Group>
        </Stack>
      </Paper>
      {upload.phase && <ImportProgress state={upload.phase} label={t("imports.progress.label")} />}
      <ProblemAlert error={error} />
      {report && (
        <Paper withBorder p="md" aria-labelledby="statement-report-title">
          <Stack gap="sm">
            <Title order={3} size="h4" id="statement-report-title">
              {t("imports.statement.report", { file: report.file_name })}
            </Title>
            <Text size="sm">
              {t("imports.statement.published", {
                published: formatNumber(report.transactions_published, locale),
                known: formatNumber(report.transactions_already_known, locale),
              })}
            </Text>
            <Table.ScrollContainer minWidth={560}>
              <Table aria-label={t("imports.statement.statements")}>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th scope="col">{t("imports.statement.account")}</Table.Th>
                    <Table.Th scope="col">{t("imports.statement.opening")}</Table.Th>
                    <Table.Th scope="col">{t("imports.statement.closing")}</Table.Th>
                    <Table.Th scope="col">{t("imports.statement.transactions")}</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {report.statements.map((s) => (
                    <Table.Tr key={s.statement_id}>
                      <Table.Td>{s.account_iban ?? s.statement_id}</Table.Td>
                      {[s.opening_balance, s.closing_balance].map((b, i) => (
                        <Table.Td key={i}>
                          {b
                            ? `${formatMoney(b.amount.amount, b.amount.currency, locale)} · ${formatDate(b.date, locale)}`
                            : "—"}
                        </Table.Td>
                      ))}
                      <Table.Td>{formatNumber(s.transactions, locale)}</Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
          </Stack>
        </Paper>
      )}
    </Stack>
  );
}

export function ImportsPage() {
  const { t } = useTranslation();
  return (
    <Stack gap="md">
      <Title order={1} size="h2">
        {t("imports.title")}
      </Title>
      <Tabs defaultValue="receivables" keepMounted={false}>
        <Tabs.List>
          <Tabs.Tab value="receivables">{t("imports.tabs.receivables")}</Tabs.Tab>
          <Tabs.Tab value="statements">{t("imports.tabs.statements")}</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="receivables" pt="md">
          <ReceivablesImport />
        </Tabs.Panel>
        <Tabs.Panel value="statements" pt="md">
          <StatementImport />
        </Tabs.Panel>
      </Tabs>
    </Stack>
  );
}
