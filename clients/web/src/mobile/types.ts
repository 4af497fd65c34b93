import type { Contact, Customer, Money, TimelineEntry } from "../api/types";

/** One disputed item as GET /api/v1/mobile/disputes and the account summary give it. */
export interface MobileDispute {
  customer_id: string;
  entity: string;
  account_number: string;
  customer_name: string;
  item_id: string;
  item_number: string;
  open_amount: Money;
  due_date: string | null;
  disputed_since: string | null;
  owner?: string | null;
  comment?: string | null;
  answers: string[];
}

export interface MobileDisputes {
  disputes: MobileDispute[];
  truncated: boolean;
}

/** One currency's figures: amounts in different currencies are never added. */
export interface MobileBalance {
  currency: string;
  open: string;
  overdue: string;
  open_items: number;
  overdue_items: number;
}

export interface MobileItem {
  item_id: string;
  number: string;
  due_date: string | null;
  open_amount: Money;
  disputed: boolean;
}

/** GET /api/v1/mobile/customers/{entity}/{account_number}. */
export interface MobileSummary {
  customer: Customer;
  balances: MobileBalance[];
  oldest_days_overdue: number | null;
  items: MobileItem[];
  disputes: MobileDispute[];
  contacts: Contact[];
  as_of: string;
}

/** What the phone keeps of an account: the summary, its last actions (when readable) and when it was fetched. */
export interface SavedAccount {
  entity: string;
  account_number: string;
  name: string;
  summary: MobileSummary;
  actions: TimelineEntry[];
  /** An ISO instant. */
  fetchedAt: string;
}

export type FoundCustomer = Customer & {
  address?: { street: string | null; postal_code: string | null; city: string | null };
};

/** GET /api/v1/customers?q=…: a page of the customers found in the user's scope. */
export interface CustomerSearch {
  customers: FoundCustomer[];
  offset: number;
  limit: number;
  more: boolean;
}
