import { beforeEach, describe, expect, it } from "vitest";
import { saved } from "./fixtures";
import { RECENT_KEY, RECENT_LIMIT, recentAccounts, rememberAccount, savedAccount } from "./recent";

describe("the recent accounts store", () => {
  beforeEach(() => localStorage.clear());

  it("keeps the newest first, with when each was fetched", () => {
    rememberAccount(saved("A", "2026-11-20T08:00:00Z"));
    rememberAccount(saved("B", "2026-11-21T08:00:00Z"));
    const list = recentAccounts();
    expect(list.map((a) => a.account_number)).toEqual(["B", "A"]);
    expect(list.map((a) => a.fetchedAt)).toEqual(["2026-11-21T08:00:00Z", "2026-11-20T08:00:00Z"]);
    expect(savedAccount("FR01", "A")?.fetchedAt).toBe("2026-11-20T08:00:00Z");
  });

  it("keeps one copy per account, the newest, moved to the front", () => {
    rememberAccount(saved("A", "2026-11-20T08:00:00Z"));
    rememberAccount(saved("B", "2026-11-21T08:00:00Z"));
    rememberAccount(saved("A", "2026-11-22T08:00:00Z"));
    const list = recentAccounts();
    expect(list.map((a) => a.account_number)).toEqual(["A", "B"]);
    expect(list[0]!.fetchedAt).toBe("2026-11-22T08:00:00Z");
  });

  it("tells the same account number of two entities apart", () => {
    rememberAccount(saved("A", "2026-11-20T08:00:00Z", "FR01"));
    rememberAccount(saved("A", "2026-11-21T08:00:00Z", "CZ01"));
    expect(recentAccounts().map((a) => a.entity)).toEqual(["CZ01", "FR01"]);
    expect(savedAccount("CZ01", "A")?.fetchedAt).toBe("2026-11-21T08:00:00Z");
    expect(savedAccount("DE01", "A")).toBeUndefined();
  });

  it("keeps the last 20 only", () => {
    for (let n = 1; n <= 25; n++) rememberAccount(saved(`C${n}`));
    const list = recentAccounts();
    expect(RECENT_LIMIT).toBe(20);
    expect(list).toHaveLength(20);
    expect(list[0]!.account_number).toBe("C25");
    expect(list[19]!.account_number).toBe("C6");
    expect(savedAccount("FR01", "C5")).toBeUndefined();
  });

  it("reads a damaged store as empty", () => {
    localStorage.setItem(RECENT_KEY, "{not json");
    expect(recentAccounts()).toEqual([]);
    localStorage.setItem(RECENT_KEY, JSON.stringify({ a: 1 }));
    expect(recentAccounts()).toEqual([]);
  });

  it("drops the oldest copies when the storage is full", () => {
    const data = new Map<string, string>();
    const full = {
      getItem: (k: string) => data.get(k) ?? null,
      setItem: (k: string, v: string) => {
        if ((JSON.parse(v) as unknown[]).length > 2) throw new DOMException("full", "QuotaExceededError");
        data.set(k, v);
      },
      removeItem: (k: string) => data.delete(k),
    } as unknown as Storage;
    rememberAccount(saved("A"), full);
    rememberAccount(saved("B"), full);
    const kept = rememberAccount(saved("C"), full);
    expect(kept.map((a) => a.account_number)).toEqual(["C", "B"]);
    expect(recentAccounts(full).map((a) => a.account_number)).toEqual(["C", "B"]);
  });
});
