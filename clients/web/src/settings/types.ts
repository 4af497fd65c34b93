import type { Me, Money } from "../api/types";

/** A user as GET /api/v1/users lists them (the gateway's user_json). */
export interface User {
  user_id: string;
  email: string;
  name: string | null;
  role: Role;
  entities: "all" | string[];
  portfolio: string | null;
  disabled: boolean;
  created_at: string;
  updated_at: string;
  created_by: string | null;
}

export type Role = Me["role"];
export const ROLES: readonly Role[] = ["admin", "credit_manager", "collector", "sales", "read_only", "partner"];

export type PartnerKind = "call_centre" | "legal";
export type KeyScope = "cases:read" | "cases:write";
export const KEY_SCOPES: readonly KeyScope[] = ["cases:read", "cases:write"];

export interface Partner {
  partner_id: string;
  name: string;
  kind: PartnerKind;
  webhook_url: string;
  allow_private: boolean;
  disabled: boolean;
  created_at: string;
  created_by: string;
}

export interface PartnerKey {
  key_id: string;
  prefix: string;
  scopes: KeyScope[];
  created_at: string;
  created_by: string;
  revoked_at: string | null;
}

export interface PartnerDetail extends Partner {
  keys: PartnerKey[];
}

/** An issued key: ``key`` is the secret, answered this once and stored hashed. */
export interface IssuedKey extends PartnerKey {
  key: string;
}

export interface PendingDelivery {
  delivery_id: string;
  event_type: string;
  case_id: string;
  attempts: number;
  next_attempt_at: string;
  queued_at: string;
}

export interface PenaltySettingsSet {
  entity: string;
  account_number: string | null;
  settings: {
    issue_items: boolean | null;
    exempt_interest: boolean | null;
    exempt_compensation: boolean | null;
    law: string | null;
    minimum_interest: Money | null;
    updated_by: string | null;
  };
  terms: {
    law: string | null;
    issue_items: boolean;
    charge_interest: boolean;
    charge_compensation: boolean;
    minimum_interest: Money | null;
  };
  replayed: boolean;
}

export type ResolutionOwner = "collector" | "sales" | "credit_manager" | "legal";
export const RESOLUTION_OWNERS: readonly ResolutionOwner[] = ["collector", "sales", "credit_manager", "legal"];
/** The engine's channels a status's follow-up action may be. */
export const FOLLOW_UP_ACTIONS = [
  "internal_task",
  "phone_call",
  "email",
  "sms",
  "letter",
  "call_centre_task",
  "legal_escalation",
  "debt_sale",
] as const;

/** An item status as GET /api/v1/item-statuses lists it. */
export interface StatusDefinition {
  code: string;
  labels: Record<string, string>;
  excludes_from_scenario: boolean;
  follow_up: { action: string; delay_days: number } | null;
  resolution_owner: ResolutionOwner | null;
  sends_confirmation: string | null;
  is_dispute: boolean;
  closes_on_payment: boolean;
  requires_comment: boolean;
  /** Set by the service itself (a promise, a plan, an escalation): editable, never removable. */
  built_in: boolean;
}

export interface StatusCatalogue {
  /** 0: the shipped statuses, never saved. */
  version: number;
  updated_by: string | null;
  updated_at: string | null;
  statuses: StatusDefinition[];
}

export type Weekday = "mon" | "tue" | "wed" | "thu" | "fri" | "sat" | "sun";
export const WEEKDAYS: readonly Weekday[] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

export interface SendingHours {
  entity: string;
  time_zone: string | null;
  weekdays: Weekday[];
  slots: { start: string; end: string }[];
  /** 0: the entity has none of its own; the default applies. */
  version: number;
  updated_by: string | null;
  updated_at: string | null;
}
