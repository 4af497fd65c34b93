// @vitest-environment node
import { readFileSync } from "node:fs";
import openapiTS, { astToString, COMMENT_HEADER } from "openapi-typescript";
import { describe, expect, it } from "vitest";

describe("the generated API types", () => {
  it("match the committed docs/openapi.json (after an API change: npm run gen:api)", async () => {
    const document = new URL("../../../../docs/openapi.json", import.meta.url);
    const generated = COMMENT_HEADER + astToString(await openapiTS(document, { defaultNonNullable: false }));
    const committed = readFileSync(new URL("./schema.gen.ts", import.meta.url), "utf8");
    expect(committed === generated, "src/api/schema.gen.ts is stale: run `npm run gen:api`").toBe(true);
  }, 30_000);
});
