/*
 * Which agenda rows are selected, as pure functions: the list, keyboard and bulk bar all go through these, so the
 * rules (shift-click ranges, select all on the page, forget tasks the last action finished) hold everywhere.
 */

export interface Selection {
  ids: ReadonlySet<string>;
  /** The last row toggled, where a shift-range starts. */
  anchor: string | null;
}

export const emptySelection: Selection = { ids: new Set(), anchor: null };

export function toggle(selection: Selection, id: string): Selection {
  const ids = new Set(selection.ids);
  if (ids.has(id)) ids.delete(id);
  else ids.add(id);
  return { ids, anchor: id };
}

/** Shift-click: every row between the anchor and ``id`` takes the state ``id`` will have. */
export function toggleRange(selection: Selection, order: readonly string[], id: string): Selection {
  const from = selection.anchor === null ? -1 : order.indexOf(selection.anchor);
  const to = order.indexOf(id);
  if (from < 0 || to < 0) return toggle(selection, id);
  const select = !selection.ids.has(id);
  const ids = new Set(selection.ids);
  const [lo, hi] = from < to ? [from, to] : [to, from];
  for (const rowId of order.slice(lo, hi + 1)) {
    if (select) ids.add(rowId);
    else ids.delete(rowId);
  }
  return { ids, anchor: id };
}

/** Select every visible row, or clear them all when they already are. */
export function toggleAll(selection: Selection, visible: readonly string[]): Selection {
  const allSelected = visible.length > 0 && visible.every((id) => selection.ids.has(id));
  if (allSelected) {
    const ids = new Set(selection.ids);
    for (const id of visible) ids.delete(id);
    return { ids, anchor: null };
  }
  return { ids: new Set([...selection.ids, ...visible]), anchor: selection.anchor };
}

/** Keep only rows still listed, e.g. after a reload dropped the tasks that were done. */
export function retainVisible(selection: Selection, visible: readonly string[]): Selection {
  const listed = new Set(visible);
  const ids = new Set([...selection.ids].filter((id) => listed.has(id)));
  return { ids, anchor: selection.anchor && listed.has(selection.anchor) ? selection.anchor : null };
}

export type HeaderState = "none" | "some" | "all";

export function headerState(selection: Selection, visible: readonly string[]): HeaderState {
  const count = visible.filter((id) => selection.ids.has(id)).length;
  if (count === 0) return "none";
  return count === visible.length ? "all" : "some";
}

export interface BulkOutcome {
  updated: string[];
  refused: { taskId: string; reason: string }[];
  /** What stays selected: the refused tasks, so the collector can see them and try something else. */
  selection: Selection;
}

/** Splits the bulk route's per-task results and keeps the refused ones selected. */
export function applyBulkResults(
  results: readonly { task_id: string; updated: boolean; error: string | null }[],
): BulkOutcome {
  const updated = results.filter((r) => r.updated).map((r) => r.task_id);
  const refused = results
    .filter((r) => !r.updated)
    .map((r) => ({ taskId: r.task_id, reason: r.error ?? "not updated" }));
  return { updated, refused, selection: { ids: new Set(refused.map((r) => r.taskId)), anchor: null } };
}

/** Which bulk actions make sense for the selected tasks, so buttons that would be refused are disabled. */
export function availableActions(tasks: readonly { status: string; automatic: boolean; channel: string }[]): {
  perform: boolean;
  validate: boolean;
  postpone: boolean;
} {
  const actionable = tasks.filter((t) => t.status === "open" || t.status === "scheduled");
  return {
    perform: actionable.length > 0,
    // Validation sends the message of a step waiting for a collector; a call or an internal task has none.
    validate: actionable.some((t) => !t.automatic && MESSAGE_CHANNELS.has(t.channel)),
    postpone: actionable.length > 0,
  };
}

const MESSAGE_CHANNELS = new Set(["email", "sms", "letter"]);
