import type { SavedAccount } from "./types";

/*
 * The last viewed account summaries, newest first, kept in localStorage so a rep reads them without a network.
 * Only what the screens show is kept: never a token (those live in the token store alone).
 */
export const RECENT_KEY = "opendso.mobile.recent";
export const RECENT_LIMIT = 20;

function storage(): Storage | null {
  try {
    return typeof localStorage === "undefined" ? null : localStorage;
  } catch {
    return null; // storage disabled (private mode, policy)
  }
}

function sameAccount(a: { entity: string; account_number: string }, b: { entity: string; account_number: string }) {
  return a.entity === b.entity && a.account_number === b.account_number;
}

/** The saved accounts, newest first; an unreadable store reads as empty. */
export function recentAccounts(store: Storage | null = storage()): SavedAccount[] {
  const text = store?.getItem(RECENT_KEY);
  if (!text) return [];
  try {
    const parsed: unknown = JSON.parse(text);
    if (!Array.isArray(parsed)) return [];
    return (parsed as SavedAccount[]).filter(
      (a) => a && typeof a.entity === "string" && typeof a.account_number === "string" && a.summary,
    );
  } catch {
    return [];
  }
}

/** One saved account, or undefined. */
export function savedAccount(
  entity: string,
  account_number: string,
  store: Storage | null = storage(),
): SavedAccount | undefined {
  return recentAccounts(store).find((a) => sameAccount(a, { entity, account_number }));
}

/**
 * Puts ``account`` first (replacing an older copy of the same account) and keeps the newest {@link RECENT_LIMIT}.
 * A full store drops the oldest copies until it fits. Returns the list as saved.
 */
export function rememberAccount(account: SavedAccount, store: Storage | null = storage()): SavedAccount[] {
  const list = [account, ...recentAccounts(store).filter((a) => !sameAccount(a, account))].slice(0, RECENT_LIMIT);
  if (!store) return list;
  for (let keep = list.length; keep > 0; keep--) {
    try {
      store.setItem(RECENT_KEY, JSON.stringify(list.slice(0, keep)));
      return list.slice(0, keep);
    } catch {
      // quota exceeded: try with fewer accounts
    }
  }
  return [];
}

export function forgetRecentAccounts(store: Storage | null = storage()): void {
  store?.removeItem(RECENT_KEY);
}
