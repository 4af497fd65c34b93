import type { Money } from "../api/types";

/*
 * Amounts arrive as decimal strings and stay strings: Intl formats a numeric string without going through a
 * binary float, and sums are done in integer millionths (the gateway's amounts have at most six decimals).
 */

const SCALE = 6;
const FACTOR = 10n ** BigInt(SCALE);

function toMillionths(amount: string): bigint {
  const match = /^(-?)(\d+)(?:\.(\d{1,6}))?$/.exec(amount.trim());
  if (!match) throw new Error(`not a decimal amount: ${amount}`);
  const [, sign, whole, fraction = ""] = match;
  const value = BigInt(whole!) * FACTOR + BigInt(fraction.padEnd(SCALE, "0"));
  return sign ? -value : value;
}

function fromMillionths(value: bigint): string {
  const negative = value < 0n;
  const abs = negative ? -value : value;
  const whole = abs / FACTOR;
  const fraction = (abs % FACTOR).toString().padStart(SCALE, "0").replace(/0+$/, "").padEnd(2, "0");
  return `${negative ? "-" : ""}${whole}.${fraction}`;
}

/** Exact decimal sum of amount strings. */
export function addAmounts(amounts: string[]): string {
  return fromMillionths(amounts.reduce((sum, a) => sum + toMillionths(a), 0n));
}

/** Totals per currency, in the order currencies first appear; amounts in different currencies never mix. */
export function totalsByCurrency(amounts: Money[]): Money[] {
  const sums = new Map<string, bigint>();
  for (const m of amounts) sums.set(m.currency, (sums.get(m.currency) ?? 0n) + toMillionths(m.amount));
  return [...sums].map(([currency, sum]) => ({ currency, amount: fromMillionths(sum) }));
}

export function compareAmounts(a: string, b: string): number {
  const d = toMillionths(a) - toMillionths(b);
  return d === 0n ? 0 : d < 0n ? -1 : 1;
}

/** "1234.5" EUR → "1 234,50 €" in French, "€1,234.50" in English, with the currency's own decimals. */
export function formatMoney(amount: string, currency: string, locale: string): string {
  const format = new Intl.NumberFormat(locale, { style: "currency", currency });
  // A numeric string keeps its precision (ECMA-402 "Intl.NumberFormat v3"); the cast only satisfies lib typings.
  return format.format(amount as unknown as number);
}

export function formatNumber(value: string | number, locale: string, fractionDigits?: number): string {
  return new Intl.NumberFormat(locale, {
    minimumFractionDigits: fractionDigits,
    maximumFractionDigits: fractionDigits,
  }).format(value as number);
}

/** A percentage given as the gateway's "12.34" (already x100). */
export function formatPercent(percent: string, locale: string): string {
  return new Intl.NumberFormat(locale, { style: "percent", minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(
    Number(percent) / 100,
  );
}

/**
 * A calendar day ("2026-11-24") as the locale writes it. Parsed as a UTC day and formatted in UTC: a due date is
 * a day, not an instant, and must not move to the day before for a user west of Greenwich.
 */
export function formatDate(day: string | null | undefined, locale: string): string {
  if (!day) return "";
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!match) return day;
  const date = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])));
  return new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeZone: "UTC" }).format(date);
}

/** An instant ("2026-11-24T09:00:00Z") in the user's own time zone. */
export function formatDateTime(instant: string | null | undefined, locale: string, timeZone?: string): string {
  if (!instant) return "";
  const date = new Date(instant);
  if (Number.isNaN(date.getTime())) return instant;
  return new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "short", timeZone }).format(date);
}

/** Today as the ISO day in the user's time zone (the agenda's "today"), or `days` later. */
export function isoDay(days = 0, now: Date = new Date()): string {
  const d = new Date(now.getFullYear(), now.getMonth(), now.getDate() + days);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}
