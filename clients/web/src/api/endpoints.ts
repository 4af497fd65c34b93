import type { ApiClient } from "./client";
import type { components } from "./schema.gen";
import type { Agenda, AgingBalance, BulkAction, BulkResult, CustomerAccount, Entity, Me, Timeline } from "./types";

/** The agenda filters and sorts exactly as GET /api/v1/agenda takes them. */
export interface AgendaQuery {
  entity?: string;
  customer_id?: string;
  channel?: string;
  collector?: string;
  status?: "" | "scheduled" | "open" | "sent" | "done" | "cancelled";
  min_amount?: string;
  max_amount?: string;
  due_from?: string | null;
  due_to?: string | null;
  automatic?: boolean | null;
  sort?: "due_on" | "amount" | "days_overdue";
  page_size?: number;
  page_token?: string;
}

export interface BulkRequest {
  action: BulkAction;
  task_ids: string[];
  postpone_to?: string;
  collector?: string;
  comment?: string;
}

export type Qualification = components["schemas"]["QualificationBody"];

/** The routes the screens use, named for what they do. */
export function endpoints(api: ApiClient) {
  return {
    me: () => api.get<Me>("/api/v1/me"),
    entities: () => api.get<{ items: Entity[] }>("/api/v1/entities"),
    agenda: (query: AgendaQuery, signal?: AbortSignal) => api.get<Agenda>("/api/v1/agenda", { query, signal }),
    bulk: (request: BulkRequest) => api.post<{ results: BulkResult[] }>("/api/v1/agenda/bulk", { body: request }),
    account: (entity: string, account_number: string) =>
      api.get<CustomerAccount>("/api/v1/customers/{entity}/{account_number}", { path: { entity, account_number } }),
    timeline: (
      entity: string,
      account_number: string,
      query: { kind?: string[]; page_size?: number; page_token?: string } = {},
    ) =>
      api.get<Timeline>("/api/v1/customers/{entity}/{account_number}/timeline", {
        path: { entity, account_number },
        query,
      }),
    qualify: (entity: string, account_number: string, body: Qualification) =>
      api.post<{ statuses: { item_id: string; status: string }[]; replayed: boolean }>(
        "/api/v1/customers/{entity}/{account_number}/qualifications",
        { path: { entity, account_number }, body },
      ),
    agingBalance: (query: { level?: "group" | "entity"; entity?: string[]; currency?: "item" | "entity" | "group" }) =>
      api.get<AgingBalance>("/api/v1/reports/aging-balance", { query }),
  };
}

export type Endpoints = ReturnType<typeof endpoints>;
