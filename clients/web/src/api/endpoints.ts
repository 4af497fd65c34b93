import type { ApiClient } from "./client";
import type { components, paths } from "./schema.gen";
import type {
  CustomerScenario,
  NextAction,
  PaymentPlan,
  Penalties,
  PlanRequest,
  RiskAlert,
  RiskAlerts,
  RiskProfile,
} from "../customer/types";
import type { AgingReport, ReportQuery } from "../reports/types";
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
    searchCustomers: (query: { q: string; entity?: string; offset?: number; limit?: number }, signal?: AbortSignal) =>
      api.get<import("../mobile/types").CustomerSearch>("/api/v1/customers", { query, signal }),
    promises: (entity: string, account_number: string, signal?: AbortSignal) =>
      api.get<import("../customer/types").Promises>("/api/v1/customers/{entity}/{account_number}/promises", {
        path: { entity, account_number },
        signal,
      }),
    dsoSeries: (query: ReportQuery & { points?: number }, signal?: AbortSignal) =>
      api.get<import("../reports/types").DsoSeries>("/api/v1/reports/dso/series", {
        query: query as ScopeQuery & { points?: number },
        signal,
      }),
    agingBalance: (query: { level?: "group" | "entity"; entity?: string[]; currency?: "item" | "entity" | "group" }) =>
      api.get<AgingBalance>("/api/v1/reports/aging-balance", { query }),
    // Reports, risk alerts and the account's side panels (dashboard, /reports, customer account).
    report: <R>(path: ReportPath, query: ReportQuery, signal?: AbortSignal) =>
      api.get<R, ReportPath>(path, { query: query as ScopeQuery, signal }),
    agingReport: (query: { entity?: string; as_of?: string }, signal?: AbortSignal) =>
      api.get<AgingReport>("/api/v1/reports/aging", { query, signal }),
    riskAlerts: (
      query: { entity?: string; customer_id?: string; status?: "" | "open" | "acknowledged"; page_size?: number },
      signal?: AbortSignal,
    ) => api.get<RiskAlerts>("/api/v1/risk/alerts", { query, signal }),
    acknowledgeAlert: (alert_id: string, comment = "") =>
      api.post<{ alert: RiskAlert; replayed: boolean }>("/api/v1/risk/alerts/{alert_id}/acknowledge", {
        path: { alert_id },
        body: { comment },
      }),
    riskProfile: (entity: string, account_number: string) =>
      api.get<RiskProfile>("/api/v1/risk/customers/{entity}/{account_number}", { path: { entity, account_number } }),
    paymentPlans: (entity: string, account_number: string, include_ended = false) =>
      api.get<{ customer_id: string; plans: PaymentPlan[] }>(
        "/api/v1/customers/{entity}/{account_number}/payment-plans",
        { path: { entity, account_number }, query: { include_ended } },
      ),
    createPlan: (entity: string, account_number: string, body: PlanRequest) =>
      api.post<{ plan: PaymentPlan; replayed: boolean }>("/api/v1/customers/{entity}/{account_number}/payment-plans", {
        path: { entity, account_number },
        body,
      }),
    cancelPlan: (entity: string, account_number: string, plan_id: string, reason: string) =>
      api.post<
        { plan: PaymentPlan; reason: string; replayed: boolean },
        "/api/v1/customers/{entity}/{account_number}/payment-plans/{plan_id}/cancel"
      >("/api/v1/customers/{entity}/{account_number}/payment-plans/{plan_id}/cancel", {
        path: { entity, account_number, plan_id },
        body: { reason },
      }),
    penalties: (entity: string, account_number: string) =>
      api.get<Penalties>("/api/v1/customers/{entity}/{account_number}/penalties", {
        path: { entity, account_number },
      }),
    nextAction: (entity: string, account_number: string) =>
      api.get<NextAction>("/api/v1/customers/{entity}/{account_number}/next-action", {
        path: { entity, account_number },
      }),
    customerScenario: (entity: string, account_number: string) =>
      api.get<CustomerScenario>("/api/v1/customers/{entity}/{account_number}/scenario", {
        path: { entity, account_number },
      }),
  };
}

/** The report routes that take the common scope parameters and `format=`. */
export type ReportPath =
  | "/api/v1/reports/aging-balance"
  | "/api/v1/reports/dso"
  | "/api/v1/reports/cash-forecast"
  | "/api/v1/reports/cash-receipts"
  | "/api/v1/reports/collector-activity"
  | "/api/v1/reports/disputes"
  | "/api/v1/reports/item-status";
// Each report route declares its own query type; they share the scope parameters, which ReportQuery adds to.
type ScopeQuery = NonNullable<paths["/api/v1/reports/item-status"]["get"]["parameters"]["query"]>;

export type Endpoints = ReturnType<typeof endpoints>;

