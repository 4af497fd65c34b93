import {
  Badge,
  Button,
  Checkbox,
  Group,
  Loader,
  NativeSelect,
  Paper,
  PasswordInput,
  SimpleGrid,
  Stack,
  Switch,
  Table,
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
import { emptyUserForm, MIN_PASSWORD, parseScope, userRequest, type UserForm, type UserInvalid } from "./forms";
import { ROLES, type Role, type User } from "./types";

function useRoutes() {
  const { client } = useSession();
  return useMemo(() => settingsEndpoints(client), [client]);
}

/** Users with their role and data scope; administrators create them and change role, scope and whether active. */
export function UsersTab() {
  const { t } = useTranslation();
  const routes = useRoutes();
  const mayWrite = usePermission("users", "write");
  const users = useLoad((signal) => routes.users(signal), [routes]);
  const [editing, setEditing] = useState<string | null>(null);
  return (
    <Stack gap="md">
      <ProblemAlert error={users.error} />
      {users.loading && !users.data && <Loader aria-label={t("common.loading")} />}
      {users.data && (
        <Table.ScrollContainer minWidth={640}>
          <Table aria-label={t("settings.users.list")} highlightOnHover>
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">{t("settings.users.email")}</Table.Th>
                <Table.Th scope="col">{t("settings.users.name")}</Table.Th>
                <Table.Th scope="col">{t("settings.users.role")}</Table.Th>
                <Table.Th scope="col">{t("settings.users.scope")}</Table.Th>
                <Table.Th scope="col">{t("settings.users.state")}</Table.Th>
                {mayWrite && (
                  <Table.Th scope="col">
                    <VisuallyHidden>{t("settings.actions")}</VisuallyHidden>
                  </Table.Th>
                )}
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {users.data.users.map((u) => (
                <UserRow
                  key={u.user_id}
                  user={u}
                  mayWrite={mayWrite}
                  editing={editing === u.user_id}
                  onEdit={() => setEditing(editing === u.user_id ? null : u.user_id)}
                  onSaved={() => {
                    setEditing(null);
                    users.reload();
                  }}
                />
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      {mayWrite && <NewUserForm onCreated={users.reload} />}
    </Stack>
  );
}

function scopeText(entities: User["entities"], all: string): string {
  return entities === "all" ? all : entities.join(", ");
}

function UserRow({
  user,
  mayWrite,
  editing,
  onEdit,
  onSaved,
}: {
  user: User;
  mayWrite: boolean;
  editing: boolean;
  onEdit(): void;
  onSaved(): void;
}) {
  const { t } = useTranslation();
  const who = user.name || user.email;
  return (
    <>
      <Table.Tr>
        <Table.Td>{user.email}</Table.Td>
        <Table.Td>{user.name}</Table.Td>
        <Table.Td>{t(`settings.roles.${user.role}`)}</Table.Td>
        <Table.Td>
          {scopeText(user.entities, t("settings.users.allEntities"))}
          {user.portfolio && ` · ${t("settings.users.portfolioOf", { name: user.portfolio })}`}
        </Table.Td>
        <Table.Td>
          <Badge variant="light" color={user.disabled ? "gray" : "teal"}>
            {user.disabled ? t("settings.users.disabled") : t("settings.users.active")}
          </Badge>
        </Table.Td>
        {mayWrite && (
          <Table.Td>
            <Button
              size="xs"
              variant="light"
              aria-expanded={editing}
              aria-label={t("settings.users.change", { name: who })}
              onClick={onEdit}
            >
              {t("settings.users.changeShort")}
            </Button>
          </Table.Td>
        )}
      </Table.Tr>
      {editing && (
        <Table.Tr>
          <Table.Td colSpan={6}>
            <ChangeUserForm user={user} onSaved={onSaved} onCancel={onEdit} />
          </Table.Td>
        </Table.Tr>
      )}
    </>
  );
}

function roleOptions(t: (key: string) => string) {
  return ROLES.map((role) => ({ value: role, label: t(`settings.roles.${role}`) }));
}

function ChangeUserForm({ user, onSaved, onCancel }: { user: User; onSaved(): void; onCancel(): void }) {
  const { t } = useTranslation();
  const routes = useRoutes();
  const [role, setRole] = useState<Role>(user.role);
  const [allEntities, setAllEntities] = useState(user.entities === "all");
  const [entities, setEntities] = useState(user.entities === "all" ? "" : user.entities.join(", "));
  const [portfolio, setPortfolio] = useState(user.portfolio ?? "");
  const [active, setActive] = useState(!user.disabled);
  const [invalid, setInvalid] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const who = user.name || user.email;

  async function submit(event: FormEvent) {
    event.preventDefault();
    const scope = parseScope(allEntities, entities);
    if (scope === null) {
      setInvalid(true);
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      await routes.changeUser(user.user_id, {
        role,
        entities: scope,
        portfolio: portfolio.trim(),
        disabled: !active,
      });
      notifications.show({ color: "teal", message: t("settings.users.saved", { name: who }) });
      onSaved();
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={submit} aria-label={t("settings.users.change", { name: who })} noValidate>
      <Stack gap="xs">
        <ProblemAlert error={error} />
        <SimpleGrid cols={{ base: 1, sm: 2, md: 4 }} spacing="sm">
          <NativeSelect
            label={t("settings.users.role")}
            value={role}
            data={roleOptions(t)}
            onChange={(e) => setRole(e.currentTarget.value as Role)}
          />
          <TextInput
            label={t("settings.users.entityCodes")}
            description={t("settings.users.entityCodesHint")}
            value={entities}
            disabled={allEntities}
            error={invalid ? t("settings.users.invalid.entities") : undefined}
            onChange={(e) => {
              setEntities(e.currentTarget.value);
              setInvalid(false);
            }}
          />
          <TextInput
            label={t("settings.users.portfolio")}
            description={t("settings.users.portfolioHint")}
            value={portfolio}
            maxLength={200}
            onChange={(e) => setPortfolio(e.currentTarget.value)}
          />
          <Stack gap={6} justify="center">
            <Checkbox
              label={t("settings.users.allEntities")}
              checked={allEntities}
              onChange={(e) => {
                setAllEntities(e.currentTarget.checked);
                setInvalid(false);
              }}
            />
            <Switch
              label={t("settings.users.active")}
              checked={active}
              onChange={(e) => setActive(e.currentTarget.checked)}
            />
          </Stack>
        </SimpleGrid>
        <Group justify="flex-end">
          <Button variant="default" onClick={onCancel}>
            {t("settings.cancel")}
          </Button>
          <Button type="submit" loading={busy}>
            {t("settings.save")}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

function NewUserForm({ onCreated }: { onCreated(): void }) {
  const { t } = useTranslation();
  const routes = useRoutes();
  const [form, setForm] = useState<UserForm>(emptyUserForm);
  const [invalid, setInvalid] = useState<UserInvalid | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();

  function set<K extends keyof UserForm>(key: K, value: UserForm[K]) {
    setForm((f) => ({ ...f, [key]: value }));
    setInvalid(null);
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    const built = userRequest(form);
    if ("invalid" in built) {
      setInvalid(built.invalid);
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      const created = await routes.createUser(built.body);
      notifications.show({ color: "teal", message: t("settings.users.created", { email: created.email }) });
      setForm(emptyUserForm);
      onCreated();
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  }

  const fieldError = (field: UserInvalid) =>
    invalid === field ? t(`settings.users.invalid.${field}`, { count: MIN_PASSWORD }) : undefined;
  return (
    <Paper withBorder p="sm" component="form" onSubmit={submit} aria-labelledby="new-user-title" noValidate>
      <Title order={2} size="h5" id="new-user-title" mb="xs">
        {t("settings.users.new")}
      </Title>
      <Stack gap="sm">
        <ProblemAlert error={error} />
        <SimpleGrid cols={{ base: 1, sm: 2, md: 3 }} spacing="sm">
          <TextInput
            type="email"
            label={t("settings.users.email")}
            required
            autoComplete="off"
            value={form.email}
            maxLength={254}
            error={fieldError("email")}
            onChange={(e) => set("email", e.currentTarget.value)}
          />
          <TextInput
            label={t("settings.users.name")}
            value={form.name}
            maxLength={200}
            onChange={(e) => set("name", e.currentTarget.value)}
          />
          <NativeSelect
            label={t("settings.users.role")}
            value={form.role}
            data={roleOptions(t)}
            onChange={(e) => set("role", e.currentTarget.value as Role)}
          />
          <PasswordInput
            label={t("settings.users.password")}
            description={t("settings.users.passwordHint", { count: MIN_PASSWORD })}
            required
            autoComplete="new-password"
            value={form.password}
            error={fieldError("password")}
            onChange={(e) => set("password", e.currentTarget.value)}
          />
          <TextInput
            label={t("settings.users.entityCodes")}
            description={t("settings.users.entityCodesHint")}
            value={form.entities}
            disabled={form.allEntities}
            error={fieldError("entities")}
            onChange={(e) => set("entities", e.currentTarget.value)}
          />
          <TextInput
            label={t("settings.users.portfolio")}
            description={t("settings.users.portfolioHint")}
            value={form.portfolio}
            maxLength={200}
            onChange={(e) => set("portfolio", e.currentTarget.value)}
          />
        </SimpleGrid>
        <Group justify="space-between">
          <Checkbox
            label={t("settings.users.allEntities")}
            checked={form.allEntities}
            onChange={(e) => set("allEntities", e.currentTarget.checked)}
          />
          <Button type="submit" loading={busy}>
            {t("settings.users.create")}
          </Button>
        </Group>
      </Stack>
    </Paper>
  );
}
