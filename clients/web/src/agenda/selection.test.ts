import { describe, expect, it } from "vitest";
import {
  applyBulkResults,
  availableActions,
  emptySelection,
  headerState,
  retainVisible,
  toggle,
  toggleAll,
  toggleRange,
} from "./selection";

const ORDER = ["t1", "t2", "t3", "t4", "t5"];
const ids = (s: { ids: ReadonlySet<string> }) => [...s.ids].sort();

describe("agenda selection", () => {
  it("toggles one task and remembers it as the anchor", () => {
    const once = toggle(emptySelection, "t2");
    expect(ids(once)).toEqual(["t2"]);
    expect(once.anchor).toBe("t2");
    expect(ids(toggle(once, "t2"))).toEqual([]);
  });

  it("selects a range from the anchor in either direction", () => {
    expect(ids(toggleRange(toggle(emptySelection, "t2"), ORDER, "t4"))).toEqual(["t2", "t3", "t4"]);
    expect(ids(toggleRange(toggle(emptySelection, "t4"), ORDER, "t1"))).toEqual(["t1", "t2", "t3", "t4"]);
  });

  it("clears a range when its end is already selected", () => {
    const all = toggleAll(emptySelection, ORDER);
    const anchored = toggle(all, "t1");
    expect(ids(toggleRange(anchored, ORDER, "t3"))).toEqual(["t4", "t5"]);
  });

  it("selects all on the page, then clears them", () => {
    const some = toggle(emptySelection, "t1");
    expect(headerState(some, ORDER)).toBe("some");
    const all = toggleAll(some, ORDER);
    expect(headerState(all, ORDER)).toBe("all");
    expect(headerState(toggleAll(all, ORDER), ORDER)).toBe("none");
  });

  it("forgets tasks no longer listed", () => {
    const selected = toggle(toggle(emptySelection, "t1"), "t9");
    const kept = retainVisible(selected, ORDER);
    expect(ids(kept)).toEqual(["t1"]);
    expect(kept.anchor).toBeNull();
  });

  it("keeps the refused tasks selected after a bulk action", () => {
    const outcome = applyBulkResults([
      { task_id: "t1", updated: true, error: null },
      { task_id: "t2", updated: false, error: "task is done" },
      { task_id: "t3", updated: false, error: null },
    ]);
    expect(outcome.updated).toEqual(["t1"]);
    expect(outcome.refused).toEqual([
      { taskId: "t2", reason: "task is done" },
      { taskId: "t3", reason: "not updated" },
    ]);
    expect(ids(outcome.selection)).toEqual(["t2", "t3"]);
  });

  it("offers validation only for messages waiting for a collector", () => {
    expect(availableActions([{ status: "open", automatic: true, channel: "email" }])).toEqual({
      perform: true,
      validate: false,
      postpone: true,
    });
    expect(availableActions([{ status: "open", automatic: false, channel: "email" }]).validate).toBe(true);
    expect(availableActions([{ status: "open", automatic: false, channel: "phone_call" }]).validate).toBe(false);
    expect(availableActions([{ status: "done", automatic: false, channel: "letter" }])).toEqual({
      perform: false,
      validate: false,
      postpone: false,
    });
  });
});
