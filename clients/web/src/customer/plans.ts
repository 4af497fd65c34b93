import { normaliseAmount } from "../agenda/filters";
import type { OpenItem } from "../api/types";
import { addAmounts, compareAmounts } from "../format/format";
import type { PlanRequest } from "./types";

export interface PlanForm {
  itemIds: string[];
  count: string;
  firstDate: string;
  frequency: "monthly" | "weekly";
  downPayment: string;
  downPaymentOn: string;
  comment: string;
}

export const emptyPlanForm: PlanForm = {
  itemIds: [],
  count: "3",
  firstDate: "",
  frequency: "monthly",
  downPayment: "",
  downPaymentOn: "",
  comment: "",
};

export type PlanInvalid = "items" | "instalment" | "currency" | "count" | "firstDate" | "downPayment" | "downPaymentOn";

/** The items a plan may cover: open invoices and the like, not instalments of another plan, nothing paid off. */
export function plannable(items: readonly OpenItem[]): OpenItem[] {
  return items.filter((i) => i.kind !== "instalment" && compareAmounts(i.open_amount.amount, "0") > 0);
}

/**
 * The request for a plan of ``form.count`` instalments, or the first field to fix. The scenario service refuses
 * the same things (docs: payment plans); checking here names the field before anything is sent.
 */
export function planRequest(
  form: PlanForm,
  items: readonly OpenItem[],
  today: string,
): { request: PlanRequest; total: { amount: string; currency: string } } | { invalid: PlanInvalid } {
  const chosen = items.filter((i) => form.itemIds.includes(i.item_id));
  if (chosen.length === 0) return { invalid: "items" };
  if (chosen.some((i) => i.kind === "instalment" || compareAmounts(i.open_amount.amount, "0") <= 0))
    return { invalid: "instalment" };
  const currencies = new Set(chosen.map((i) => i.open_amount.currency));
  if (currencies.size !== 1) return { invalid: "currency" };
  const currency = [...currencies][0]!;
  const total = addAmounts(chosen.map((i) => i.open_amount.amount));
  if (!/^\d+$/.test(form.count.trim()) || Number(form.count) < 1 || Number(form.count) > 520)
    return { invalid: "count" };
  if (!form.firstDate || form.firstDate < today) return { invalid: "firstDate" };
  const request: PlanRequest = {
    item_ids: chosen.map((i) => i.item_id),
    instalment_count: Number(form.count),
    first_date: form.firstDate,
    frequency: form.frequency,
    comment: form.comment.trim(),
  };
  if (form.downPayment.trim()) {
    const amount = normaliseAmount(form.downPayment);
    // The down payment comes off the total first: it must leave something for the instalments.
    if (
      !/^\d{1,18}(\.\d{1,6})?$/.test(amount) ||
      compareAmounts(amount, "0") <= 0 ||
      compareAmounts(amount, total) >= 0
    )
      return { invalid: "downPayment" };
    request.down_payment = { amount, currency };
    if (form.downPaymentOn) {
      if (form.downPaymentOn < today || form.downPaymentOn > form.firstDate) return { invalid: "downPaymentOn" };
      request.down_payment_on = form.downPaymentOn;
    }
  }
  return { request, total: { amount: total, currency } };
}
