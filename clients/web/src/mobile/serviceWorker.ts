/**
 * Registers public/sw.js (the app shell kept for offline use) in production builds only: in development Vite
 * serves changing modules a cached shell would hide. Browsers without service workers simply go without.
 * Once the worker runs, it is told which built files this page already loaded (before it could see them).
 */
export function registerServiceWorker(
  production: boolean = import.meta.env.PROD,
  base: string = import.meta.env.BASE_URL,
  container: ServiceWorkerContainer | undefined = typeof navigator === "undefined"
    ? undefined
    : navigator.serviceWorker,
): Promise<ServiceWorkerRegistration | undefined> {
  if (!production || !container) return Promise.resolve(undefined);
  return container.register(`${base}sw.js`, { scope: base }).then(
    async (registration) => {
      const ready = await container.ready;
      ready.active?.postMessage({ type: "opendso-cache-assets", urls: loadedAssets(base) });
      return registration;
    },
    () => undefined,
  );
}

/** The built files (scripts, styles) this page loaded. */
export function loadedAssets(base: string, entries: readonly { name: string }[] = resourceEntries()): string[] {
  const prefix = `${base}assets/`;
  return entries
    .map((e) => e.name)
    .filter((name) => {
      try {
        return new URL(name, "http://x").pathname.startsWith(prefix);
      } catch {
        return false;
      }
    });
}

function resourceEntries(): readonly { name: string }[] {
  return typeof performance === "undefined" || !performance.getEntriesByType
    ? []
    : performance.getEntriesByType("resource");
}
