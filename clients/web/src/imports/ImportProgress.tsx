import { Progress, Stack, Text } from "@mantine/core";
import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { formatNumber } from "../format/format";

/** Where an upload is: its bytes going out, then the gateway applying the file (it answers once done). */
export type UploadPhase =
  | { phase: "sending"; loaded: number; total: number; size: number }
  | { phase: "processing"; since: number; size: number };

export function percentSent(loaded: number, total: number): number {
  if (total <= 0) return 0;
  return Math.min(100, Math.floor((loaded * 100) / total));
}

function useSecondsSince(since: number | null): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (since === null) return;
    setNow(Date.now());
    const timer = window.setInterval(() => setNow(Date.now()), 1000);
    return () => window.clearInterval(timer);
  }, [since]);
  return since === null ? 0 : Math.max(0, Math.floor((now - since) / 1000));
}

/**
 * The progress bar of a running import. The gateway's import route answers only once the whole file is applied
 * and no route reports an import in flight, so the bar measures the upload, then turns into an animated bar
 * with the time spent while the rows are applied.
 */
export function ImportProgress({ state, label }: { state: UploadPhase; label: string }) {
  const { t, i18n } = useTranslation();
  const seconds = useSecondsSince(state.phase === "processing" ? state.since : null);
  const megabytes = formatNumber(state.size / 1_000_000, i18n.language, 1);
  if (state.phase === "sending") {
    const percent = percentSent(state.loaded, state.total);
    return (
      <Stack gap={4}>
        <Progress value={percent} size="lg" aria-label={label} />
        <Text size="sm" aria-live="polite">
          {t("imports.progress.sending", { percent, size: megabytes })}
        </Text>
      </Stack>
    );
  }
  return (
    <Stack gap={4}>
      <Progress value={100} size="lg" striped animated aria-label={label} />
      <Text size="sm" aria-live="polite">
        {t("imports.progress.processing", { seconds, size: megabytes })}
      </Text>
    </Stack>
  );
}
