/** An error answer of the gateway as RFC 9457 problem details, whatever shape it came in. */
export class ApiProblem extends Error {
  readonly status: number;
  readonly title: string;
  readonly detail: string;
  readonly type: string;
  readonly instance?: string;
  /** Field errors of a request the gateway refused as invalid (FastAPI's 422 body), as "where: what" lines. */
  readonly errors: string[];
  readonly retryAfterSeconds?: number;

  constructor(init: {
    status: number;
    title: string;
    detail?: string;
    type?: string;
    instance?: string;
    errors?: string[];
    retryAfterSeconds?: number;
  }) {
    super(init.detail ? `${init.title}: ${init.detail}` : init.title);
    this.name = "ApiProblem";
    this.status = init.status;
    this.title = init.title;
    this.detail = init.detail ?? "";
    this.type = init.type ?? "about:blank";
    this.instance = init.instance;
    this.errors = init.errors ?? [];
    this.retryAfterSeconds = init.retryAfterSeconds;
  }
}

interface ValidationIssue {
  loc?: (string | number)[];
  msg?: string;
}

function validationLines(detail: unknown): string[] {
  if (!Array.isArray(detail)) return [];
  return (detail as ValidationIssue[]).map((issue) => {
    // "body", "query" and "path" say where FastAPI looked, which a user does not need to read.
    const where = (issue.loc ?? []).filter((part, i) => !(i === 0 && typeof part === "string")).join(".");
    return where ? `${where}: ${issue.msg ?? ""}` : (issue.msg ?? "");
  });
}

/**
 * The problem a failed response carries. The gateway answers problem+json for its own refusals but FastAPI's
 * validation errors come as `{"detail": [...]}` and a proxy in front may answer plain text: all three become one
 * ApiProblem, so screens only ever show `title` and `detail`.
 */
export async function problemFrom(response: Response): Promise<ApiProblem> {
  const retryHeader = response.headers.get("Retry-After");
  const retryAfterSeconds = retryHeader && /^\d+$/.test(retryHeader) ? Number(retryHeader) : undefined;
  const fallbackTitle = response.statusText || `HTTP ${response.status}`;
  let body: unknown;
  const text = await response.text().catch(() => "");
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  if (body && typeof body === "object") {
    const b = body as Record<string, unknown>;
    if (typeof b.title === "string" || typeof b.type === "string") {
      return new ApiProblem({
        status: typeof b.status === "number" ? b.status : response.status,
        title: typeof b.title === "string" ? b.title : fallbackTitle,
        detail: typeof b.detail === "string" ? b.detail : undefined,
        type: typeof b.type === "string" ? b.type : undefined,
        instance: typeof b.instance === "string" ? b.instance : undefined,
        errors: Array.isArray(b.errors) ? b.errors.map((e) => (typeof e === "string" ? e : JSON.stringify(e))) : [],
        retryAfterSeconds,
      });
    }
    if (Array.isArray(b.detail)) {
      const errors = validationLines(b.detail);
      return new ApiProblem({
        status: response.status,
        title: "Invalid request",
        detail: errors.join("; "),
        errors,
        retryAfterSeconds,
      });
    }
    if (typeof b.detail === "string") {
      return new ApiProblem({ status: response.status, title: fallbackTitle, detail: b.detail, retryAfterSeconds });
    }
  }
  return new ApiProblem({
    status: response.status,
    title: fallbackTitle,
    detail: text.slice(0, 500) || undefined,
    retryAfterSeconds,
  });
}

/** A network failure (gateway down, offline) as a problem, so screens handle one error type. */
export function unreachable(cause: unknown): ApiProblem {
  return new ApiProblem({
    status: 0,
    title: "Gateway unreachable",
    detail: cause instanceof Error ? cause.message : String(cause),
  });
}
