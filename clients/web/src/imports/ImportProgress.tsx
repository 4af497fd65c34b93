import { Progress, Stack, Text } from "@mantine/core";
import { useEffect, useState } from "react";
import type { TFunction } from "i18next";
import { useTranslation } from "react-i18next";
import { formatNumber } from "../format/format";
import type { ImportRunProgress } from "./types";

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

/** What the importer says it is doing, in words: the rows read and, with an estimate of the file's rows, the share. */
export function runningText(progress: ImportRunProgress, t: TFunction, locale: string): string {
  const rows = formatNumber(progress.rows_read, locale);
  switch (progress.phase) {
    case "closing_snapshot":
      return t("imports.progress.closingSnapshot", { rows });
    case "committing":
      return t("imports.progress.committing", { rows });
    case "done":
      return t("imports.progress.done", { rows });
    case "failed":
      return t("imports.progress.failed");
    default:
      if (progress.percent !== null && progress.rows_estimated !== null)
        return t("imports.progress.readingOf", {
          rows,
          total: formatNumber(progress.rows_estimated, locale),
          percent: progress.percent,
        });
      return t("imports.progress.reading", { rows });
  }
}

/** A bar for screen readers as well: its value when known, else none (indeterminate), and always its text. */
function Bar({ label, text, percent }: { label: string; text: string; percent: number | null }) {
  const known = percent !== null;
  return (
    <Progress.Root size="lg">
      <Progress.Section
        value={known ? percent : 100}
        striped={!known}
        animated={!known}
        withAria={false}
        role="progressbar"
        aria-label={label}
        aria-valuemin={known ? 0 : undefined}
        aria-valuemax={known ? 100 : undefined}
        aria-valuenow={known ? percent : undefined}
        aria-valuetext={text}
      />
    </Progress.Root>
  );
}

/**
 * The progress bar of a running import: the upload's bytes going out, then the rows the importer has read as it
 * reports them (``running``, asked of the gateway while the upload waits for its answer). Before the importer's
 * first report, and for uploads it does not report on, an animated bar with the time spent.
 */
export function ImportProgress({
  state,
  label,
  running = null,
}: {
  state: UploadPhase;
  label: string;
  running?: ImportRunProgress | null;
}) {
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
  if (running) {
    const text = runningText(running, t, i18n.language);
    const percent = running.phase === "reading" ? running.percent : null;
    return (
      <Stack gap={4}>
        <Bar label={label} text={text} percent={percent} />
        {/* The phase is announced when it changes; the rows, every second, only on the bar. */}
        <Text size="sm" aria-live="polite" data-testid="import-phase">
          {t(`imports.progress.phase.${running.phase}`)}
        </Text>
        <Text size="sm" c="dimmed">
          {text} · {t("imports.progress.elapsed", { seconds, size: megabytes })}
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
