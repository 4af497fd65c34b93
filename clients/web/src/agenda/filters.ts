import type { AgendaQuery } from "../api/endpoints";
import { isoDay } from "../format/format";

export interface AgendaFilters {
  entity: string;
  status: "" | "scheduled" | "open" | "sent" | "done" | "cancelled";
  channel: string;
  collector: string;
  customer_id: string;
  min_amount: string;
  max_amount: string;
  due_from: string;
  due_to: string;
  automatic: "" | "true" | "false";
  sort: "due_on" | "amount" | "days_overdue";
}

/** The day's work: open tasks due today or earlier, most overdue first. */
export function defaultFilters(entity: string, today: string = isoDay()): AgendaFilters {
  return {
    entity,
    status: "open",
    channel: "",
    collector: "",
    customer_id: "",
    min_amount: "",
    max_amount: "",
    due_from: "",
    due_to: today,
    automatic: "",
    sort: "days_overdue",
  };
}

const AMOUNT = /^-?\d{1,18}(\.\d{1,6})?$/;

/** Amount fields as the gateway's pattern takes them: a decimal comma typed by a French or Czech user becomes a point. */
export function normaliseAmount(text: string): string {
  return text.trim().replace(/\s/g, "").replace(",", ".");
}

export function invalidAmount(text: string): boolean {
  const value = normaliseAmount(text);
  return value !== "" && !AMOUNT.test(value);
}

export function toQuery(filters: AgendaFilters, pageToken = ""): AgendaQuery {
  return {
    entity: filters.entity,
    status: filters.status,
    channel: filters.channel.trim(),
    collector: filters.collector.trim(),
    customer_id: filters.customer_id.trim(),
    min_amount: invalidAmount(filters.min_amount) ? "" : normaliseAmount(filters.min_amount),
    max_amount: invalidAmount(filters.max_amount) ? "" : normaliseAmount(filters.max_amount),
    due_from: filters.due_from || null,
    due_to: filters.due_to || null,
    automatic: filters.automatic === "" ? null : filters.automatic === "true",
    sort: filters.sort,
    page_size: 100,
    page_token: pageToken,
  };
}
