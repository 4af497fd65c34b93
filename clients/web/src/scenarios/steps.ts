import type { components } from "../api/schema.gen";
import { normaliseAmount } from "../agenda/filters";
import type { Scenario, Step, StepChannel } from "./types";

export type EditBody = components["schemas"]["EditBody"];
export type PreviewBody = components["schemas"]["PreviewBody"];

/*
 * The scenario editor's rules, the gateway's own (services/gateway: scenarios_api.py), checked here so that a
 * mistake is shown on its field before the save: the gateway would refuse the whole edit with a 422.
 */

export const CHANNELS = ["email", "sms", "letter", "phone_call", "internal_task", "whatsapp", "voice"] as const;
export const ANCHORS = ["due_date", "last_action"] as const;
const CODE = /^[A-Za-z0-9][A-Za-z0-9_-]{0,49}$/;
const LANGUAGE = /^([a-z]{2,3}(-[A-Za-z0-9]{2,4})?)?$/;
const AMOUNT = /^\d{1,13}(\.\d{1,6})?$/;
const CHANNEL = /^[a-z_]{1,30}$/;
const MAX_STEPS = 50;

/** A step as typed: numbers and amounts stay text until the save, so a half-typed "-" is not lost. */
export interface StepDraft {
  code: string;
  offset_days: string;
  anchor: string;
  channel: string;
  template: string;
  automatic: boolean;
  also: StepChannel[];
  product_group: string;
  minimum_amount: string;
}

export interface ScenarioDraft {
  name: string;
  language: string;
  minimum_amount: string;
  steps: StepDraft[];
}

export type StepField = keyof StepDraft;
export type ScenarioProblem =
  | { step: null; field: "name" | "language" | "minimum_amount" | "steps" }
  | { step: number; field: StepField; also?: number };

export function stepDraft(step: Step): StepDraft {
  return {
    code: step.code,
    offset_days: String(step.offset_days),
    anchor: step.anchor || "due_date",
    channel: step.channel,
    template: step.template,
    automatic: step.automatic,
    also: step.also.map((a) => ({ ...a })),
    product_group: step.product_group ?? "",
    minimum_amount: step.minimum_amount ?? "",
  };
}

export function draftOf(scenario: Scenario): ScenarioDraft {
  return {
    name: scenario.name,
    language: scenario.language,
    minimum_amount: scenario.minimum_amount,
    steps: scenario.steps.map(stepDraft),
  };
}

/** A new step after the last one: a week later, by e-mail, with a code no other step has. */
export function addStep(draft: ScenarioDraft): ScenarioDraft {
  const codes = new Set(draft.steps.map((s) => s.code));
  let n = draft.steps.length + 1;
  while (codes.has(`step_${n}`)) n += 1;
  const last = draft.steps.at(-1);
  const lastOffset = last && /^-?\d+$/.test(last.offset_days.trim()) ? Number(last.offset_days) : 0;
  const step: StepDraft = {
    code: `step_${n}`,
    offset_days: String(last?.anchor === "last_action" ? 7 : lastOffset + 7),
    anchor: last?.anchor === "last_action" ? "last_action" : "due_date",
    channel: "email",
    template: "",
    automatic: true,
    also: [],
    product_group: "",
    minimum_amount: "",
  };
  return { ...draft, steps: [...draft.steps, step] };
}

export function updateStep(draft: ScenarioDraft, index: number, change: Partial<StepDraft>): ScenarioDraft {
  if (!draft.steps[index]) throw new Error(`no step ${index + 1} in the scenario`);
  return { ...draft, steps: draft.steps.map((s, i) => (i === index ? { ...s, ...change } : s)) };
}

export function removeStep(draft: ScenarioDraft, index: number): ScenarioDraft {
  return { ...draft, steps: draft.steps.filter((_, i) => i !== index) };
}

