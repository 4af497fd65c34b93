import { Alert, Button, Group, Stack, Textarea } from "@mantine/core";
import { useMemo, useRef, useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import { mobileEndpoints } from "../api/endpoints";
import { useSession } from "../auth/session";
import { ProblemAlert } from "../components/ProblemAlert";
import type { MobileDispute } from "./types";

/**
 * The signed-in rep's answer to a dispute assigned to them: the dispute's owner gets it as a task. Recorded once:
 * a retried request carries its Idempotency-Key, and the engine keeps one answer per text, user and day.
 */
export function DisputeAnswerForm({ dispute, onDone }: { dispute: MobileDispute; onDone(): void }) {
  const { t } = useTranslation();
  const { client } = useSession();
  const routes = useMemo(() => mobileEndpoints(client), [client]);
  const [answer, setAnswer] = useState("");
  const [error, setError] = useState<unknown>();
  const [sending, setSending] = useState(false);
  const [sent, setSent] = useState(false);
  const textarea = useRef<HTMLTextAreaElement>(null);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!answer.trim()) {
      textarea.current?.focus();
      return;
    }
    setSending(true);
    setError(undefined);
    try {
      await routes.answerDispute(dispute.entity, dispute.account_number, dispute.item_id, answer.trim());
      setSent(true);
    } catch (failure) {
      setError(failure);
    } finally {
      setSending(false);
    }
  };
  if (sent)
    return (
      <Alert color="green" variant="light" role="status" mt="sm" withCloseButton onClose={onDone}>
        {t("mobile.answer.sent")}
      </Alert>
    );
  return (
    <form onSubmit={(e) => void submit(e)} aria-label={t("mobile.answer.form", { item: dispute.item_number })}>
      <Stack gap="sm" mt="sm">
        <Textarea
          ref={textarea}
          label={t("mobile.answer.text")}
          size="lg"
          required
          autoFocus
          rows={4}
          maxLength={4000}
          value={answer}
          onChange={(e) => setAnswer(e.currentTarget.value)}
        />
        {error !== undefined && <ProblemAlert error={error} />}
        <Group grow>
          <Button variant="default" size="lg" onClick={onDone}>
            {t("mobile.answer.cancel")}
          </Button>
          <Button type="submit" size="lg" loading={sending}>
            {t("mobile.answer.send")}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