type Schemas = components["schemas"];
type ImportReport = import("../imports/types").ImportReport;
type MappingProfile = import("../imports/types").MappingProfile;
type ImportRunProgress = import("../imports/types").ImportRunProgress;
type ReviewQueue = import("../cashapp/types").ReviewQueue;
type ReviewEntry = import("../cashapp/types").ReviewEntry;
type MatchDecision = import("../cashapp/types").MatchDecision;
type Scenario = import("../scenarios/types").Scenario;
type MessageTemplate = import("../scenarios/types").MessageTemplate;
type TemplatePreview = import("../scenarios/types").TemplatePreview;

/**
 * The JSON routes of the imports screen. File uploads are multipart, which the JSON wrapper does not send: they go
 * through src/imports/upload.ts.
 */
export function importEndpoints(api: ApiClient) {
  return {
    saveMappingProfile: (name: string, body: Schemas["MappingProfileBody"]) =>
      api.put<MappingProfile>("/api/v1/imports/mapping-profiles/{name}", { path: { name }, body }),
    importReport: (import_id: string, signal?: AbortSignal) =>
      api.get<ImportReport>("/api/v1/imports/{import_id}", { path: { import_id }, signal }),
    /** How far the import uploaded with Idempotency-Key ``key`` is, while its upload waits (404 before it starts). */
    importProgress: (key: string, signal?: AbortSignal) =>
      api.get<ImportRunProgress, "/api/v1/imports/progress">("/api/v1/imports/progress", { query: { key }, signal }),
    /** The CSV as text: the route needs the bearer token, so a plain link would not do. */
    rejectedRows: (import_id: string) =>
      api.get<string>("/api/v1/imports/{import_id}/rejected.csv", { path: { import_id } }),
  };
}

/** The cash-application routes: the review queue, the suspense list and a collector's decisions. */
export function matchingEndpoints(api: ApiClient) {
  return {
    review: (query: { entity?: string; page_size?: number; page_token?: string }, signal?: AbortSignal) =>
      api.get<ReviewQueue>("/api/v1/matching/review", { query, signal }),
    suspense: (query: { entity?: string; page_size?: number; page_token?: string }, signal?: AbortSignal) =>
      api.get<ReviewQueue>("/api/v1/matching/suspense", { query, signal }),
    transaction: (transaction_id: string) =>
      api.get<ReviewEntry>("/api/v1/matching/transactions/{transaction_id}", { path: { transaction_id } }),
    confirm: (transaction_id: string, body: Schemas["ConfirmBody"]) =>
      api.post<MatchDecision>("/api/v1/matching/transactions/{transaction_id}/confirm", {
        path: { transaction_id },
        body,
      }),
    reverse: (allocation_id: string, reason: string) =>
      api.post<MatchDecision>("/api/v1/matching/allocations/{allocation_id}/reverse", {
        path: { allocation_id },
        body: { reason },
      }),
  };
}

/** The scenario and message-template routes of the scenario editor. */
export function scenarioEndpoints(api: ApiClient) {
  return {
    scenarios: (signal?: AbortSignal) => api.get<{ scenarios: Scenario[] }>("/api/v1/scenarios", { signal }),
    scenario: (code: string) => api.get<Scenario>("/api/v1/scenarios/{code}", { path: { code } }),
    saveScenario: (code: string, body: Schemas["EditBody"]) =>
      api.put<Scenario>("/api/v1/scenarios/{code}", { path: { code }, body }),
    duplicateScenario: (code: string, body: Schemas["DuplicateBody"]) =>
      api.post<Scenario>("/api/v1/scenarios/{code}/duplicate", { path: { code }, body }),
    templates: (query: { code?: string; channel?: string; language?: string } = {}, signal?: AbortSignal) =>
      api.get<{ templates: MessageTemplate[] }>("/api/v1/templates", { query, signal }),
    saveTemplate: (code: string, language: string, body: Schemas["EditedTemplate"]) =>
      api.put<MessageTemplate, "/api/v1/templates/{code}/{language}">("/api/v1/templates/{code}/{language}", {
        path: { code, language },
        body,
      }),
    createTemplate: (body: Schemas["NewTemplate"]) => api.post<MessageTemplate>("/api/v1/templates", { body }),
    preview: (body: Schemas["PreviewBody"], signal?: AbortSignal) =>
      api.post<TemplatePreview>("/api/v1/templates/preview", { body, signal }),
  };
}

type SettingsUser = import("../settings/types").User;
type SettingsPartner = import("../settings/types").Partner;
type SettingsPartnerDetail = import("../settings/types").PartnerDetail;
type IssuedKey = import("../settings/types").IssuedKey;
type PendingDelivery = import("../settings/types").PendingDelivery;
type PenaltySettingsSet = import("../settings/types").PenaltySettingsSet;
type StatusCatalogue = import("../settings/types").StatusCatalogue;
type SendingHours = import("../settings/types").SendingHours;