/** Moves a step up (-1) or down (+1); a move past either end leaves the order as it is. */
export function moveStep(draft: ScenarioDraft, index: number, by: -1 | 1): ScenarioDraft {
  const target = index + by;
  if (target < 0 || target >= draft.steps.length) return draft;
  const steps = [...draft.steps];
  [steps[index], steps[target]] = [steps[target]!, steps[index]!];
  return { ...draft, steps };
}

function offsetOf(text: string): number | null {
  const value = text.trim();
  if (!/^-?\d{1,4}$/.test(value)) return null;
  const days = Number(value);
  return days >= -365 && days <= 3650 ? days : null;
}

/** The PUT body for ``version``, or every field to fix. */
export function editRequest(
  draft: ScenarioDraft,
  version: number,
): { ok: true; body: EditBody } | { ok: false; problems: ScenarioProblem[] } {
  const problems: ScenarioProblem[] = [];
  const name = draft.name.trim();
  if (!name || name.length > 200) problems.push({ step: null, field: "name" });
  if (!LANGUAGE.test(draft.language.trim())) problems.push({ step: null, field: "language" });
  const minimum = normaliseAmount(draft.minimum_amount) || "0";
  if (!AMOUNT.test(minimum)) problems.push({ step: null, field: "minimum_amount" });
  if (draft.steps.length === 0 || draft.steps.length > MAX_STEPS) problems.push({ step: null, field: "steps" });
  const seen = new Set<string>();
  draft.steps.forEach((s, step) => {
    const code = s.code.trim();
    if (!CODE.test(code) || seen.has(code)) problems.push({ step, field: "code" });
    seen.add(code);
    if (offsetOf(s.offset_days) === null) problems.push({ step, field: "offset_days" });
    if (!(ANCHORS as readonly string[]).includes(s.anchor)) problems.push({ step, field: "anchor" });
    if (!CHANNEL.test(s.channel)) problems.push({ step, field: "channel" });
    if (!s.template.trim() || s.template.trim().length > 100) problems.push({ step, field: "template" });
    if (s.product_group.trim().length > 200) problems.push({ step, field: "product_group" });
    const stepMinimum = normaliseAmount(s.minimum_amount);
    if (stepMinimum && !AMOUNT.test(stepMinimum)) problems.push({ step, field: "minimum_amount" });
    s.also.forEach((a, also) => {
      if (!CHANNEL.test(a.channel) || !a.template.trim()) problems.push({ step, field: "also", also });
    });
  });
  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    body: {
      name,
      language: draft.language.trim(),
      minimum_amount: minimum,
      version,
      steps: draft.steps.map((s) => ({
        code: s.code.trim(),
        offset_days: offsetOf(s.offset_days)!,
        anchor: s.anchor,
        channel: s.channel,
        template: s.template.trim(),
        automatic: s.automatic,
        also: s.also.map((a) => ({ channel: a.channel, template: a.template.trim() })),
        product_group: s.product_group.trim() || null,
        minimum_amount: normaliseAmount(s.minimum_amount) || null,
      })),
    },
  };
}

export interface TemplateDraft {
  code: string;
  language: string;
  channel: string;
  subject: string;
  body: string;
}

/** The preview request: the template as it stands in the editor, rendered for a real customer. */
export function previewRequest(
  template: TemplateDraft,
  customer: { entity: string; account: string },
): PreviewBody | null {
  const entity = customer.entity.trim();
  const account = customer.account.trim();
  if (!entity || !account || !template.body.trim()) return null;
  return {
    template: {
      code: template.code,
      language: template.language,
      channel: template.channel,
      subject: template.subject,
      body: template.body,
    },
    customer: { entity, account_number: account },
  };
}

/** The #hashtags a template uses, in order of first use: what the preview fills in. */
export function hashtagsOf(text: string): string[] {
  return [...new Set(text.match(/#[A-Za-z][A-Za-z0-9_]*/g) ?? [])];
}
