import type { ApiClient } from "../api/client";
import { ApiProblem, problemFrom, unreachable } from "../api/problem";
import type { RowError } from "./types";

/** A file the importer refused as a whole (422), with the rows and reasons it gave. */
export class FileRejected extends Error {
  readonly problem: ApiProblem;
  readonly rows: RowError[];

  constructor(problem: ApiProblem, rows: RowError[]) {
    super(problem.message);
    this.name = "FileRejected";
    this.problem = problem;
    this.rows = rows;
  }
}

function rowErrorsOf(text: string): RowError[] {
  try {
    const body = JSON.parse(text) as { errors?: unknown };
    if (!Array.isArray(body.errors)) return [];
    return body.errors.filter(
      (e): e is RowError => typeof e === "object" && e !== null && typeof (e as RowError).reason === "string",
    );
  } catch {
    return [];
  }
}

export interface UploadProgress {
  loaded: number;
  total: number;
}

export interface UploadRequest {
  path: string;
  query?: Record<string, string | boolean | undefined>;
  file: File;
  /** The same key on a repeat of the same upload: the importer then answers the first import again. */
  idempotencyKey?: string;
  onProgress?(progress: UploadProgress): void;
  signal?: AbortSignal;
}

/*
 * The shared fetch wrapper (src/api/client.ts) speaks JSON only and fetch() cannot report how much of a request
 * body has gone out, so multipart uploads are sent here with XMLHttpRequest, whose upload events drive the
 * progress bar. The bearer token is the session client's own: this takes its access token (ApiClient.accessToken), and asks the client
 * for a refresh (one GET through it) when the gateway refuses an expired token.
 */

export function newIdempotencyKey(): string {
  if (typeof crypto !== "undefined" && typeof crypto.randomUUID === "function") return crypto.randomUUID();
  return `upload-${Date.now()}-${Math.random().toString(36).slice(2)}`;
}

function urlOf(path: string, query: UploadRequest["query"]): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value === undefined || value === "") continue;
    search.append(key, String(value));
  }
  const qs = search.toString();
  return qs ? `${path}?${qs}` : path;
}

function sendOnce(request: UploadRequest, token: string | null, key: string): Promise<Response> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", urlOf(request.path, request.query));
    xhr.setRequestHeader("Accept", "application/json, application/problem+json");
    xhr.setRequestHeader("Idempotency-Key", key);
    if (token) xhr.setRequestHeader("Authorization", `Bearer ${token}`);
    xhr.upload.onprogress = (event) => {
      const total = event.lengthComputable ? event.total : request.file.size;
      request.onProgress?.({ loaded: event.loaded, total });
    };
    xhr.onload = () => {
      const type = xhr.getResponseHeader("Content-Type") ?? "application/json";
      const retry = xhr.getResponseHeader("Retry-After");
      const headers: Record<string, string> = { "Content-Type": type };
      if (retry) headers["Retry-After"] = retry;
      // A Response, so that errors go through the same problemFrom as every other answer.
      resolve(new Response(xhr.status === 204 ? null : xhr.responseText, { status: xhr.status, headers }));
    };
    xhr.onerror = () => reject(unreachable(new Error(`upload of ${request.file.name} failed`)));
    xhr.onabort = () => reject(new DOMException("upload cancelled", "AbortError"));
    request.signal?.addEventListener("abort", () => xhr.abort(), { once: true });
    const form = new FormData();
    form.append("file", request.file, request.file.name);
    xhr.send(form);
  });
}

/** POST a file as multipart/form-data; answers the JSON body, or throws an ApiProblem. */
export async function uploadFile<R>(client: ApiClient, refresh: () => Promise<unknown>, request: UploadRequest) {
  const key = request.idempotencyKey ?? newIdempotencyKey();
  const first = client.accessToken();
  let response = await sendOnce(request, first, key);
  if (response.status === 401 && first) {
    // The access token expired: any request through the client refreshes it, then the upload goes again.
    await refresh().catch(() => undefined);
    const now = client.accessToken();
    if (now && now !== first) response = await sendOnce(request, now, key);
  }
  if (!response.ok) {
    const text = await response.clone().text();
    const problem = await problemFrom(response);
    const rows = problem.status === 422 ? rowErrorsOf(text) : [];
    throw rows.length > 0 ? new FileRejected(problem, rows) : problem;
  }
  return (await response.json()) as R;
}
