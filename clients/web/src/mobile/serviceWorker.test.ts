// @vitest-environment node
import { readFileSync } from "node:fs";
import { describe, expect, it, vi } from "vitest";
import { loadedAssets, registerServiceWorker } from "./serviceWorker";

describe("the service worker registration", () => {
  it("registers public/sw.js under the app's base in a production build", async () => {
    const register = vi.fn(async () => ({}) as ServiceWorkerRegistration);
    const postMessage = vi.fn();
    const container = { register, ready: Promise.resolve({ active: { postMessage } }) };
    await registerServiceWorker(true, "/app/", container as unknown as ServiceWorkerContainer);
    expect(register).toHaveBeenCalledWith("/app/sw.js", { scope: "/app/" });
    expect(postMessage).toHaveBeenCalledWith({ type: "opendso-cache-assets", urls: expect.any(Array) });
  });

  it("names the built files the page loaded, not the API", () => {
    const entries = [
      { name: "https://dso.test/app/assets/MobileHome-1.js" },
      { name: "https://dso.test/api/v1/mobile/disputes" },
      { name: "https://dso.test/app/assets/index-2.css" },
    ];
    expect(loadedAssets("/app/", entries)).toEqual([
      "https://dso.test/app/assets/MobileHome-1.js",
      "https://dso.test/app/assets/index-2.css",
    ]);
  });

  it("does nothing in development or without service workers", async () => {
    const register = vi.fn();
    expect(await registerServiceWorker(false, "/app/", { register } as unknown as ServiceWorkerContainer)).toBe(
      undefined,
    );
    expect(await registerServiceWorker(true, "/app/", undefined)).toBe(undefined);
    expect(register).not.toHaveBeenCalled();
  });
});

/** public/sw.js run against a fake worker global: its handlers, its cache and the network it sees. */
function loadWorker(network: (url: string) => Response | Promise<Response>) {
  const handlers: Record<string, (event: unknown) => void> = {};
  const store = new Map<string, Response>();
  const key = (r: string | Request) => new URL(typeof r === "string" ? r : r.url, "https://dso.test").href;
  const cache = {
    addAll: async (urls: string[]) => {
      for (const u of urls) store.set(key(u), await network(key(u)));
    },
    put: async (r: string | Request, answer: Response) => void store.set(key(r), answer),
    match: async (r: string | Request) => store.get(key(r))?.clone(),
  };
  const fakeSelf = {
    location: { href: "https://dso.test/app/sw.js", origin: "https://dso.test" },
    addEventListener: (name: string, fn: (event: unknown) => void) => (handlers[name] = fn),
    skipWaiting: async () => undefined,
    clients: { claim: async () => undefined },
  };
  const caches = {
    open: async () => cache,
    keys: async () => ["opendso-shell-v0"],
    delete: async () => true,
    match: (r: string | Request) => cache.match(r),
  };
  const fetchFn = async (r: Request) => network(r.url);
  const source = readFileSync(new URL("../../public/sw.js", import.meta.url), "utf8");
  new Function("self", "caches", "fetch", source)(fakeSelf, caches, fetchFn);

  async function dispatch(request: Request, mode = "no-cors") {
    Object.defineProperty(request, "mode", { value: mode });
    let answer: Promise<Response> | undefined;
    handlers.fetch!({ request, respondWith: (p: Promise<Response>) => (answer = p) });
    return answer;
  }
  async function install() {
    let done: Promise<unknown> = Promise.resolve();
    handlers.install!({ waitUntil: (p: Promise<unknown>) => (done = p) });
    await done;
  }
  async function message(data: unknown) {
    let done: Promise<unknown> = Promise.resolve();
    handlers.message!({ data, waitUntil: (p: Promise<unknown>) => (done = p) });
    await done;
  }
  return { dispatch, install, message, store };
}

const INDEX_HTML =
  '<html><script type="module" src="/app/assets/index-abc.js"></script><link rel="stylesheet" href="/app/assets/index-def.css"></html>';

describe("the service worker", () => {
  it("caches the shell and the assets index.html names at install", async () => {
    const worker = loadWorker((url) => new Response(url.endsWith("index.html") ? INDEX_HTML : "x"));
    await worker.install();
    expect([...worker.store.keys()]).toEqual(
      expect.arrayContaining([
        "https://dso.test/app/",
        "https://dso.test/app/index.html",
        "https://dso.test/app/assets/index-abc.js",
        "https://dso.test/app/assets/index-def.css",
      ]),
    );
  });

  it("leaves API calls and requests carrying a token to the network, uncached", async () => {
    const worker = loadWorker(() => new Response("{}"));
    expect(await worker.dispatch(new Request("https://dso.test/api/v1/mobile/disputes"))).toBeUndefined();
    expect(await worker.dispatch(new Request("https://dso.test/portal-internal/t/answer"))).toBeUndefined();
    const signed = new Request("https://dso.test/app/assets/x.js", { headers: { Authorization: "Bearer a" } });
    expect(await worker.dispatch(signed)).toBeUndefined();
    expect(await worker.dispatch(new Request("https://dso.test/app/x", { method: "POST" }))).toBeUndefined();
    expect(worker.store.size).toBe(0);
  });

  it("opens the app offline from the cached index.html", async () => {
    let online = true;
    const worker = loadWorker((url) => {
      if (!online) throw new TypeError("Failed to fetch");
      return new Response(url.endsWith("index.html") ? INDEX_HTML : "asset");
    });
    await worker.install();
    online = false;
    const page = await worker.dispatch(new Request("https://dso.test/app/mobile/accounts/FR01/C1"), "navigate");
    expect(await page!.text()).toBe(INDEX_HTML);
    const asset = await worker.dispatch(new Request("https://dso.test/app/assets/index-abc.js"));
    expect(await asset!.text()).toBe("asset");
  });

  it("keeps the built files the page names, and nothing else", async () => {
    const worker = loadWorker(() => new Response("asset"));
    await worker.message({
      type: "opendso-cache-assets",
      urls: [
        "https://dso.test/app/assets/MobileHome-1.js",
        "https://dso.test/api/v1/me",
        "https://evil.test/app/assets/x.js",
      ],
    });
    expect([...worker.store.keys()]).toEqual(["https://dso.test/app/assets/MobileHome-1.js"]);
  });
});