/** The settings screen's routes: users, partners and their API keys, an entity's penalty settings. */
export function settingsEndpoints(api: ApiClient) {
  return {
    users: (signal?: AbortSignal) => api.get<{ users: SettingsUser[] }>("/api/v1/users", { signal }),
    createUser: (body: Schemas["NewUserBody"]) => api.post<SettingsUser>("/api/v1/users", { body }),
    changeUser: (user_id: string, body: Schemas["UserChangesBody"]) =>
      api.patch<SettingsUser>("/api/v1/users/{user_id}", { path: { user_id }, body }),
    partners: (signal?: AbortSignal) => api.get<SettingsPartner[]>("/api/v1/partners", { signal }),
    partner: (partner_id: string, signal?: AbortSignal) =>
      api.get<SettingsPartnerDetail>("/api/v1/partners/{partner_id}", { path: { partner_id }, signal }),
    createPartner: (body: Schemas["PartnerBody"]) =>
      api.post<SettingsPartner & { webhook_secret: string }>("/api/v1/partners", { body }),
    issueKey: (partner_id: string, scopes: Schemas["KeyScope"][]) =>
      api.post<IssuedKey>("/api/v1/partners/{partner_id}/keys", { path: { partner_id }, body: { scopes } }),
    revokeKey: (partner_id: string, key_id: string) =>
      api.post<{ key_id: string; revoked: boolean }, "/api/v1/partners/{partner_id}/keys/{key_id}/revoke">(
        "/api/v1/partners/{partner_id}/keys/{key_id}/revoke",
        { path: { partner_id, key_id } },
      ),
    pendingDeliveries: (partner_id: string, signal?: AbortSignal) =>
      api.get<PendingDelivery[], "/api/v1/partners/{partner_id}/deliveries/pending">(
        "/api/v1/partners/{partner_id}/deliveries/pending",
        { path: { partner_id }, signal },
      ),
    setEntityPenalties: (entity: string, body: Schemas["SettingsBody"]) =>
      api.put<PenaltySettingsSet>("/api/v1/entities/{entity}/penalty-settings", { path: { entity }, body }),
    entityPenalties: (entity: string, signal?: AbortSignal) =>
      api.get<Omit<PenaltySettingsSet, "replayed">, "/api/v1/entities/{entity}/penalty-settings">(
        "/api/v1/entities/{entity}/penalty-settings",
        { path: { entity }, signal },
      ),
    disablePartner: (partner_id: string) =>
      api.post<SettingsPartner, "/api/v1/partners/{partner_id}/disable">("/api/v1/partners/{partner_id}/disable", {
        path: { partner_id },
      }),
    enablePartner: (partner_id: string) =>
      api.post<SettingsPartner, "/api/v1/partners/{partner_id}/enable">("/api/v1/partners/{partner_id}/enable", {
        path: { partner_id },
      }),
    statuses: (signal?: AbortSignal) => api.get<StatusCatalogue>("/api/v1/item-statuses", { signal }),
    saveStatuses: (body: Schemas["CatalogueBody"]) =>
      api.put<StatusCatalogue & { replayed: boolean }>("/api/v1/item-statuses", { body }),
    sendingHours: (entity: string, signal?: AbortSignal) =>
      api.get<SendingHours, "/api/v1/entities/{entity}/sending-hours">("/api/v1/entities/{entity}/sending-hours", {
        path: { entity },
        signal,
      }),
    setSendingHours: (entity: string, body: Schemas["SendingHoursBody"]) =>
      api.put<SendingHours & { replayed: boolean }>("/api/v1/entities/{entity}/sending-hours", {
        path: { entity },
        body,
      }),
  };
}

/** The sales rep's phone view: an account summed up, the disputes waiting for my answer, and answering one. */
export function mobileEndpoints(api: ApiClient) {
  return {
    summary: (entity: string, account_number: string, signal?: AbortSignal) =>
      api.get<import("../mobile/types").MobileSummary>("/api/v1/mobile/customers/{entity}/{account_number}", {
        path: { entity, account_number },
        signal,
      }),
    myDisputes: (query: { entity?: string; limit?: number } = {}, signal?: AbortSignal) =>
      api.get<import("../mobile/types").MobileDisputes>("/api/v1/mobile/disputes", { query, signal }),
    lastActions: (entity: string, account_number: string, signal?: AbortSignal) =>
      api.get<Timeline>("/api/v1/customers/{entity}/{account_number}/timeline", {
        path: { entity, account_number },
        query: { page_size: 5 },
        signal,
      }),
    /** Answer a dispute assigned to the signed-in rep; refused (404) for one that is not theirs. */
    answerDispute: (entity: string, account_number: string, item_id: string, answer: string) =>
      api.post<{ recorded: string; answer_id: string; item_id: string; answer: string; replayed: boolean }>(
        "/api/v1/mobile/customers/{entity}/{account_number}/dispute-answers",
        { path: { entity, account_number }, body: { item_id, answer } },
      ),
    searchCustomers: (query: { q: string; entity?: string; offset?: number; limit?: number }, signal?: AbortSignal) =>
      api.get<import("../mobile/types").CustomerSearch>("/api/v1/customers", { query, signal }),
  };
}
