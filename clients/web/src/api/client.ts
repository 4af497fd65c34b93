import type { paths } from "./schema.gen";
import { ApiProblem, problemFrom, unreachable } from "./problem";
import type { TokenPair, TokenStore } from "./tokens";

type Method = "get" | "post" | "put" | "patch" | "delete";

/** The paths of docs/openapi.json that answer ``M``: a typo or a removed route fails the type check. */
export type PathsFor<M extends Method> = {
  [P in keyof paths]: paths[P][M] extends undefined ? never : P;
}[keyof paths];
type OperationOf<P extends keyof paths, M extends Method> = NonNullable<paths[P][M]>;
type ParametersOf<O> = O extends { parameters: infer X } ? X : never;
type QueryOf<O> = ParametersOf<O> extends { query?: infer Q } ? Q : never;
type PathParamsOf<O> = ParametersOf<O> extends { path?: infer Q } ? Q : never;
type BodyOf<O> = O extends { requestBody?: { content: { "application/json": infer B } } } ? B : never;

/** A call naming its answer type (``get<Answer>("/api/v1/x/{id}", ...)``) leaves P to its default, every path:
 * their path parameters would be a union that TypeScript reduces to its widest members (``{ entity }`` swallows
 * ``{ entity, account_number }``), refusing the other names. Such a call gets loosely typed path parameters; one
 * naming the path (``get<Answer, "/api/v1/x/{id}">``) keeps them exact. */
type PathOption<P extends keyof paths, M extends Method> = [PathsFor<M>] extends [P]
  ? Record<string, string | number>
  : PathParamsOf<OperationOf<P, M>>;

export interface RequestOptions<O, PathParams = PathParamsOf<O>> {
  path?: PathParams;
  query?: QueryOf<O>;
  body?: BodyOf<O>;
  signal?: AbortSignal;
}

export interface ApiClientOptions {
  tokens: TokenStore;
  /** The gateway's origin; "" when the client is served by the gateway itself (or through the dev proxy). */
  baseUrl?: string;
  fetch?: typeof fetch;
  /** Called when the sign-in is over (refresh refused): the app shows the sign-in page. */
  onSignedOut?: () => void;
}

export function buildUrl(
  baseUrl: string,
  template: string,
  path?: Record<string, unknown>,
  query?: Record<string, unknown>,
): string {
  const filled = template.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const value = path?.[name];
    if (value === undefined || value === null) throw new Error(`missing path parameter ${name} for ${template}`);
    return encodeURIComponent(String(value));
  });
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) {
    // The gateway's filters take "" as "no filter": leaving empty ones out keeps URLs short and readable.
    if (value === undefined || value === null || value === "") continue;
    for (const v of Array.isArray(value) ? value : [value]) search.append(key, String(v));
  }
  const qs = search.toString();
  return `${baseUrl}${filled}${qs ? `?${qs}` : ""}`;
}

/**
 * The one way the client talks to the gateway: typed by docs/openapi.json, bearer token on every request,
 * one silent refresh on a 401, and every failure as an {@link ApiProblem}.
 */
export class ApiClient {
  private readonly tokens: TokenStore;
  private readonly baseUrl: string;
  private readonly fetchFn: typeof fetch;
  private readonly onSignedOut?: () => void;
  private refreshing: Promise<boolean> | null = null;

  constructor(options: ApiClientOptions) {
    this.tokens = options.tokens;
    this.baseUrl = options.baseUrl ?? "";
    // Bound, or browsers throw "Illegal invocation" when fetch is called as a method of another object.
    this.fetchFn = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.onSignedOut = options.onSignedOut;
  }

  get signedIn(): boolean {
    return this.tokens.get() !== null;
  }

  async signIn(email: string, password: string): Promise<void> {
    const pair = await this.send<TokenPair>("POST", "/api/v1/auth/token", { email, password }, false);
    this.tokens.set(pair);
  }

  async signOut(): Promise<void> {
    const pair = this.tokens.get();
    this.tokens.set(null);
    if (!pair) return;
    try {
      await this.send("POST", "/api/v1/auth/logout", { refresh_token: pair.refresh_token }, false);
    } catch {
      // The local tokens are gone either way; an unreachable gateway lets the refresh token expire on its own.
    }
  }

  get<R, P extends PathsFor<"get"> = PathsFor<"get">>(
    path: P,
    options: RequestOptions<OperationOf<P, "get">, PathOption<P, "get">> = {},
  ): Promise<R> {
    return this.request<R>("GET", path, options);
  }

  post<R, P extends PathsFor<"post"> = PathsFor<"post">>(
    path: P,
    options: RequestOptions<OperationOf<P, "post">, PathOption<P, "post">> = {},
  ): Promise<R> {
    return this.request<R>("POST", path, options);
  }

  put<R, P extends PathsFor<"put"> = PathsFor<"put">>(
    path: P,
    options: RequestOptions<OperationOf<P, "put">, PathOption<P, "put">> = {},
  ): Promise<R> {
    return this.request<R>("PUT", path, options);
  }

