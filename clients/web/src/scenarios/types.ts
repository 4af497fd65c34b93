/* The scenario and template routes' answers, after services/gateway's scenarios_api.py and templates_api.py. */

export interface StepChannel {
  channel: string;
  template: string;
}

export interface Step {
  code: string;
  offset_days: number;
  anchor: string;
  channel: string;
  template: string;
  automatic: boolean;
  also: StepChannel[];
  product_group: string | null;
  minimum_amount: string | null;
}

export interface Scenario {
  code: string;
  name: string;
  language: string;
  minimum_amount: string;
  steps: Step[];
  version: number;
  builtin: boolean;
  is_default: boolean;
  used_by_rules: string[];
  updated_at: string | null;
  updated_by: string;
}

export interface MessageTemplate {
  code: string;
  channel: string;
  language: string;
  subject: string;
  body: string;
  version: number;
  builtin: boolean;
  custom_fields: string[];
  attach_statement: boolean;
  attach_invoices: boolean;
  updated_by: string;
  updated_at: string | null;
}

export interface TemplatePreview {
  template: MessageTemplate;
  customer_id: string;
  subject: string;
  text: string;
  html: string;
}
