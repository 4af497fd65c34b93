import type { MobileDispute, MobileSummary, SavedAccount } from "./types";

export const DISPUTE: MobileDispute = {
  customer_id: "FR01/C00042",
  entity: "FR01",
  account_number: "C00042",
  customer_name: "Dupont SARL",
  item_id: "FR01/invoice/F-2026-0057",
  item_number: "F-2026-0057",
  open_amount: { amount: "2230.50", currency: "EUR" },
  due_date: "2026-11-14",
  disputed_since: "2026-11-18",
  owner: "sales",
  comment: "Invoiced at 42.00 per unit; the order confirmation says 38.50",
  answers: ["Confirmed with the customer: a credit note of 115.50 follows"],
};

export const SUMMARY: MobileSummary = {
  customer: {
    customer_id: "FR01/C00042",
    entity: "FR01",
    account_number: "C00042",
    name: "Dupont SARL",
    email: "compta@dupont-sarl.fr",
    language: "fr",
    country: "FR",
    customer_group: "SMB",
    sector: null,
    collector: "c.martin",
    sales_rep: "p.bernard",
    preferred_channel: "email",
  },
  balances: [
    { currency: "EUR", open: "3480.50", overdue: "1250.00", open_items: 2, overdue_items: 1 },
    { currency: "USD", open: "99.90", overdue: "0", open_items: 1, overdue_items: 0 },
  ],
  oldest_days_overdue: 26,
  items: [],
  disputes: [DISPUTE],
  contacts: [
    {
      name: "Sophie Leroy",
      email: "s.leroy@dupont-sarl.fr",
      phone: "+33 4 72 10 20 30",
      role: "collection",
      language: "fr",
    },
  ],
  as_of: "2026-11-25",
};

export function saved(account_number: string, fetchedAt = "2026-11-20T08:00:00Z", entity = "FR01"): SavedAccount {
  return {
    entity,
    account_number,
    name: `Customer ${account_number}`,
    summary: {
      ...SUMMARY,
      customer: { ...SUMMARY.customer, entity, account_number, name: `Customer ${account_number}` },
    },
    actions: [],
    fetchedAt,
  };
}
