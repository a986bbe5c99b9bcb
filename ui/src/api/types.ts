// Shapes of the REST API, mirroring the json tags of the Go root package
// (workflow.go, execution.go) and step/spec.go.

export interface WorkflowRecord {
  name: string;
  version: number;
  source: string;
  description?: string;
  webhook_path?: string;
  enabled: boolean;
  created_at: string;
  updated_at: string;
  workflow?: unknown;
}

export type ExecutionStatus = "queued" | "running" | "waiting" | "succeeded" | "failed" | "canceled";
export type StepStatus = "pending" | "running" | "waiting" | "succeeded" | "failed" | "skipped" | "canceled";
export const EXECUTION_STATUSES: ExecutionStatus[] = ["queued", "running", "waiting", "succeeded", "failed", "canceled"];
export const finished = (s: string) => s === "succeeded" || s === "failed" || s === "canceled";

export interface ErrorInfo {
  code: string;
  message: string;
}

export interface Execution {
  id: string;
  workflow: string;
  workflow_version: number;
  status: ExecutionStatus;
  trigger: string;
  input: unknown;
  output?: unknown;
  error?: ErrorInfo;
  parent_id?: string;
  created_at: string;
  started_at?: string;
  finished_at?: string;
  wake_at?: string;
  cancel_requested?: boolean;
  response?: unknown;
  steps?: StepRun[];
}

export interface StepRun {
  execution_id: string;
  step_id: string;
  item: number;
  type: string;
  status: StepStatus;
  attempts: number;
  input?: unknown;
  output?: unknown;
  error?: ErrorInfo;
  started_at?: string;
  finished_at?: string;
  wake_at?: string;
}

export type FieldType = "string" | "number" | "integer" | "boolean" | "object" | "array" | "duration" | "any";

export interface Field {
  name: string;
  type: FieldType;
  description: string;
  required?: boolean;
  default?: unknown;
  enum?: string[];
  secret?: boolean;
  fields?: Field[];
  items?: Field;
  example?: unknown;
}

export interface Spec {
  type: string;
  title: string;
  description: string;
  category: string;
  fields: Field[] | null;
  output?: string;
  example?: string;
  pure?: boolean;
  allow_extra?: boolean;
  auth?: string[];
  schema?: unknown;
}

export interface Diagnostic {
  file?: string;
  line: number;
  column: number;
  message: string;
}

export interface List<T> {
  items: T[];
  next_cursor?: string;
}
