import { describe, expect, it } from "vitest";
import {
  emptyPenaltyForm,
  emptyUserForm,
  parseScope,
  penaltyForm,
  penaltyRequest,
  sendingHoursRequest,
  statusForm,
  statusRequest,
  userRequest,
} from "./forms";

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

  it("fill the penalty form from stored settings", () => {
    const form = penaltyForm(
      {
        issue_items: false,
        exempt_interest: null,
        exempt_compensation: true,
        law: null,
        minimum_interest: null,
        updated_by: null,
      },
      "CZK",
    );
    expect(form).toEqual({
      issueItems: "false",
      exemptInterest: "",
      exemptCompensation: "true",
      minimumAmount: "",
      minimumCurrency: "CZK",
    });
  });

  it("build a status, dropping blank labels, or name the first field to fix", () => {
    const form = { ...statusForm(), code: " call_back ", labels: { en: " Call back ", fr: "", cs: "" } };
    expect(statusRequest(form, ["dispute"])).toMatchObject({
      status: { code: "call_back", labels: { en: "Call back" }, follow_up: null, resolution_owner: null },
    });
    expect(statusRequest({ ...form, code: "Call back" }, [])).toEqual({ invalid: "code" });
    expect(statusRequest(form, ["call_back"])).toEqual({ invalid: "duplicate" });
    expect(statusRequest({ ...form, labels: { en: " " } }, [])).toEqual({ invalid: "labels" });
    expect(statusRequest({ ...form, followUpAction: "phone_call", delayDays: "two" }, [])).toEqual({
      invalid: "delayDays",
    });
    expect(statusRequest({ ...form, followUpAction: "phone_call", delayDays: "2" }, [])).toMatchObject({
      status: { follow_up: { action: "phone_call", delay_days: 2 } },
    });
  });

  it("build sending hours: days in week order, slots sorted, each problem named", () => {
    expect(
      sendingHoursRequest(
        2,
        ["sat", "mon"],
        [
          { start: "14:00", end: "18:00" },
          { start: "08:00", end: "12:00" },
        ],
      ),
    ).toEqual({
      body: {
        version: 2,
        weekdays: ["mon", "sat"],
        slots: [
          { start: "08:00", end: "12:00" },
          { start: "14:00", end: "18:00" },
        ],
      },
    });
    const slot = { start: "08:00", end: "12:00" };
    expect(sendingHoursRequest(0, [], [slot])).toEqual({ invalid: { field: "weekdays" } });
    expect(sendingHoursRequest(0, ["mon"], [])).toEqual({ invalid: { field: "slots" } });
    expect(sendingHoursRequest(0, ["mon"], [slot, { start: "8:00", end: "9:00" }])).toEqual({
      invalid: { field: "slot", index: 1, reason: "format" },
    });
    expect(sendingHoursRequest(0, ["mon"], [{ start: "12:00", end: "12:00" }])).toEqual({
      invalid: { field: "slot", index: 0, reason: "order" },
    });
    expect(sendingHoursRequest(0, ["mon"], [{ start: "11:00", end: "13:00" }, slot])).toEqual({
      invalid: { field: "slot", index: 0, reason: "overlap" },
    });
    // Touching slots do not overlap.
    expect(sendingHoursRequest(0, ["mon"], [slot, { start: "12:00", end: "13:00" }])).toHaveProperty("body");
  });
});
