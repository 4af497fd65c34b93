import { buildUrl, type ApiClient } from "../api/client";
import { problemFrom, unreachable } from "../api/problem";
import type { TokenPair, TokenStore } from "../api/tokens";
import type { ReportPath } from "../api/endpoints";
import type { ExportFormat, ReportQuery } from "./types";

export interface DownloadedFile {
  name: string;
  blob: Blob;
  /** The gateway exports one page: the token of the next, when there is one. */
  nextPageToken: string | null;
}

/**
 * The file name of a Content-Disposition header: the exact RFC 5987 `filename*` when given, else the plain
 * `filename`, else ``fallback``.
 */
export function fileNameOf(disposition: string | null, fallback: string): string {
  if (!disposition) return fallback;
  const exact = /filename\*\s*=\s*UTF-8''([^;]+)/i.exec(disposition);
  if (exact) {
    try {
      return decodeURIComponent(exact[1]!.trim());
    } catch {
      // A malformed escape: the ASCII name below is still good.
    }
  }
  const plain = /filename\s*=\s*"?([^";]+)"?/i.exec(disposition);
  return plain ? plain[1]!.trim() : fallback;
}

/*
 * The JSON wrapper reads a non-JSON answer as text, which would mangle an XLSX file, and keeps its token store
 * private. The export reuses the wrapper's token, fetch and base URL as they are (read through a cast) and
 * its shared refresh: on a 401 it asks /me through the wrapper, which refreshes once for everybody, and retries.
 * A `getBlob` on ApiClient would make this unnecessary.
 */
interface ClientInternals {
  tokens: TokenStore;
  fetchFn: typeof fetch;
  baseUrl: string;
}

function internals(client: ApiClient): ClientInternals {
  // TypeScript-private, plain properties at run time.
  return client as unknown as ClientInternals;
}

/** The report page as the gateway exports it (`format=csv|xlsx`), fetched with the signed-in user's token. */
export async function fetchExport(
  client: ApiClient,
  path: ReportPath,
  query: ReportQuery,
  format: ExportFormat,
): Promise<DownloadedFile> {
  const { tokens, fetchFn, baseUrl } = internals(client);
  const url = buildUrl(baseUrl, path, undefined, { ...query, format, page_token: query.page_token });
  const send = (pair: TokenPair | null) =>
    fetchFn(url, {
      method: "GET",
      headers: pair ? { Authorization: `Bearer ${pair.access_token}` } : {},
    }).catch((error: unknown) => {
      throw unreachable(error);
    });
  let response = await send(tokens.get());
  if (response.status === 401) {
    // Through the wrapper: its one shared refresh, or the end of the sign-in when the refresh is refused.
    await client.get("/api/v1/me");
    response = await send(tokens.get());
  }
  if (!response.ok) throw await problemFrom(response);
  const fallback = `${path.split("/").pop()}.${format}`;
  return {
    name: fileNameOf(response.headers.get("Content-Disposition"), fallback),
    blob: await response.blob(),
    nextPageToken: response.headers.get("X-Next-Page-Token"),
  };
}

/** Hands ``file`` to the browser as a download. */
export function saveFile(file: DownloadedFile, doc: Document = document): void {
  const href = URL.createObjectURL(file.blob);
  const link = doc.createElement("a");
  link.href = href;
  link.download = file.name;
  link.style.display = "none";
  doc.body.appendChild(link);
  link.click();
  link.remove();
  // Revoked after the click has been handled: revoking at once can cancel the download in some browsers.
  setTimeout(() => URL.revokeObjectURL(href), 0);
}
