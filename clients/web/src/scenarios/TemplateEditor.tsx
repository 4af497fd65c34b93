import {
  Badge,
  Button,
  Group,
  Loader,
  NativeSelect,
  Paper,
  SimpleGrid,
  Stack,
  Text,
  TextInput,
  Textarea,
  Title,
} from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { useEffect, useMemo, useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import type { scenarioEndpoints } from "../api/endpoints";
import { ProblemAlert } from "../components/ProblemAlert";
import { hashtagsOf, previewRequest, type TemplateDraft } from "./steps";
import type { MessageTemplate, TemplatePreview } from "./types";

type Routes = ReturnType<typeof scenarioEndpoints>;

/** How long typing pauses before the previews are asked again: one request per pause, not per key. */
export const PREVIEW_DELAY_MS = 400;

interface Edited {
  draft: TemplateDraft;
  /** The version read, 0 for a language not saved yet. */
  version: number;
}

interface Previewed {
  preview?: TemplatePreview;
  error?: unknown;
}

function editedOf(templates: readonly MessageTemplate[], code: string): Record<string, Edited> {
  return Object.fromEntries(
    templates
      .filter((t) => t.code === code)
      .map((t) => [
        t.language,
        {
          draft: { code: t.code, language: t.language, channel: t.channel, subject: t.subject, body: t.body },
          version: t.version,
        },
      ]),
  );
}

/** Live previews of every language's draft for one customer, asked again once typing pauses. */
function usePreviews(routes: Routes, edited: Record<string, Edited>, entity: string, account: string) {
  const [previews, setPreviews] = useState<Record<string, Previewed>>({});
  const [loading, setLoading] = useState(false);
  useEffect(() => {
    const requests = Object.entries(edited)
      .map(([language, e]) => [language, previewRequest(e.draft, { entity, account })] as const)
      .filter(([, body]) => body !== null);
    if (requests.length === 0) {
      setPreviews({});
      return;
    }
    const controller = new AbortController();
    const timer = window.setTimeout(() => {
      setLoading(true);
      void Promise.all(
        requests.map(async ([language, body]) => {
          try {
            return [language, { preview: await routes.preview(body!, controller.signal) }] as const;
          } catch (error) {
            return [language, { error }] as const;
          }
        }),
      ).then((answers) => {
        if (controller.signal.aborted) return;
        setPreviews(Object.fromEntries(answers));
        setLoading(false);
      });
    }, PREVIEW_DELAY_MS);
    return () => {
      window.clearTimeout(timer);
      controller.abort();
    };
  }, [routes, edited, entity, account]);
  return { previews, loading };
}

interface Props {
  templates: readonly MessageTemplate[];
  routes: Routes;
  mayWrite: boolean;
  onSaved(): void;
}

export function TemplateEditor({ templates, routes, mayWrite, onSaved }: Props) {
  const { t } = useTranslation();
  const codes = useMemo(() => [...new Set(templates.map((x) => x.code))].sort(), [templates]);
  const [code, setCode] = useState(codes[0] ?? "");
  const [edited, setEdited] = useState<Record<string, Edited>>(() => editedOf(templates, code));
  const [entity, setEntity] = useState("");
  const [account, setAccount] = useState("");
  const [newLanguage, setNewLanguage] = useState("");
  const [errors, setErrors] = useState<Record<string, unknown>>({});
  const [saving, setSaving] = useState<string | null>(null);
  const { previews, loading } = usePreviews(routes, edited, entity, account);

  function pick(next: string) {
    setCode(next);
    setEdited(editedOf(templates, next));
    setErrors({});
  }

  function edit(language: string, change: Partial<TemplateDraft>) {
    setEdited((now) => ({ ...now, [language]: { ...now[language]!, draft: { ...now[language]!.draft, ...change } } }));
  }

  function addLanguage(event: FormEvent) {
    event.preventDefault();
    const language = newLanguage.trim();
    if (!/^[a-z]{2,3}([-_][A-Za-z0-9]{2,4})?$/.test(language) || edited[language]) return;
    // A translation starts from a language already written, for its channel and its #hashtags.
    const first = Object.values(edited)[0]?.draft;
    setEdited((now) => ({
      ...now,
      [language]: {
        draft: {
          code,
          language,
          channel: first?.channel ?? "email",
          subject: first?.subject ?? "",
          body: first?.body ?? "",
        },
        version: 0,
      },
    }));
    setNewLanguage("");
  }

  async function save(language: string) {
    const item = edited[language];
    if (!item) return;
    const { draft, version } = item;
    setSaving(language);
    setErrors((now) => ({ ...now, [language]: undefined }));
    try {
      const saved =
        version > 0
          ? await routes.saveTemplate(code, language, {
              channel: draft.channel,
              subject: draft.subject,
              body: draft.body,
              version,
            })
          : await routes.createTemplate({ ...draft });
      setEdited((now) => ({ ...now, [language]: { draft: now[language]!.draft, version: saved.version } }));
      notifications.show({ color: "teal", message: t("scenarios.templates.saved", { code, language }) });
      onSaved();
    } catch (failure) {
      setErrors((now) => ({ ...now, [language]: failure }));
    } finally {
      setSaving(null);
    }
  }

  const languages = Object.keys(edited).sort();
  return (
    <Stack gap="md">
      <Paper withBorder p="md">
        <SimpleGrid cols={{ base: 1, sm: 3 }} spacing="sm">
          <NativeSelect
            label={t("scenarios.templates.code")}
            value={code}
            data={codes}
            onChange={(e) => pick(e.currentTarget.value)}
          />
          <TextInput
            label={t("scenarios.templates.entity")}
            value={entity}
            onChange={(e) => setEntity(e.currentTarget.value)}
          />
          <TextInput
            label={t("scenarios.templates.account")}
            description={t("scenarios.templates.accountHelp")}
            value={account}
            onChange={(e) => setAccount(e.currentTarget.value)}
          />
        </SimpleGrid>
      </Paper>
      <SimpleGrid cols={{ base: 1, lg: 2 }} spacing="md">
        {languages.map((language) => {
          const { draft, version } = edited[language]!;
          const shown = previews[language];
          const tags = hashtagsOf(`${draft.subject} ${draft.body}`);
          return (
            <Paper key={language} withBorder p="md" component="section" aria-labelledby={`tpl-${language}`}>
              <Stack gap="xs">
                <Group justify="space-between">
                  <Title order={3} size="h5" id={`tpl-${language}`}>
                    {t("scenarios.templates.languageTitle", { language, channel: draft.channel })}
                  </Title>
                  {version === 0 && <Badge color="yellow">{t("scenarios.templates.unsaved")}</Badge>}
                </Group>
                {draft.channel === "email" && (
                  <TextInput
                    label={t("scenarios.templates.subjectOf", { language })}
                    value={draft.subject}
                    onChange={(e) => edit(language, { subject: e.currentTarget.value })}
                  />
                )}
                <Textarea
                  label={t("scenarios.templates.bodyOf", { language })}
                  rows={8}
                  resize="vertical"
                  value={draft.body}
                  onChange={(e) => edit(language, { body: e.currentTarget.value })}
                />
                {tags.length > 0 && (
                  <Group gap={4} aria-label={t("scenarios.templates.hashtags")}>
                    {tags.map((tag) => (
                      <Badge key={tag} variant="outline" size="sm" tt="none">
                        {tag}
                      </Badge>
                    ))}
                  </Group>
                )}
                <ProblemAlert error={errors[language]} />
                {mayWrite && (
                  <Group>
                    <Button size="xs" loading={saving === language} onClick={() => void save(language)}>
                      {t("scenarios.templates.save", { language })}
                    </Button>
                  </Group>
                )}
                <Paper
                  bg="var(--mantine-color-gray-0)"
                  p="sm"
                  aria-label={t("scenarios.templates.previewOf", { language })}
                  role="region"
                >
                  <Group justify="space-between">
                    <Text size="xs" fw={600}>
                      {t("scenarios.templates.preview")}
                    </Text>
                    {loading && <Loader size="xs" aria-label={t("common.loading")} />}
                  </Group>
                  {!entity.trim() || !account.trim() ? (
                    <Text size="sm" c="dimmed">
                      {t("scenarios.templates.chooseCustomer")}
                    </Text>
                  ) : shown?.error ? (
                    <ProblemAlert error={shown.error} />
                  ) : shown?.preview ? (
                    <Stack gap={4}>
                      {shown.preview.subject && <Text fw={600}>{shown.preview.subject}</Text>}
                      <Text size="sm" style={{ whiteSpace: "pre-wrap" }}>
                        {shown.preview.text}
                      </Text>
                    </Stack>
                  ) : null}
                </Paper>
              </Stack>
            </Paper>
          );
        })}
      </SimpleGrid>
      {mayWrite && code && (
        <Group align="flex-end" component="form" onSubmit={addLanguage}>
          <TextInput
            label={t("scenarios.templates.newLanguage")}
            description={t("scenarios.templates.newLanguageHelp")}
            value={newLanguage}
            onChange={(e) => setNewLanguage(e.currentTarget.value)}
          />
          <Button type="submit" variant="light">
            {t("scenarios.templates.addLanguage")}
          </Button>
        </Group>
      )}
    </Stack>
  );
}
