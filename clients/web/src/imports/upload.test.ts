import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ApiClient } from "../api/client";
import { ApiProblem } from "../api/problem";
import { MemoryTokenStore } from "../api/tokens";
import { PAIR } from "../test/render";
import { FakeXhr } from "./fakeXhr";
import { uploadFile } from "./upload";

beforeEach(() => {
  FakeXhr.sent = [];
  vi.stubGlobal("XMLHttpRequest", FakeXhr);
});
afterEach(() => vi.unstubAllGlobals());

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

describe("multipart uploads", () => {
  it("sends again with the refreshed token and the same Idempotency-Key after a 401", async () => {
    const tokens = new MemoryTokenStore(PAIR);
    const client = new ApiClient({ tokens, fetch: vi.fn() as unknown as typeof fetch });
    const refresh = vi.fn(async () => tokens.set({ ...PAIR, access_token: "access-2" }));
    const file = new File(["a,b\n"], "items.csv");
    const answer = uploadFile<{ import_id: string }>(client, refresh, {
      path: "/api/v1/imports/receivables",
      query: { mode: "incremental", dry_run: true, entities: "" },
      file,
      idempotencyKey: "key-1",
    });
    await tick();
    const first = FakeXhr.sent[0]!;
    expect(first.url).toBe("/api/v1/imports/receivables?mode=incremental&dry_run=true");
    expect(first.headers.Authorization).toBe("Bearer access-1");
    first.respond(401, { title: "Unauthorized", status: 401, detail: "token expired" });
    await vi.waitFor(() => expect(FakeXhr.sent).toHaveLength(2));
    const second = FakeXhr.sent[1]!;
    expect(refresh).toHaveBeenCalledOnce();
    expect(second.headers.Authorization).toBe("Bearer access-2");
    expect(second.headers["Idempotency-Key"]).toBe("key-1");
    second.respond(200, { import_id: "imp-9" });
    await expect(answer).resolves.toEqual({ import_id: "imp-9" });
  });

  it("answers the gateway's refusal as an ApiProblem", async () => {
    const client = new ApiClient({ tokens: new MemoryTokenStore(PAIR), fetch: vi.fn() as unknown as typeof fetch });
    const answer = uploadFile(client, async () => undefined, {
      path: "/api/v1/imports/statements",
      file: new File(["x"], "s.xml"),
    });
    await tick();
    FakeXhr.sent[0]!.respond(413, { title: "File too large", status: 413, detail: "s.xml: over the upload limit" });
    const failure = await answer.catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ApiProblem);
    expect((failure as ApiProblem).status).toBe(413);
    expect((failure as ApiProblem).detail).toContain("over the upload limit");
  });
});
