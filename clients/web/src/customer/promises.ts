import type { Money, TimelineEntry } from "../api/types";

export type PromiseState = "open" | "broken" | "replaced";

export interface PromiseView {
  id: string;
  madeAt: string;
  by: string;
  itemIds: string[];
  comment: string;
  since: string | null;
  state: PromiseState;
  promised: Money | null;
  promisedOn: string | null;
  paid: Money | null;
  missing: Money | null;
}

function money(value: unknown): Money | null {
  if (!value || typeof value !== "object") return null;
  const m = value as Record<string, unknown>;
  return typeof m.amount === "string" && typeof m.currency === "string"
    ? { amount: m.amount, currency: m.currency }
    : null;
}

function text(value: unknown): string | null {
  return typeof value === "string" && value ? value : null;
}

/**
 * The account's promises to pay, newest first, from its timeline (`item.qualified` with the promise status, and
 * `promise.broken`): the gateway has no route listing promises. A promise is open while it is still the newest
 * status of one of its items, broken when the scenario said so, else replaced by a later status. The amount and
 * day promised are known only once broken (the qualified entry does not carry them).
 */
export function promisesFrom(entries: readonly TimelineEntry[]): PromiseView[] {
  const broken = new Map<string, TimelineEntry>();
  for (const e of entries) {
    const id = text(e.detail.promise_id);
    if (e.kind === "promise.broken" && id && !broken.has(id)) broken.set(id, e);
  }
  // Entries come newest first: the first qualified entry seen for an item is its current status.
  const newestFor = new Map<string, string>();
  for (const e of entries) {
    if (e.kind !== "item.qualified") continue;
    const ids = Array.isArray(e.detail.item_ids) ? (e.detail.item_ids as string[]) : e.item_ids;
    for (const item of ids) if (!newestFor.has(item)) newestFor.set(item, e.id);
  }
  const found: PromiseView[] = [];
  for (const e of entries) {
    if (e.kind !== "item.qualified" || e.detail.status !== "promise_to_pay") continue;
    const itemIds = Array.isArray(e.detail.item_ids) ? (e.detail.item_ids as string[]) : e.item_ids;
    const id = text(e.detail.promise_id) ?? e.id;
    const end = broken.get(id);
    const current = itemIds.some((item) => newestFor.get(item) === e.id);
    found.push({
      id,
      madeAt: e.occurred_at,
      by: e.actor,
      itemIds,
      comment: typeof e.detail.comment === "string" ? e.detail.comment : "",
      since: text(e.detail.since),
      state: end ? "broken" : current ? "open" : "replaced",
      promised: money(end?.detail.promised_amount),
      promisedOn: text(end?.detail.promised_on),
      paid: money(end?.detail.paid),
      missing: money(end?.detail.missing),
    });
  }
  return found;
}
