import { Button, Card, Group, Loader, Stack, Text, TextInput, Title, UnstyledButton } from "@mantine/core";
import { useMemo, useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import { mobileEndpoints } from "../api/endpoints";
import { useSession } from "../auth/session";
import { ProblemAlert } from "../components/ProblemAlert";
import type { FoundCustomer } from "./types";

const PAGE = 20;

/** Letters or digits in ``text``: the gateway searches from two of them. */
export function searchable(text: string): boolean {
  return (text.match(/[\p{L}\p{N}]/gu) ?? []).length >= 2;
}

/**
 * Find a customer of my portfolio by part of its name or account number (case and accents do not matter), and
 * open its account: ``pathOf`` says where an account is.
 */
export function CustomerSearch({ pathOf }: { pathOf(entity: string, account_number: string): string }) {
  const { t } = useTranslation();
  const { client } = useSession();
  const routes = useMemo(() => mobileEndpoints(client), [client]);
  const [text, setText] = useState("");
  const [asked, setAsked] = useState("");
  const [found, setFound] = useState<FoundCustomer[] | null>(null);
  const [more, setMore] = useState(false);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<unknown>();
  const [tooShort, setTooShort] = useState(false);

  const load = async (q: string, offset: number) => {
    setLoading(true);
    setError(undefined);
    try {
      const page = await routes.searchCustomers({ q, offset, limit: PAGE });
      setFound((before) => (offset === 0 || !before ? page.customers : [...before, ...page.customers]));
      setMore(page.more);
      setAsked(q);
    } catch (failure) {
      setError(failure);
    } finally {
      setLoading(false);
    }
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const q = text.trim();
    setTooShort(!searchable(q));
    if (searchable(q)) void load(q, 0);
  };
  return (
    <section aria-labelledby="customer-search">
      <Title order={3} id="customer-search" mb="xs">
        {t("mobile.search.title")}
      </Title>
      <form onSubmit={submit} role="search" aria-labelledby="customer-search">
        <Group gap="sm" align="flex-end" wrap="nowrap">
          <TextInput
            style={{ flex: 1 }}
            label={t("mobile.search.label")}
            description={t("mobile.search.help")}
            size="lg"
            type="search"
            autoComplete="off"
            value={text}
            error={tooShort ? t("mobile.search.tooShort") : undefined}
            onChange={(e) => setText(e.currentTarget.value)}
          />
          <Button type="submit" size="lg" loading={loading && found === null}>
            {t("mobile.search.submit")}
          </Button>
        </Group>
      </form>
      {error !== undefined && <ProblemAlert error={error} />}
      {found && found.length === 0 && (
        <Text c="dimmed" mt="sm" role="status">
          {t("mobile.search.none", { text: asked })}
        </Text>
      )}
      {found && found.length > 0 && (
        <Stack
          gap="xs"
          mt="sm"
          component="ul"
          role="list"
          aria-label={t("mobile.search.results", { text: asked })}
          style={{ listStyle: "none", padding: 0, margin: 0 }}
        >
          {found.map((c) => (
            <li key={c.customer_id}>
              <UnstyledButton component={Link} to={pathOf(c.entity, c.account_number)} display="block" w="100%">
                <Card withBorder padding="sm" mih={56}>
                  <Text fw={600}>{c.name}</Text>
                  <Text size="sm" c="dimmed">
                    {c.entity}/{c.account_number}
                    {c.address?.city ? ` · ${c.address.city}` : ""}
                  </Text>
                </Card>
              </UnstyledButton>
            </li>
          ))}
        </Stack>
      )}
      {loading && found !== null && <Loader size="sm" mt="sm" aria-label={t("mobile.loading")} />}
      {more && !loading && (
        <Button variant="light" mt="sm" fullWidth onClick={() => void load(asked, found?.length ?? 0)}>
          {t("mobile.search.more")}
        </Button>
      )}
    </section>
  );
}
