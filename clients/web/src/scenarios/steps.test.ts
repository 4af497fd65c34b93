import { describe, expect, it } from "vitest";
import { addStep, draftOf, editRequest, hashtagsOf, moveStep, previewRequest, removeStep, updateStep } from "./steps";
import type { Scenario } from "./types";

const SCENARIO: Scenario = {
  code: "smb_france",
  name: "Small businesses, France",
  language: "fr",
  minimum_amount: "50.00",
  steps: [
    {
      code: "friendly",
      offset_days: -5,
      anchor: "due_date",
      channel: "email",
      template: "friendly_reminder",
      automatic: true,
      also: [],
      product_group: null,
      minimum_amount: null,
    },
    {
      code: "first",
      offset_days: 3,
      anchor: "due_date",
      channel: "email",
      template: "first_reminder",
      automatic: true,
      also: [{ channel: "sms", template: "first_reminder" }],
      product_group: null,
      minimum_amount: null,
    },
  ],
  version: 4,
  builtin: false,
  is_default: false,
  used_by_rules: [],
  updated_at: null,
  updated_by: "",
};

describe("editing a scenario's steps", () => {
  it("adds, edits, moves and removes steps, then builds the edit on the version read", () => {
    let draft = addStep(draftOf(SCENARIO));
    expect(draft.steps[2]).toMatchObject({ code: "step_3", offset_days: "10", anchor: "due_date", channel: "email" });
    draft = updateStep(draft, 2, {
      code: "call",
      offset_days: "20",
      channel: "phone_call",
      template: "phone_call",
      automatic: false,
      minimum_amount: "500,00",
      product_group: " spare parts ",
    });
    draft = moveStep(draft, 2, -1);
    draft = moveStep(draft, 0, -1);
    draft = removeStep(draft, 0);
    const request = editRequest(draft, 4);
    expect(request.ok).toBe(true);
    if (!request.ok) return;
    expect(request.body).toEqual({
      name: "Small businesses, France",
      language: "fr",
      minimum_amount: "50.00",
      version: 4,
      steps: [
        {
          code: "call",
          offset_days: 20,
          anchor: "due_date",
          channel: "phone_call",
          template: "phone_call",
          automatic: false,
          also: [],
          product_group: "spare parts",
          minimum_amount: "500.00",
        },
        {
          code: "first",
          offset_days: 3,
          anchor: "due_date",
          channel: "email",
          template: "first_reminder",
          automatic: true,
          also: [{ channel: "sms", template: "first_reminder" }],
          product_group: null,
          minimum_amount: null,
        },
      ],
    });
  });

  it("names every field the gateway would refuse", () => {
    let draft = draftOf(SCENARIO);
    draft = { ...draft, name: " ", language: "French", minimum_amount: "1e3" };
    draft = updateStep(draft, 1, { code: "friendly", offset_days: "3.5", template: "", minimum_amount: "-1" });
    draft = updateStep(draft, 0, { offset_days: "4000", also: [{ channel: "sms", template: " " }] });
    const request = editRequest(draft, 4);
    expect(request.ok).toBe(false);
    if (request.ok) return;
    expect(request.problems).toEqual([
      { step: null, field: "name" },
      { step: null, field: "language" },
      { step: null, field: "minimum_amount" },
      { step: 0, field: "offset_days" },
      { step: 0, field: "also", also: 0 },
      { step: 1, field: "code" },
      { step: 1, field: "offset_days" },
      { step: 1, field: "template" },
      { step: 1, field: "minimum_amount" },
    ]);
    expect(editRequest({ ...draftOf(SCENARIO), steps: [] }, 4)).toEqual({
      ok: false,
      problems: [{ step: null, field: "steps" }],
    });
    expect(() => updateStep(draft, 5, { code: "x" })).toThrow(/no step 6/);
  });

  it("asks the preview for the unsaved template and a real customer", () => {
    const template = {
      code: "first_reminder",
      language: "fr",
      channel: "email",
      subject: "Relance #AccountNumber",
      body: "Bonjour #ContactName, total #TotalDue",
    };
    expect(previewRequest(template, { entity: " FR01 ", account: "C00042" })).toEqual({
      template,
      customer: { entity: "FR01", account_number: "C00042" },
    });
    expect(previewRequest(template, { entity: "FR01", account: "" })).toBeNull();
    expect(hashtagsOf(`${template.subject} ${template.body} #TotalDue`)).toEqual([
      "#AccountNumber",
      "#ContactName",
      "#TotalDue",
    ]);
  });
});
