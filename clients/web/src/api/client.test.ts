import { describe, expect, it, vi } from "vitest";
import { fakeFetch, json, PAIR } from "../test/render";
import { ApiClient, buildUrl } from "./client";
import { ApiProblem } from "./problem";
import { MemoryTokenStore } from "./tokens";

const NEW_PAIR = { ...PAIR, access_token: "access-2", refresh_token: "refresh-2" };

function bearer(headers: Headers): string | null {
  return headers.get("Authorization");
}

describe("ApiClient", () => {
  it("sends the access token and answers the JSON body", async () => {
    const gateway = fakeFetch(({ url }) =>
      url.pathname === "/api/v1/me" ? json({ email: "anna@example.com" }) : undefined,
    );
    const api = new ApiClient({ tokens: new MemoryTokenStore(PAIR), fetch: gateway.fn });

    await expect(api.get<{ email: string }>("/api/v1/me")).resolves.toEqual({ email: "anna@example.com" });
    expect(bearer(gateway.calls[0]!.headers)).toBe("Bearer access-1");
  });

  it("refreshes an expired access token once and retries the request with the new one", async () => {
    const gateway = fakeFetch(({ url, headers, body }) => {
      if (url.pathname === "/api/v1/auth/refresh") {
        expect(body).toEqual({ refresh_token: "refresh-1" });
        return json(NEW_PAIR);
      }
      if (bearer(headers) === "Bearer access-2") return json({ total: 3, items: [], next_page_token: null });
      return json({ title: "Unauthorized", status: 401, detail: "token expired" }, 401);
    });
    const tokens = new MemoryTokenStore(PAIR);
    const api = new ApiClient({ tokens, fetch: gateway.fn });

    await expect(api.get("/api/v1/agenda")).resolves.toMatchObject({ total: 3 });
    expect(tokens.get()?.access_token).toBe("access-2");
    expect(gateway.calls.map((c) => c.url.pathname)).toEqual([
      "/api/v1/agenda",
      "/api/v1/auth/refresh",
      "/api/v1/agenda",
    ]);
  });

  it("gives each POST its own Idempotency-Key and keeps it when the request is sent again after a refresh", async () => {
    const gateway = fakeFetch(({ url, headers }) => {
      if (url.pathname === "/api/v1/auth/refresh") return json(NEW_PAIR);
      if (bearer(headers) === "Bearer access-2") return json({ results: [] });
      return json({ title: "Unauthorized", status: 401, detail: "token expired" }, 401);
    });
    const api = new ApiClient({ tokens: new MemoryTokenStore(PAIR), fetch: gateway.fn });

    await api.post("/api/v1/agenda/bulk", { body: { action: "perform", task_ids: ["t-1"] } } as never);
    await api.post("/api/v1/agenda/bulk", { body: { action: "perform", task_ids: ["t-2"] } } as never);
    await api.get("/api/v1/agenda");

    const keys = gateway.calls
      .filter((c) => c.url.pathname !== "/api/v1/auth/refresh")
      .map((c) => [c.method, c.headers.get("Idempotency-Key")]);
    expect(keys[0]![1]).toMatch(/.{16,}/);
    expect(keys[1]).toEqual(keys[0]); // the first POST, sent again with the new token
    expect(keys[2]![1]).not.toBe(keys[0]![1]);
    expect(keys[3]).toEqual(["GET", null]);
  });

  it("shares one refresh between requests refused together, since a refresh token works only once", async () => {
    let refreshes = 0;
    const gateway = fakeFetch(({ url, headers }) => {
      if (url.pathname === "/api/v1/auth/refresh") {
        refreshes += 1;
        return json(NEW_PAIR);
      }
      return bearer(headers) === "Bearer access-2"
        ? json({ ok: true })
        : json({ title: "Unauthorized", status: 401 }, 401);
    });
    const api = new ApiClient({ tokens: new MemoryTokenStore(PAIR), fetch: gateway.fn });

    await Promise.all([api.get("/api/v1/me"), api.get("/api/v1/entities"), api.get("/api/v1/agenda")]);
    expect(refreshes).toBe(1);
  });

  it("ends the sign-in when the refresh token is refused", async () => {
    const gateway = fakeFetch(() =>
      json({ type: "about:blank", title: "Unauthorized", status: 401, detail: "sign in again" }, 401),
    );
    const tokens = new MemoryTokenStore(PAIR);
    const onSignedOut = vi.fn();
    const api = new ApiClient({ tokens, fetch: gateway.fn, onSignedOut });

    const failure = await api.get("/api/v1/me").catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ApiProblem);
    expect((failure as ApiProblem).status).toBe(401);
    expect(tokens.get()).toBeNull();
    expect(onSignedOut).toHaveBeenCalled();
    // The original request, one refresh, and no retry loop.
    expect(gateway.calls).toHaveLength(2);
  });

  it("turns an RFC 9457 problem into an ApiProblem with its title, detail and Retry-After", async () => {
    const gateway = fakeFetch(() =>
      json(
        {
          type: "about:blank",
          title: "Choose an entity",
          status: 422,
          detail: "your scope holds CZ01, FR01",
          instance: "/api/v1/agenda",
        },
        422,
        { "Retry-After": "30" },
      ),
    );
    const api = new ApiClient({ tokens: new MemoryTokenStore(PAIR), fetch: gateway.fn });

    const problem = (await api.get("/api/v1/agenda").catch((e: unknown) => e)) as ApiProblem;
    expect(problem).toMatchObject({
      status: 422,
      title: "Choose an entity",
      detail: "your scope holds CZ01, FR01",
      instance: "/api/v1/agenda",
      retryAfterSeconds: 30,
    });
  });

  it("reads FastAPI's validation errors as field lines", async () => {
    const gateway = fakeFetch(() =>
      json(
        {
          detail: [
            { loc: ["body", "postpone_to"], msg: "Input should be a valid date", type: "date_from_datetime_parsing" },
            { loc: ["body", "task_ids"], msg: "List should have at least 1 item", type: "too_short" },
          ],
        },
        422,
      ),
    );
    const api = new ApiClient({ tokens: new MemoryTokenStore(PAIR), fetch: gateway.fn });

    const problem = (await api
      .post("/api/v1/agenda/bulk", { body: { action: "postpone", task_ids: [] } })
      .catch((e: unknown) => e)) as ApiProblem;
    expect(problem.title).toBe("Invalid request");
    expect(problem.errors).toEqual([
      "postpone_to: Input should be a valid date",
      "task_ids: List should have at least 1 item",
    ]);
  });

  it("reports an unreachable gateway as a problem of status 0", async () => {
    const api = new ApiClient({
      tokens: new MemoryTokenStore(PAIR),
      fetch: (() => Promise.reject(new TypeError("Failed to fetch"))) as typeof fetch,
    });
    await expect(api.get("/api/v1/me")).rejects.toMatchObject({ status: 0, detail: "Failed to fetch" });
  });

  it("signs in and stores the pair; signing out revokes the refresh token", async () => {
    const gateway = fakeFetch(({ url }) =>
      url.pathname === "/api/v1/auth/token"
        ? json(PAIR)
        : url.pathname === "/api/v1/auth/logout"
          ? new Response(null, { status: 204 })
          : undefined,
    );
    const tokens = new MemoryTokenStore();
    const api = new ApiClient({ tokens, fetch: gateway.fn });

    await api.signIn("anna@example.com", "a long password");
    expect(gateway.calls[0]!.body).toEqual({ email: "anna@example.com", password: "a long password" });
    expect(bearer(gateway.calls[0]!.headers)).toBeNull();
    expect(tokens.get()).toEqual(PAIR);

    await api.signOut();
    expect(gateway.calls[1]!.body).toEqual({ refresh_token: "refresh-1" });
    expect(tokens.get()).toBeNull();
  });
});

describe("buildUrl", () => {
  it("fills path parameters encoded and leaves empty filters out", () => {
    expect(
      buildUrl(
        "",
        "/api/v1/customers/{entity}/{account_number}/timeline",
        { entity: "FR01", account_number: "C 1/2" },
        {
          kind: ["item.qualified", "task.performed"],
          page_size: 50,
          item: "",
          from: null,
        },
      ),
    ).toBe("/api/v1/customers/FR01/C%201%2F2/timeline?kind=item.qualified&kind=task.performed&page_size=50");
  });
});
