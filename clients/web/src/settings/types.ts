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
