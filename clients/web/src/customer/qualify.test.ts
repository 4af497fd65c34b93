import { describe, expect, it } from "vitest";
import { emptyForm, qualificationRequest, statusChoices } from "./qualify";

const EUR = { item_id: "FR01/invoice/F-1", open_amount: { currency: "EUR" } };
const EUR2 = { item_id: "FR01/invoice/F-2", open_amount: { currency: "EUR" } };
const CZK = { item_id: "FR01/invoice/F-3", open_amount: { currency: "CZK" } };

describe("a qualification", () => {
  it("names the items, status, owner and comment", () => {
    expect(qualificationRequest({ ...emptyForm, owner: " sales ", comment: "wrong price " }, [EUR, EUR2])).toEqual({
      item_ids: ["FR01/invoice/F-1", "FR01/invoice/F-2"],
      status: "dispute",
      comment: "wrong price",
      owner: "sales",
      send_confirmation: false,
    });
  });

  it("carries a promise in the items' currency, a decimal comma read as a point", () => {
    const request = qualificationRequest(
      { ...emptyForm, status: "promise_to_pay", promisedAmount: "1 250,50", promisedOn: "2026-12-15" },
      [EUR],
    );
    expect(request).toMatchObject({
      promised_amount: "1250.50",
      promised_currency: "EUR",
      promised_on: "2026-12-15",
    });
  });

  it("says which field is missing instead of sending", () => {
    expect(qualificationRequest(emptyForm, [])).toEqual({ invalid: "items" });
    const promise = { ...emptyForm, status: "promise_to_pay", promisedOn: "2026-12-15" };
    expect(qualificationRequest({ ...promise, promisedAmount: "abc" }, [EUR])).toEqual({ invalid: "promisedAmount" });
    expect(qualificationRequest({ ...promise, promisedAmount: "10", promisedOn: "" }, [EUR])).toEqual({
      invalid: "promisedOn",
    });
    expect(qualificationRequest({ ...promise, promisedAmount: "10" }, [EUR, CZK])).toEqual({ invalid: "currency" });
  });
});

describe("the statuses offered", () => {
  it("are the organisation's, in its order, without those only the service sets", () => {
    const choices = statusChoices([
      { code: "call_back", labels: { en: "Call back", fr: "Rappeler" } },
      { code: "payment_plan", labels: { en: "Payment plan" } },
      { code: "dispute", labels: {} },
      { code: "debt_sold", labels: {} },
    ]);
    expect(choices.map((c) => c.code)).toEqual(["call_back", "dispute"]);
    expect(choices[0]!.labels.fr).toBe("Rappeler");
  });
});
