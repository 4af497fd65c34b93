/*
 * OpenDSO's service worker: keeps the app shell (index.html and the built files under /app/) so the app opens
 * without a network. Only the shell: API answers are never cached here (the sales-rep view keeps its own copies of
 * the accounts it showed, src/mobile/recent.ts), and neither is any request carrying a token.
 * Registered by src/main.tsx in production builds only.
 */
const VERSION = "opendso-shell-v1";
const SCOPE = new URL("./", self.location.href).pathname; // "/app/"
const INDEX = SCOPE + "index.html";
const STATIC = [SCOPE, INDEX, SCOPE + "manifest.webmanifest"];

/** The hashed files index.html loads: cached at install, so the shell opens offline from the first visit. */
function assetsOf(html) {
  const found = new Set();
  for (const match of html.matchAll(/(?:src|href)="([^"]+)"/g)) {
    const url = new URL(match[1], self.location.href);
    if (url.origin === self.location.origin && url.pathname.startsWith(SCOPE + "assets/")) found.add(url.pathname);
  }
  return [...found];
}

self.addEventListener("install", (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(VERSION);
      await cache.addAll(STATIC);
      const index = await cache.match(INDEX);
      if (index) await cache.addAll(assetsOf(await index.text()));
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) if (name !== VERSION) await caches.delete(name);
      await self.clients.claim();
    })(),
  );
});

// The page names the built files it loaded before this worker controlled it (the first visit): kept as well.
self.addEventListener("message", (event) => {
  const data = event.data;
  if (!data || data.type !== "opendso-cache-assets" || !Array.isArray(data.urls)) return;
  const wanted = data.urls
    .map((u) => new URL(String(u), self.location.href))
    .filter((url) => url.origin === self.location.origin && url.pathname.startsWith(SCOPE + "assets/"))
    .map((url) => url.pathname);
  event.waitUntil(caches.open(VERSION).then((cache) => cache.addAll(wanted)));
});

/** Whether the worker may answer ``request`` from its cache: same-origin GETs of the shell, never a token's. */
function isShell(request) {
  if (request.method !== "GET" || request.headers.has("Authorization")) return false;
  const url = new URL(request.url);
  return url.origin === self.location.origin && url.pathname.startsWith(SCOPE);
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (!isShell(request)) return; // the API, the portal and other origins go to the network untouched
  if (request.mode === "navigate") {
    // Network first, so a new release shows at once; offline, the cached index.html routes in the browser.
    event.respondWith(
      (async () => {
        try {
          const answer = await fetch(request);
          if (answer.ok) {
            const cache = await caches.open(VERSION);
            await cache.put(INDEX, answer.clone());
          }
          return answer;
        } catch (failure) {
          const cached = await caches.match(INDEX);
          if (cached) return cached;
          throw failure;
        }
      })(),
    );
    return;
  }
  // Built files have hashed names: once cached they never change; others are fetched and kept for offline use.
  event.respondWith(
    (async () => {
      const cached = await caches.match(request);
      if (cached) return cached;
      const answer = await fetch(request);
      if (answer.ok && answer.type === "basic") {
        const cache = await caches.open(VERSION);
        await cache.put(request, answer.clone());
      }
      return answer;
    })(),
  );
});