  patch<R, P extends PathsFor<"patch"> = PathsFor<"patch">>(
    path: P,
    options: RequestOptions<OperationOf<P, "patch">, PathOption<P, "patch">> = {},
  ): Promise<R> {
    return this.request<R>("PATCH", path, options);
  }

  /** The access token requests are signed with now: for a request this client cannot send itself (an upload
   * whose progress is shown goes through XMLHttpRequest). */
  accessToken(): string | null {
    return this.tokens.get()?.access_token ?? null;
  }

  /** A GET whose answer is a file (an export): the response itself once it is OK, its body unread; an expired
   * token is refreshed once, shared with every other request, as for JSON answers. */
  async getFile(template: string, query?: Record<string, unknown>): Promise<Response> {
    const url = `${this.baseUrl}${buildUrl("", template, undefined, query)}`;
    const attempt = (pair: TokenPair | null) =>
      this.fetchFn(url, { method: "GET", headers: pair ? { Authorization: `Bearer ${pair.access_token}` } : {} }).catch(
        (error: unknown) => {
          throw unreachable(error);
        },
      );
    const pair = this.tokens.get();
    let response = await attempt(pair);
    if (response.status === 401 && pair && (await this.refresh(pair))) response = await attempt(this.tokens.get());
    if (!response.ok) {
      const problem = await problemFrom(response);
      if (problem.status === 401) this.endSignIn();
      throw problem;
    }
    return response;
  }

  private request<R>(
    method: string,
    template: string,
    options: { path?: unknown; query?: unknown; body?: unknown; signal?: AbortSignal },
  ): Promise<R> {
    const url = buildUrl(
      "",
      template,
      options.path as Record<string, unknown> | undefined,
      options.query as Record<string, unknown> | undefined,
    );
    // Every POST carries a key of its own, kept when it is sent again after a refresh: a click that reached the
    // gateway whose answer was lost (a dropped connection, a retry) is answered from the first time, not done twice.
    const key = method === "POST" ? newIdempotencyKey() : undefined;
    return this.send<R>(method, url, options.body, true, options.signal, false, key);
  }

  private async send<R>(
    method: string,
    url: string,
    body: unknown,
    authenticated: boolean,
    signal?: AbortSignal,
    retried = false,
    idempotencyKey?: string,
  ): Promise<R> {
    const headers: Record<string, string> = { Accept: "application/json, application/problem+json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (idempotencyKey) headers["Idempotency-Key"] = idempotencyKey;
    const pair = authenticated ? this.tokens.get() : null;
    if (pair) headers.Authorization = `Bearer ${pair.access_token}`;
    let response: Response;
    try {
      response = await this.fetchFn(`${this.baseUrl}${url}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal,
      });
    } catch (error) {
      if (signal?.aborted) throw error;
      throw unreachable(error);
    }
    if (response.status === 401 && authenticated && pair && !retried) {
      if (await this.refresh(pair)) return this.send<R>(method, url, body, authenticated, signal, true, idempotencyKey);
      // refresh() has already ended the sign-in if the gateway refused it; an unreachable one keeps it.
      throw await problemFrom(response);
    }
    if (!response.ok) {
      const problem = await problemFrom(response);
      if (problem.status === 401 && authenticated) this.endSignIn();
      throw problem;
    }
    if (response.status === 204) return undefined as R;
    const type = response.headers.get("Content-Type") ?? "";
    return (type.includes("json") ? await response.json() : await response.text()) as R;
  }

  /**
   * A new token pair for the one that was refused. Requests failing together share one refresh: the gateway
   * uses a refresh token up, and presenting it a second time revokes the whole sign-in as stolen.
   */
  private refresh(stale: TokenPair): Promise<boolean> {
    const current = this.tokens.get();
    // Another request already refreshed since this one was sent: retry with the new token.
    if (current && current.access_token !== stale.access_token) return Promise.resolve(true);
    if (!current) return Promise.resolve(false);
    this.refreshing ??= (async () => {
      try {
        const pair = await this.send<TokenPair>(
          "POST",
          "/api/v1/auth/refresh",
          { refresh_token: current.refresh_token },
          false,
        );
        this.tokens.set(pair);
        return true;
      } catch (error) {
        if (error instanceof ApiProblem && error.status !== 0) this.endSignIn();
        return false;
      } finally {
        this.refreshing = null;
      }
    })();
    return this.refreshing;
  }

  private endSignIn(): void {
    this.tokens.set(null);
    this.onSignedOut?.();
  }
}

function newIdempotencyKey(): string {
  // randomUUID needs a secure context; a page served over plain http on a LAN address is not one.
  if (typeof crypto !== "undefined" && typeof crypto.randomUUID === "function") return crypto.randomUUID();
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}-${Math.random().toString(36).slice(2)}`;
}
