import { normaliseAmount } from "../agenda/filters";
import type { components } from "../api/schema.gen";
import type { Role } from "./types";

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
