import type { ApiClient } from "../api/client";
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

/** The report page as the gateway exports it (`format=csv|xlsx`), fetched with the signed-in user's token. */
export async function fetchExport(
  client: ApiClient,
  path: ReportPath,
  query: ReportQuery,
  format: ExportFormat,
): Promise<DownloadedFile> {
  // The client's getFile, not get: a JSON client would read an XLSX answer as text and mangle it.
  const response = await client.getFile(path, { ...query, format, page_token: query.page_token });
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
