import { Button, Center, Paper, PasswordInput, Stack, TextInput, Title } from "@mantine/core";
import { useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import { Navigate, useLocation, useNavigate } from "react-router";
import { useSession } from "../auth/session";
import { LanguagePicker } from "../components/LanguagePicker";
import { ProblemAlert } from "../components/ProblemAlert";

export function SignInPage() {
  const { t } = useTranslation();
  const { signIn, signedIn } = useSession();
  const navigate = useNavigate();
  const location = useLocation();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);

  // Where the visitor was sent from (a deep link opened signed out): both ways out of this page go back there,
  // since the re-render after signing in can redirect before navigate() below has taken effect.
  const from = (location.state as { from?: string } | null)?.from;
  const back = from && from !== "/signin" ? from : "/";
  if (signedIn && !busy) return <Navigate to={back} replace />;

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await signIn(email, password);
      navigate(back, { replace: true });
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  }

  return (
    <Center mih="100dvh" p="md">
      <Paper withBorder shadow="sm" p="xl" radius="md" w="100%" maw={420}>
        <form onSubmit={submit} aria-labelledby="signin-title">
          <Stack>
            <Title order={1} size="h2" id="signin-title">
              {t("signIn.title")}
            </Title>
            <ProblemAlert error={error} />
            <TextInput
              label={t("signIn.email")}
              type="email"
              autoComplete="username"
              required
              autoFocus
              value={email}
              onChange={(e) => setEmail(e.currentTarget.value)}
            />
            <PasswordInput
              label={t("signIn.password")}
              autoComplete="current-password"
              required
              value={password}
              onChange={(e) => setPassword(e.currentTarget.value)}
            />
            <Button type="submit" loading={busy}>
              {t("signIn.submit")}
            </Button>
            <LanguagePicker />
          </Stack>
        </form>
      </Paper>
    </Center>
  );
}
