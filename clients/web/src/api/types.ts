/*
 * Shapes of the answers the client reads. docs/openapi.json declares most responses as a free-form object (the
 * gateway's routes return dicts), so these follow the gateway's serializers; once the gateway declares response
 * models, `npm run gen:api` will provide them and these can go.
 */

export interface Money {
  /** A decimal string, never a float: "1234.50". */
  amount: string;
  currency: string;
}

export interface Me {
  user_id: string;
  email: string;
  name: string | null;
  role: "admin" | "credit_manager" | "collector" | "sales" | "read_only" | "partner";
  entities: "all" | string[];
  portfolio: string | null;
  permissions: Record<string, ("read" | "write")[]>;
}

export interface Entity {
  code: string;
  name: string;
  country: string;
  currency: string;
  time_zone: string;
  group_currency: string | null;
}

export type TaskStatus = "scheduled" | "open" | "sent" | "done" | "cancelled" | "unknown";

export interface Task {
  task_id: string;
  customer_id: string;
  entity: string;
  account_number: string;
  customer_name: string;
  scenario: string;
  step: string;
  channel: string;
  automatic: boolean;
  status: TaskStatus;
  due_on: string | null;
  leader_item_id: string;
  item_ids: string[];
  totals: Money[];
  days_overdue: number;
  collector: string | null;
  amount: string | null;
  updated_by: string | null;
  comment?: string | null;
  send_at: string | null;
}

export interface Agenda {
  items: Task[];
  total: number;
  next_page_token: string | null;
}

export type BulkAction = "perform" | "validate" | "postpone" | "reassign" | "cancel";

export interface BulkResult {
  task_id: string;
  updated: boolean;
  error: string | null;
  task: Task | null;
}

export interface Customer {
  customer_id: string;
  entity: string;
  account_number: string;
  name: string;
  email: string | null;
  language: string;
  country: string | null;
  customer_group: string | null;
  sector: string | null;
  collector: string | null;
  sales_rep: string | null;
  credit_limit?: string | null;
  preferred_channel: string | null;
}

export interface Contact {
  name: string | null;
  email: string | null;
  phone: string | null;
  role: string;
  language: string | null;
}

export interface OpenItem {
  item_id: string;
  number: string;
  kind: string;
  issue_date: string | null;
  due_date: string | null;
  amount: Money;
  open_amount: Money;
  reference: string | null;
}

export interface CustomerAccount {
  customer: Customer;
  contacts: Contact[];
  items: OpenItem[];
}

export interface TimelineEntry {
  id: string;
  occurred_at: string;
  kind: string;
  actor: string;
  actor_type: string;
  summary: string;
  item_ids: string[];
  detail: Record<string, unknown>;
}

export interface Timeline {
  entries: TimelineEntry[];
  next_page_token: string | null;
}

export interface BucketAmount {
  label: string;
  amount: Money;
  count: number;
}

export interface AgingRow {
  key: string;
  label: string;
  currency: string;
  buckets: BucketAmount[];
  total: Money;
  overdue: Money;
  percent_overdue: string;
  count: number;
}

export interface AgingBalance {
  header: { as_of: string; problems?: string[]; next_page_token: string | null; group_currency?: string };
  rows?: AgingRow[];
}
