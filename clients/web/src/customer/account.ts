import type { Money, OpenItem, TimelineEntry } from "../api/types";
import { compareAmounts, totalsByCurrency } from "../format/format";

export interface ItemStatus {
  status: string;
  since: string | null;
  owner: string | null;
}

/**
 * Each item's current status from the account's `item.qualified` timeline entries (newest first). The account
 * route does not carry statuses yet, so the client reads them from the timeline; an empty status clears one.
 */
export function currentStatuses(entries: readonly TimelineEntry[]): Map<string, ItemStatus> {
  const found = new Map<string, ItemStatus>();
  for (const entry of entries) {
    if (entry.kind !== "item.qualified") continue;
    const detail = entry.detail;
    const ids = Array.isArray(detail.item_ids) ? (detail.item_ids as string[]) : entry.item_ids;
    for (const id of ids) {
      if (found.has(id)) continue;
      found.set(id, {
        status: typeof detail.status === "string" ? detail.status : "",
        since: typeof detail.since === "string" ? detail.since : null,
        owner: typeof detail.owner === "string" ? detail.owner : null,
      });
    }
  }
  for (const [id, status] of found) if (!status.status) found.delete(id);
  return found;
}

/** Whole days from an ISO due day to ``today`` (an ISO day); 0 or less when not yet due. */
export function daysOverdue(dueDate: string | null, today: string): number {
  if (!dueDate) return 0;
  const day = (iso: string) => Date.UTC(Number(iso.slice(0, 4)), Number(iso.slice(5, 7)) - 1, Number(iso.slice(8, 10)));
  return Math.round((day(today) - day(dueDate)) / 86_400_000);
}

export interface AccountTotals {
  open: Money[];
  overdue: Money[];
  overdueItems: number;
}

/** Open and overdue balances per currency; credit notes and unallocated payments count with their sign. */
export function accountTotals(items: readonly OpenItem[], today: string): AccountTotals {
  const overdueItems = items.filter(
    (i) => daysOverdue(i.due_date, today) > 0 && compareAmounts(i.open_amount.amount, "0") > 0,
  );
  return {
    open: totalsByCurrency(items.map((i) => i.open_amount)),
    overdue: totalsByCurrency(overdueItems.map((i) => i.open_amount)),
    overdueItems: overdueItems.length,
  };
}
