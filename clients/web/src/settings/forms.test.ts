import { describe, expect, it } from "vitest";
import { emptyPenaltyForm, emptyUserForm, parseScope, penaltyRequest, userRequest } from "./forms";

describe("the settings forms", () => {
  it("read an entity scope from a typed list", () => {
    expect(parseScope(true, "FR01")).toBe("all");
    expect(parseScope(false, " FR01,BE01;  FR01 ")).toEqual(["FR01", "BE01"]);
    expect(parseScope(false, "  ")).toBeNull();
    expect(parseScope(false, "FR01, A/B")).toBeNull();
  });

  it("name the first user field to fix", () => {
    const ok = { ...emptyUserForm, email: "a@b.co", password: "x".repeat(12), entities: "FR01" };
    expect(userRequest({ ...ok, email: "not an address" })).toEqual({ invalid: "email" });
    expect(userRequest({ ...ok, password: "x".repeat(11) })).toEqual({ invalid: "password" });
    expect(userRequest({ ...ok, entities: "" })).toEqual({ invalid: "entities" });
    expect(userRequest({ ...ok, entities: "", allEntities: true })).toMatchObject({ body: { entities: "all" } });
  });

  it("build penalty settings: blanks leave the defaults, a minimum needs an amount and a currency", () => {
    expect(penaltyRequest(emptyPenaltyForm("EUR"))).toEqual({
      body: { issue_items: null, exempt_interest: null, exempt_compensation: null, minimum_interest: null },
    });
    const form = { ...emptyPenaltyForm("CZK"), exemptInterest: "false" as const, minimumAmount: "1 250,5" };
    expect(penaltyRequest(form)).toMatchObject({
      body: { exempt_interest: false, minimum_interest: { amount: "1250.5", currency: "CZK" } },
    });
    expect(penaltyRequest({ ...form, minimumAmount: "0,00" })).toEqual({ invalid: "minimumAmount" });
    expect(penaltyRequest({ ...form, minimumAmount: "-3" })).toEqual({ invalid: "minimumAmount" });
    expect(penaltyRequest({ ...form, minimumCurrency: "" })).toEqual({ invalid: "minimumCurrency" });
  });
});
