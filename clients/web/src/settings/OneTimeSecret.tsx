import { Alert, Button, Code, CopyButton, Group, Stack, Text } from "@mantine/core";
import { useTranslation } from "react-i18next";

/** A secret the gateway answers once and keeps only hashed: shown with a copy button until the user closes it. */
export function OneTimeSecret({ label, secret, onClose }: { label: string; secret: string; onClose(): void }) {
  const { t } = useTranslation();
  return (
    <Alert color="yellow" variant="light" title={label} role="region" aria-label={label}>
      <Stack gap="xs">
        <Text size="sm" fw={600}>
          {t("settings.secret.warning")}
        </Text>
        <Code block style={{ wordBreak: "break-all", whiteSpace: "pre-wrap" }} data-testid="one-time-secret">
          {secret}
        </Code>
        <Group gap="xs">
          <CopyButton value={secret}>
            {({ copied, copy }) => (
              <Button size="xs" variant="light" color={copied ? "teal" : undefined} onClick={copy}>
                {copied ? t("settings.secret.copied") : t("settings.secret.copy")}
              </Button>
            )}
          </CopyButton>
          <Button size="xs" variant="default" onClick={onClose}>
            {t("settings.secret.done")}
          </Button>
        </Group>
      </Stack>
    </Alert>
  );
}
