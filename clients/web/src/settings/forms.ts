import { normaliseAmount } from "../agenda/filters";
import type { components } from "../api/schema.gen";
import {
  WEEKDAYS,
  type PenaltySettingsSet,
  type ResolutionOwner,
  type Role,
  type StatusDefinition,
  type Weekday,
} from "./types";

type Schemas = components["schemas"];

/** The gateway's address pattern, loosely: something@something.tld, no spaces. */
const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
const ENTITY_CODE = /^[^/\s]+$/;
/** The gateway's DecimalString, positive and with at most two decimals (an amount of money). */
const AMOUNT = /^\d{1,18}(\.\d{1,2})?$/;
export const MIN_PASSWORD = 12;

/** "all", or the entity codes of a comma- or space-separated list (duplicates dropped, order kept). */
export function parseScope(all: boolean, codes: string): "all" | string[] | null {
  if (all) return "all";
  const list = [...new Set(codes.split(/[\s,;]+/).filter(Boolean))];
  if (list.length === 0 || list.some((c) => !ENTITY_CODE.test(c) || c.length > 50)) return null;
  return list;
}

export interface UserForm {
  email: string;
  name: string;
  role: Role;
  password: string;
  allEntities: boolean;
  entities: string;
  portfolio: string;
}

export const emptyUserForm: UserForm = {
  email: "",
  name: "",
  role: "collector",
  password: "",
  allEntities: false,
  entities: "",
  portfolio: "",
};

export type UserInvalid = "email" | "password" | "entities";

/** The body of POST /api/v1/users, or the first field to fix. */
export function userRequest(form: UserForm): { body: Schemas["NewUserBody"] } | { invalid: UserInvalid } {
  const email = form.email.trim();
  if (!EMAIL.test(email) || email.length > 254) return { invalid: "email" };
  if (form.password.length < MIN_PASSWORD) return { invalid: "password" };
  const entities = parseScope(form.allEntities, form.entities);
  if (entities === null) return { invalid: "entities" };
  return {
    body: {
      email,
      name: form.name.trim(),
      role: form.role,
      password: form.password,
      entities,
      portfolio: form.portfolio.trim(),
    },
  };
}

/** A three-way choice: the entity says nothing (the default applies), yes, or no. */
export type Tristate = "" | "true" | "false";

export interface PenaltyForm {
  issueItems: Tristate;
  exemptInterest: Tristate;
  exemptCompensation: Tristate;
  minimumAmount: string;
  minimumCurrency: string;
}

export function emptyPenaltyForm(currency = ""): PenaltyForm {
  return { issueItems: "", exemptInterest: "", exemptCompensation: "", minimumAmount: "", minimumCurrency: currency };
}

/** The form showing stored settings (GET /api/v1/entities/{entity}/penalty-settings). */
export function penaltyForm(settings: PenaltySettingsSet["settings"], currency = ""): PenaltyForm {
  const choice = (value: boolean | null): Tristate => (value === null ? "" : value ? "true" : "false");
  return {
    issueItems: choice(settings.issue_items),
    exemptInterest: choice(settings.exempt_interest),
    exemptCompensation: choice(settings.exempt_compensation),
    minimumAmount: settings.minimum_interest?.amount ?? "",
    minimumCurrency: settings.minimum_interest?.currency ?? currency,
  };
}

export type PenaltyInvalid = "minimumAmount" | "minimumCurrency";

function tristate(value: Tristate): boolean | null {
  return value === "" ? null : value === "true";
}

/** The body of PUT /api/v1/entities/{entity}/penalty-settings (it replaces the stored settings), or the field to fix. */
export function penaltyRequest(form: PenaltyForm): { body: Schemas["SettingsBody"] } | { invalid: PenaltyInvalid } {
  const amount = normaliseAmount(form.minimumAmount);
  const currency = form.minimumCurrency.trim().toUpperCase();
  let minimum: Schemas["SettingsBody"]["minimum_interest"] = null;
  if (amount) {
    if (!AMOUNT.test(amount) || /^0+(\.0+)?$/.test(amount)) return { invalid: "minimumAmount" };
    if (!/^[A-Z]{3}$/.test(currency)) return { invalid: "minimumCurrency" };
    minimum = { amount, currency };
  }
  return {
    body: {
      issue_items: tristate(form.issueItems),
      exempt_interest: tristate(form.exemptInterest),
      exempt_compensation: tristate(form.exemptCompensation),
      minimum_interest: minimum,
    },
  };
}

