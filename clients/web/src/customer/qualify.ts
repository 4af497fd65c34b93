import type { Qualification } from "../api/endpoints";
import { normaliseAmount } from "../agenda/filters";

/** The statuses that ship with the scenario service: offered until the organisation's own have been read. */
export const STATUSES = [
  "dispute",
  "promise_to_pay",
  "waiting_for_credit_note",
  "paid_directly_to_sales",
  "litigation",
  "do_not_chase",
] as const;

/** Statuses only the service sets (a plan agreed, a case handed to a call centre, a debt sold): never chosen by hand. */
const SET_BY_THE_SERVICE = new Set(["payment_plan", "with_call_centre", "debt_sold"]);

/** The statuses a collector may put items in, from the organisation's catalogue, in its order. */
export function statusChoices(
  statuses: readonly { code: string; labels: Record<string, string> }[],
): { code: string; labels: Record<string, string> }[] {
  return statuses.filter((s) => !SET_BY_THE_SERVICE.has(s.code)).map(({ code, labels }) => ({ code, labels }));
}

export interface QualifyForm {
  status: string;
  on: string;
  comment: string;
  owner: string;
  promisedAmount: string;
  promisedOn: string;
  sendConfirmation: boolean;
}

export const emptyForm: QualifyForm = {
  status: "dispute",
  on: "",
  comment: "",
  owner: "",
  promisedAmount: "",
  promisedOn: "",
  sendConfirmation: false,
};

/**
 * The request for the selected items, or the name of the field to fix. A promise needs an amount and a day; its
 * currency is the items' own, so a promise over items in two currencies is refused here rather than guessed.
 */
export function qualificationRequest(
  form: QualifyForm,
  items: readonly { item_id: string; open_amount: { currency: string } }[],
): Qualification | { invalid: "items" | "promisedAmount" | "promisedOn" | "currency" } {
  if (items.length === 0) return { invalid: "items" };
  const body: Qualification = {
    item_ids: items.map((i) => i.item_id),
    status: form.status,
    comment: form.comment.trim(),
    owner: form.owner.trim(),
    send_confirmation: form.sendConfirmation,
  };
  if (form.on) body.on = form.on;
  if (form.status === "promise_to_pay") {
    const amount = normaliseAmount(form.promisedAmount);
    if (!/^\d{1,18}(\.\d{1,6})?$/.test(amount)) return { invalid: "promisedAmount" };
    if (!form.promisedOn) return { invalid: "promisedOn" };
    const currencies = new Set(items.map((i) => i.open_amount.currency));
    if (currencies.size !== 1) return { invalid: "currency" };
    body.promised_amount = amount;
    body.promised_currency = [...currencies][0]!;
    body.promised_on = form.promisedOn;
  }
  return body;
}
