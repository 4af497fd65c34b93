import type { Qualification } from "../api/endpoints";
import { normaliseAmount } from "../agenda/filters";

/** The statuses that ship with the scenario service; the gateway has no route listing an organisation's own yet. */
export const STATUSES = [
  "dispute",
  "promise_to_pay",
  "waiting_for_credit_note",
  "paid_directly_to_sales",
  "litigation",
  "do_not_chase",
] as const;

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
