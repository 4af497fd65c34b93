import { useEffect, useMemo, useState } from "react";
import { importEndpoints } from "../api/endpoints";
import { useSession } from "../auth/session";
import type { ImportRunProgress } from "./types";

/** How often a running import is asked how far it is (the importer writes at most twice a second); tests shorten it. */
export const progressPolling = { intervalMs: 1000 };

/**
 * How far the import sent with Idempotency-Key ``key`` is, asked every ``intervalMs`` while ``key`` is set (the
 * upload has gone out and waits for its answer); null until the importer has said. A 404 (the importer has not
 * started on the file yet) or a lost answer only means asking again; the upload's own answer ends the polling,
 * by setting ``key`` to null.
 */
export function useImportProgress(
  key: string | null,
  intervalMs = progressPolling.intervalMs,
): ImportRunProgress | null {
  const { client } = useSession();
  const routes = useMemo(() => importEndpoints(client), [client]);
  const [progress, setProgress] = useState<ImportRunProgress | null>(null);

  useEffect(() => {
    setProgress(null);
    if (!key) return;
    const asked = key;
    const controller = new AbortController();
    let timer: number | undefined;
    let stopped = false;
    async function poll() {
      let finished = false;
      try {
        const answer = await routes.importProgress(asked, controller.signal);
        if (stopped) return;
        setProgress(answer);
        finished = answer.phase === "done" || answer.phase === "failed";
      } catch {
        if (stopped) return;
      }
      // One question at a time: the next is asked once this one is answered.
      if (!finished) timer = window.setTimeout(() => void poll(), intervalMs);
    }
    void poll();
    return () => {
      stopped = true;
      controller.abort();
      window.clearTimeout(timer);
    };
  }, [key, routes, intervalMs]);

  return progress;
}