/** A status as its editor holds it: texts as typed, "" for "none". */
export interface StatusForm {
  code: string;
  labels: Record<string, string>;
  excludes: boolean;
  followUpAction: string;
  delayDays: string;
  owner: "" | ResolutionOwner;
  confirmation: string;
  isDispute: boolean;
  closesOnPayment: boolean;
  requiresComment: boolean;
  builtIn: boolean;
}

/** The languages the client speaks: a label is offered in each, besides those a status already has. */
export const LABEL_LANGUAGES = ["en", "fr", "cs"] as const;

export function statusForm(status?: StatusDefinition): StatusForm {
  return {
    code: status?.code ?? "",
    labels: { ...Object.fromEntries(LABEL_LANGUAGES.map((l) => [l, ""])), ...(status?.labels ?? {}) },
    excludes: status?.excludes_from_scenario ?? true,
    followUpAction: status?.follow_up?.action ?? "",
    delayDays: status?.follow_up ? String(status.follow_up.delay_days) : "",
    owner: status?.resolution_owner ?? "",
    confirmation: status?.sends_confirmation ?? "",
    isDispute: status?.is_dispute ?? false,
    closesOnPayment: status?.closes_on_payment ?? false,
    requiresComment: status?.requires_comment ?? false,
    builtIn: status?.built_in ?? false,
  };
}

export type StatusInvalid = "code" | "duplicate" | "labels" | "delayDays";
const STATUS_CODE = /^[a-z0-9_]{1,50}$/;

/** The status to put in the catalogue, or the first field to fix; ``taken`` are the other statuses' codes. */
export function statusRequest(
  form: StatusForm,
  taken: readonly string[],
): { status: StatusDefinition } | { invalid: StatusInvalid } {
  const code = form.code.trim();
  if (!STATUS_CODE.test(code)) return { invalid: "code" };
  if (taken.includes(code)) return { invalid: "duplicate" };
  const labels = Object.fromEntries(
    Object.entries(form.labels)
      .map(([language, label]) => [language, label.trim()] as const)
      .filter(([, label]) => label),
  );
  if (Object.keys(labels).length === 0) return { invalid: "labels" };
  let followUp: StatusDefinition["follow_up"] = null;
  if (form.followUpAction) {
    const days = form.delayDays.trim();
    if (!/^\d{1,4}$/.test(days)) return { invalid: "delayDays" };
    followUp = { action: form.followUpAction, delay_days: Number(days) };
  }
  return {
    status: {
      code,
      labels,
      excludes_from_scenario: form.excludes,
      follow_up: followUp,
      resolution_owner: form.owner || null,
      sends_confirmation: form.confirmation.trim() || null,
      is_dispute: form.isDispute,
      closes_on_payment: form.closesOnPayment,
      requires_comment: form.requiresComment,
      built_in: form.builtIn,
    },
  };
}

/** The body of PUT /api/v1/item-statuses: the whole catalogue, with the version it was read at. */
export function catalogueRequest(version: number, statuses: StatusDefinition[]): Schemas["CatalogueBody"] {
  return {
    version,
    statuses: statuses.map(({ built_in: _builtIn, ...status }) => status),
  };
}

export interface SlotForm {
  start: string;
  end: string;
}

export type SlotsInvalid =
  { field: "weekdays" } | { field: "slots" } | { field: "slot"; index: number; reason: "format" | "order" | "overlap" };

const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;

/** The body of PUT /api/v1/entities/{entity}/sending-hours, or the field to fix: slots HH:MM, start before end,
 * not overlapping (in any order), and at least one day. */
export function sendingHoursRequest(
  version: number,
  weekdays: readonly Weekday[],
  slots: readonly SlotForm[],
): { body: Schemas["SendingHoursBody"] } | { invalid: SlotsInvalid } {
  if (weekdays.length === 0) return { invalid: { field: "weekdays" } };
  if (slots.length === 0) return { invalid: { field: "slots" } };
  for (const [index, slot] of slots.entries()) {
    if (!HHMM.test(slot.start.trim()) || !HHMM.test(slot.end.trim()))
      return { invalid: { field: "slot", index, reason: "format" } };
    if (slot.start.trim() >= slot.end.trim()) return { invalid: { field: "slot", index, reason: "order" } };
  }
  const order = slots.map((slot, index) => ({ index, start: slot.start.trim(), end: slot.end.trim() }));
  order.sort((a, b) => a.start.localeCompare(b.start));
  for (let i = 1; i < order.length; i++) {
    if (order[i]!.start < order[i - 1]!.end)
      return { invalid: { field: "slot", index: order[i]!.index, reason: "overlap" } };
  }
  return {
    body: {
      version,
      weekdays: WEEKDAYS.filter((day) => weekdays.includes(day)),
      slots: order.map(({ start, end }) => ({ start, end })),
    },
  };
}
