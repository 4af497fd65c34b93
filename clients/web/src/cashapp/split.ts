import type { components } from "../api/schema.gen";
import { normaliseAmount } from "../agenda/filters";
import { addAmounts, compareAmounts } from "../format/format";
import type { Money } from "../api/types";

export type ConfirmBody = components["schemas"]["ConfirmBody"];

/** One item the payment goes to, as the collector is typing it. */
export interface SplitLine {
  item_id: string;
  /** What the collector recognises the item by: its number. */
  label: string;
  currency: string;
  /** What the item still owes, when known (items of the customer's account); null for an item known by id only. */
  open: string | null;
  amount: string;
  write_off: string;
}

export type LineProblem = "amount" | "writeOff" | "twice";
export type SplitProblem = "noCustomer" | "noLine" | "overAllocated";

export type SplitCheck =
  | { ok: true; body: ConfirmBody; allocated: Money | null; left: Money | null }
  | { ok: false; lines: Record<number, LineProblem>; problem: SplitProblem | null; allocated: Money | null };

// The gateway's pattern for allocation amounts, with at most six decimals as the format helpers add them exactly.
const AMOUNT = /^-?\d{1,18}(\.\d{1,6})?$/;
const WRITE_OFF = /^\d{1,18}(\.\d{1,6})?$/;

export function negate(amount: string): string {
  return amount.startsWith("-") ? amount.slice(1) : `-${amount}`;
}

/** ``a - b`` exactly, in decimal strings. */
export function subtract(a: string, b: string): string {
  return addAmounts([a, negate(b)]);
}

function validAmount(text: string): string | null {
  const value = normaliseAmount(text);
  if (!AMOUNT.test(value) || compareAmounts(value, "0") === 0) return null;
  return value;
}

/**
 * The sum of the lines in the payment's currency: what the payment covers. Lines in another currency (the
 * engine's cross-currency proposals) are left out of it: amounts in two currencies are never added.
 */
export function allocatedOf(lines: readonly SplitLine[], payment: Money): Money | null {
  const same = lines.filter((l) => l.currency === payment.currency).map((l) => validAmount(l.amount));
  if (same.length === 0 || same.some((a) => a === null)) return null;
  return { amount: addAmounts(same as string[]), currency: payment.currency };
}

/**
 * The confirm request for a split of ``payment`` over ``lines``, or what is wrong: each amount a decimal other
 * than zero, a write-off positive or empty, an item once, and, when every line is in the payment's currency, no
 * more than the payment allocated (what it leaves stays unallocated on the customer).
 */
export function checkSplit(
  customerId: string,
  lines: readonly SplitLine[],
  payment: Money,
  learn: boolean,
): SplitCheck {
  const problems: Record<number, LineProblem> = {};
  const seen = new Set<string>();
  lines.forEach((line, index) => {
    if (seen.has(line.item_id)) problems[index] = "twice";
    else if (validAmount(line.amount) === null) problems[index] = "amount";
    else if (line.write_off.trim() && !WRITE_OFF.test(normaliseAmount(line.write_off))) problems[index] = "writeOff";
    seen.add(line.item_id);
  });
  const allocated = allocatedOf(lines, payment);
  let problem: SplitProblem | null = null;
  if (!customerId.trim()) problem = "noCustomer";
  else if (lines.length === 0) problem = "noLine";
  const allInPaymentCurrency = lines.every((l) => l.currency === payment.currency);
  if (!problem && allocated && allInPaymentCurrency && compareAmounts(allocated.amount, payment.amount) > 0) {
    problem = "overAllocated";
  }
  if (problem || Object.keys(problems).length > 0) return { ok: false, lines: problems, problem, allocated };
  const body: ConfirmBody = {
    customer_id: customerId.trim(),
    allocations: lines.map((line) => {
      const writeOff = normaliseAmount(line.write_off);
      return {
        item_id: line.item_id,
        amount: normaliseAmount(line.amount),
        ...(writeOff && compareAmounts(writeOff, "0") !== 0 ? { write_off: writeOff } : {}),
      };
    }),
    learn,
  };
  const left =
    allocated && allInPaymentCurrency
      ? { amount: subtract(payment.amount, allocated.amount), currency: payment.currency }
      : null;
  return { ok: true, body, allocated, left };
}

/**
 * What a newly picked item takes by default: what it owes, but no more than the payment has left; in another
 * currency than the payment's, what it owes (the collector converts).
 */
export function defaultAmount(open: Money, lines: readonly SplitLine[], payment: Money): string {
  if (open.currency !== payment.currency) return open.amount;
  const allocated = allocatedOf(lines, payment)?.amount ?? "0";
  const left = subtract(payment.amount, allocated);
  if (compareAmounts(left, "0") <= 0) return open.amount;
  return compareAmounts(open.amount, left) <= 0 ? open.amount : left;
}

/** "FR01/C00042" → entity and account number; null for an id without both. */
export function splitCustomerId(customerId: string): { entity: string; account: string } | null {
  const slash = customerId.indexOf("/");
  if (slash <= 0 || slash === customerId.length - 1) return null;
  return { entity: customerId.slice(0, slash), account: customerId.slice(slash + 1) };
}
