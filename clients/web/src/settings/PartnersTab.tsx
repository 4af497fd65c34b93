import {
  Badge,
  Button,
  Checkbox,
  Group,
  Loader,
  NativeSelect,
  Paper,
  SimpleGrid,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
  VisuallyHidden,
} from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { useMemo, useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import { settingsEndpoints } from "../api/endpoints";
import { usePermission, useSession } from "../auth/session";
import { ProblemAlert } from "../components/ProblemAlert";
import { useLoad } from "../components/useLoad";
import { formatDateTime } from "../format/format";
import { OneTimeSecret } from "./OneTimeSecret";
import { KEY_SCOPES, type KeyScope, type Partner, type PartnerKey, type PartnerKind } from "./types";

function useRoutes() {
  const { client } = useSession();
  return useMemo(() => settingsEndpoints(client), [client]);
}

/** Call centres and legal partners: create them, and issue and revoke their API keys. */
export function PartnersTab() {
  const { t } = useTranslation();
  const routes = useRoutes();
  const mayWrite = usePermission("partners", "write");
  const partners = useLoad((signal) => routes.partners(signal), [routes]);
  const [open, setOpen] = useState<Partner | null>(null);
  const [switching, setSwitching] = useState<string | null>(null);
  const [switchError, setSwitchError] = useState<unknown>();

  async function toggle(partner: Partner) {
    setSwitching(partner.partner_id);
    setSwitchError(undefined);
    try {
      const changed = partner.disabled
        ? await routes.enablePartner(partner.partner_id)
        : await routes.disablePartner(partner.partner_id);
      notifications.show({
        color: "teal",
        message: t(changed.disabled ? "settings.partners.disabledNow" : "settings.partners.enabledNow", {
          name: partner.name,
        }),
      });
      partners.reload();
    } catch (failure) {
      setSwitchError(failure);
    } finally {
      setSwitching(null);
    }
  }

  return (
    <Stack gap="md">
      <ProblemAlert error={partners.error ?? switchError} />
      {partners.loading && !partners.data && <Loader aria-label={t("common.loading")} />}
      {partners.data && partners.data.length === 0 && <Text c="dimmed">{t("settings.partners.none")}</Text>}
      {partners.data && partners.data.length > 0 && (
        <Table.ScrollContainer minWidth={600}>
          <Table aria-label={t("settings.partners.list")} highlightOnHover>
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">{t("settings.partners.name")}</Table.Th>
                <Table.Th scope="col">{t("settings.partners.kind")}</Table.Th>
                <Table.Th scope="col">{t("settings.partners.webhook")}</Table.Th>
                <Table.Th scope="col">{t("settings.users.state")}</Table.Th>
                <Table.Th scope="col">
                  <VisuallyHidden>{t("settings.actions")}</VisuallyHidden>
                </Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {partners.data.map((p) => (
                <Table.Tr key={p.partner_id} aria-current={open?.partner_id === p.partner_id ? "true" : undefined}>
                  <Table.Td>{p.name}</Table.Td>
                  <Table.Td>{t(`settings.partners.kinds.${p.kind}`)}</Table.Td>
                  <Table.Td style={{ wordBreak: "break-all" }}>{p.webhook_url}</Table.Td>
                  <Table.Td>
                    <Badge variant="light" color={p.disabled ? "gray" : "teal"}>
                      {p.disabled ? t("settings.users.disabled") : t("settings.users.active")}
                    </Badge>
                  </Table.Td>
                  <Table.Td>
                    <Group gap={4} wrap="nowrap">
                      <Button
                        size="xs"
                        variant="light"
                        aria-label={t("settings.partners.open", { name: p.name })}
                        onClick={() => setOpen(p)}
                      >
                        {t("settings.partners.keys")}
                      </Button>
                      {mayWrite && (
                        <Button
                          size="xs"
                          variant="default"
                          color={p.disabled ? "teal" : "red"}
                          loading={switching === p.partner_id}
                          aria-label={t(p.disabled ? "settings.partners.enable" : "settings.partners.disable", {
                            name: p.name,
                          })}
                          onClick={() => void toggle(p)}
                        >
                          {t(p.disabled ? "settings.partners.enableShort" : "settings.partners.disableShort")}
                        </Button>
                      )}
                    </Group>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      {open && <PartnerKeys key={open.partner_id} partner={open} mayWrite={mayWrite} />}
      {mayWrite && <NewPartnerForm onCreated={partners.reload} />}
    </Stack>
  );
}

function PartnerKeys({ partner, mayWrite }: { partner: Partner; mayWrite: boolean }) {
  const { t, i18n } = useTranslation();
  const routes = useRoutes();
  const detail = useLoad((signal) => routes.partner(partner.partner_id, signal), [routes, partner.partner_id]);
  const pending = useLoad(
    (signal) => routes.pendingDeliveries(partner.partner_id, signal),
    [routes, partner.partner_id],
  );
  const [scopes, setScopes] = useState<string[]>(["cases:read"]);
  const [secret, setSecret] = useState<string | null>(null);
  const [confirming, setConfirming] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const titleId = `partner-keys-${partner.partner_id}`;

  async function act(action: () => Promise<void>) {
    setBusy(true);
    setError(undefined);
    try {
      await action();
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  }

  const issue = (event: FormEvent) => {
    event.preventDefault();
    if (scopes.length === 0) return;
    void act(async () => {
      const issued = await routes.issueKey(partner.partner_id, scopes as KeyScope[]);
      setSecret(issued.key);
      detail.reload();
    });
  };

  const revoke = (key: PartnerKey) =>
    act(async () => {
      await routes.revokeKey(partner.partner_id, key.key_id);
      setConfirming(null);
      notifications.show({ color: "teal", message: t("settings.partners.revoked", { prefix: key.prefix }) });
      detail.reload();
    });

  return (
    <Paper withBorder p="sm" component="section" aria-labelledby={titleId}>
      <Stack gap="sm">
        <Group justify="space-between">
          <Title order={2} size="h5" id={titleId}>
            {t("settings.partners.keysOf", { name: partner.name })}
          </Title>
          {pending.data && (
            <Badge variant="light" color={pending.data.length > 0 ? "orange" : "gray"}>
              {t("settings.partners.pending", { count: pending.data.length })}
            </Badge>
          )}
        </Group>
        <ProblemAlert error={detail.error ?? error} />
        {secret && (
          <OneTimeSecret label={t("settings.partners.newKey")} secret={secret} onClose={() => setSecret(null)} />
        )}
        {detail.loading && !detail.data && <Loader size="sm" aria-label={t("common.loading")} />}
        {detail.data && detail.data.keys.length === 0 && <Text c="dimmed">{t("settings.partners.noKeys")}</Text>}
        {detail.data && detail.data.keys.length > 0 && (
          <Table.ScrollContainer minWidth={520}>
            <Table aria-label={t("settings.partners.keysOf", { name: partner.name })}>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th scope="col">{t("settings.partners.prefix")}</Table.Th>
                  <Table.Th scope="col">{t("settings.partners.scopes")}</Table.Th>
                  <Table.Th scope="col">{t("settings.partners.issued")}</Table.Th>
                  <Table.Th scope="col">{t("settings.users.state")}</Table.Th>
                  {mayWrite && (
                    <Table.Th scope="col">
                      <VisuallyHidden>{t("settings.actions")}</VisuallyHidden>
                    </Table.Th>
                  )}
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {detail.data.keys.map((key) => (
                  <Table.Tr key={key.key_id}>
                    <Table.Td ff="monospace">{key.prefix}</Table.Td>
                    <Table.Td>{key.scopes.join(", ")}</Table.Td>
                    <Table.Td>
                      {formatDateTime(key.created_at, i18n.language)} · {key.created_by}
                    </Table.Td>
                    <Table.Td>
                      {key.revoked_at ? (
                        <Badge variant="light" color="gray">
                          {t("settings.partners.revokedOn", { at: formatDateTime(key.revoked_at, i18n.language) })}
                        </Badge>
                      ) : (
                        <Badge variant="light" color="teal">
                          {t("settings.users.active")}
                        </Badge>
                      )}
                    </Table.Td>
                    {mayWrite && (
                      <Table.Td>
                        {!key.revoked_at && confirming !== key.key_id && (
                          <Button
                            size="xs"
                            variant="default"
                            color="red"
                            aria-label={t("settings.partners.revoke", { prefix: key.prefix })}
                            onClick={() => setConfirming(key.key_id)}
                          >
                            {t("settings.partners.revokeShort")}
                          </Button>
                        )}
                        {!key.revoked_at && confirming === key.key_id && (
                          <Group gap={4} wrap="nowrap">
                            <Button
                              size="xs"
                              color="red"
                              loading={busy}
                              aria-label={t("settings.partners.confirmRevoke", { prefix: key.prefix })}
                              onClick={() => void revoke(key)}
                            >
                              {t("settings.partners.confirmRevokeShort")}
                            </Button>
                            <Button size="xs" variant="default" onClick={() => setConfirming(null)}>
                              {t("settings.cancel")}
                            </Button>
                          </Group>
                        )}
                      </Table.Td>
                    )}
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
        {mayWrite && (
          <form onSubmit={issue} aria-label={t("settings.partners.issue")} noValidate>
            <Group align="end" justify="space-between">
              <Checkbox.Group
                label={t("settings.partners.scopes")}
                value={scopes}
                onChange={setScopes}
                error={scopes.length === 0 ? t("settings.partners.chooseScope") : undefined}
              >
                <Group gap="md" mt={4}>
                  {KEY_SCOPES.map((scope) => (
                    <Checkbox key={scope} value={scope} label={scope} />
                  ))}
                </Group>
              </Checkbox.Group>
              <Button type="submit" loading={busy} disabled={scopes.length === 0}>
                {t("settings.partners.issue")}
              </Button>
            </Group>
          </form>
        )}
      </Stack>
    </Paper>
  );
}

function NewPartnerForm({ onCreated }: { onCreated(): void }) {
  const { t } = useTranslation();
  const routes = useRoutes();
  const [name, setName] = useState("");
  const [kind, setKind] = useState<PartnerKind>("call_centre");
  const [url, setUrl] = useState("");
  const [allowPrivate, setAllowPrivate] = useState(false);
  const [invalid, setInvalid] = useState<"name" | "url" | null>(null);
  const [secret, setSecret] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!name.trim()) return setInvalid("name");
    if (!/^https?:\/\/\S+$/i.test(url.trim())) return setInvalid("url");
    setBusy(true);
    setError(undefined);
    try {
      const created = await routes.createPartner({
        name: name.trim(),
        kind,
        webhook_url: url.trim(),
        allow_private: allowPrivate,
      });
      setSecret(created.webhook_secret);
      setName("");
      setUrl("");
      setAllowPrivate(false);
      onCreated();
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  }

  return (
    <Paper withBorder p="sm" component="form" onSubmit={submit} aria-labelledby="new-partner-title" noValidate>
      <Title order={2} size="h5" id="new-partner-title" mb="xs">
        {t("settings.partners.new")}
      </Title>
      <Stack gap="sm">
        <ProblemAlert error={error} />
        {secret && (
          <OneTimeSecret label={t("settings.partners.webhookSecret")} secret={secret} onClose={() => setSecret(null)} />
        )}
        <SimpleGrid cols={{ base: 1, sm: 3 }} spacing="sm">
          <TextInput
            label={t("settings.partners.name")}
            required
            value={name}
            maxLength={200}
            error={invalid === "name" ? t("settings.partners.invalid.name") : undefined}
            onChange={(e) => {
              setName(e.currentTarget.value);
              setInvalid(null);
            }}
          />
          <NativeSelect
            label={t("settings.partners.kind")}
            value={kind}
            data={(["call_centre", "legal"] as const).map((k) => ({
              value: k,
              label: t(`settings.partners.kinds.${k}`),
            }))}
            onChange={(e) => setKind(e.currentTarget.value as PartnerKind)}
          />
          <TextInput
            type="url"
            label={t("settings.partners.webhook")}
            required
            value={url}
            placeholder="https://"
            error={invalid === "url" ? t("settings.partners.invalid.url") : undefined}
            onChange={(e) => {
              setUrl(e.currentTarget.value);
              setInvalid(null);
            }}
          />
        </SimpleGrid>
        <Group justify="space-between">
          <Checkbox
            label={t("settings.partners.allowPrivate")}
            checked={allowPrivate}
            onChange={(e) => setAllowPrivate(e.currentTarget.checked)}
          />
          <Button type="submit" loading={busy}>
            {t("settings.partners.create")}
          </Button>
        </Group>
      </Stack>
    </Paper>
  );
}
