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
  /** In list items: the newest execution, absent when it never ran. */
  last_execution?: { id: string; status: ExecutionStatus; created_at: string };
  /** In list items: installed and kept by Weft itself (webhook delivery); not the user's to delete. */
  managed?: boolean;
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
  /** Earlier runs that a retry replaced, oldest first (weft.PriorRun). */
  retries?: PriorRun[];
}

/** weft.PriorRun: a run of an execution that failed and was retried, with the step runs the retry ran again. */
export interface PriorRun {
  run: number;
  status: ExecutionStatus;
  error?: ErrorInfo;
  started_at?: string;
  finished_at?: string;
  retried_at: string;
  retried_by?: string;
  steps?: StepRun[];
  steps_truncated?: boolean;
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
  /** One entry per attempt and per wait (weft.Attempt): how it ended and why. */
  history?: Attempt[];
}

/** weft.Attempt: outcome is succeeded, failed, retry, waiting or cached; error and code are the attempt's own. */
export interface Attempt {
  attempt: number;
  at: string;
  outcome: string;
  duration_ms?: number;
  code?: string;
  error?: string;
  wait?: string;
  reason?: string;
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
  /** The app connector an `apps` step belongs to (GET /api/v1/apps). */
  app?: string;
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

/** The execution list's filter (GET /api/v1/executions and the bulk actions). */
export interface ExecutionQuery {
  workflow?: string;
  status?: string;
  from?: string;
  to?: string;
  id_prefix?: string;
  /** field=value on the trigger data, e.g. body.customer.id=42 */
  input?: string;
}

/** With ?input=: how far the bounded search read. */
export interface ExecutionList extends List<Execution> {
  scanned?: number;
  scan_limited?: boolean;
  max_scan?: number;
}

export interface BulkAnswer {
  results: { id: string; ok: boolean; status?: string; error?: { code: string; message: string } }[];
  more?: boolean;
}

/** GET /api/v1/stats: aggregated from the store (the same in every process). */
export interface Stats {
  since: string;
  until: string;
  bucket_seconds: number;
  total: number;
  by_status: Record<string, number>;
  error_rate: number;
  per_bucket: { start: string; counts: Record<string, number> }[];
  top_failing: { workflow: string; failed: number; total: number; error_rate: number }[];
  step_latency: { type: string; count: number; failed: number; p50_ms: number; p95_ms: number; max_ms: number }[];
  step_sample: { step_runs: number; truncated: boolean };
}

export interface UsageTotals {
  key?: string;
  calls: number;
  input_tokens: number;
  output_tokens: number;
  cached_tokens: number;
  cost_usd: number;
}

/** GET /api/v1/usage: AI token use and cost. */
export interface Usage {
  from?: string;
  to?: string;
  group_by: string;
  total: UsageTotals;
  groups: UsageTotals[];
}

/** A credential's metadata; values are write-only and never come back. */
export interface Credential {
  name: string;
  type: string;
  fields?: string[]; // names of the fields that are set
  key_id?: string;
  description?: string;
  workflows?: string[];
  hosts?: string[];
  limits?: { requests?: string; concurrency?: number; tokens?: string };
  created_at: string;
  updated_at: string;
}

export interface Connection {
  name: string;
  type: string;
  hosts?: string[];
  status: { last_success?: string; last_failure?: string; last_error?: string; token_expiry?: string };
  limiter: { limits?: string; queued: number; in_flight: number; recent_calls: number; tokens_used?: number; paused_until?: string };
}

/** One request to /hooks/…: what Weft answered and why. */
export interface Delivery {
  id: string;
  workflow?: string;
  path: string;
  received_at: string;
  source_ip?: string;
  method: string;
  status: number;
  outcome: string;
  reason?: string;
  scheme?: string;
  dedupe_key?: string;
  execution_id?: string;
  /** What became of the execution it started (absent when none, or pruned). */
  execution_status?: ExecutionStatus;
  execution_error?: ErrorInfo;
}

/** A workflow's webhook subscription at its provider (GET /api/v1/webhooks/registrations). */
export interface Registration {
  workflow: string;
  provider: string;
  url?: string;
  events?: string[];
  state: "pending" | "registered" | "error";
  endpoint_id?: string;
  last_error?: string;
  attempts: number;
  next_attempt_at: string;
  updated_at: string;
}

/** A pending approval (GET /api/v1/approvals). */
export interface Approval {
  execution_id: string;
  step_id: string;
  /** The for_each item the request is about; -1 for a step without for_each. */
  item: number;
  workflow: string;
  request?: { message?: string; details?: unknown };
  created_at: string;
  expires_at: string;
}

/** A recorded decision (POST /api/v1/approvals/{execution}/{step}). */
export interface Decision {
  decision: "approve" | "reject";
  comment?: string;
  by: string;
  at: string;
}

/** One queue trigger's health (GET /api/v1/triggers). */
export interface TriggerHealth {
  kind: string;
  workflow: string;
  index: number;
  broker: string;
  connection: string;
  target: string;
  status: "ok" | "connecting" | "error";
  connected: boolean;
  connected_since?: string;
  last_message_at?: string;
  last_error?: string;
  last_error_at?: string;
  reconnects: number;
  lag: number | null;
  in_flight: number;
  messages: Record<string, number>;
  /** Where a mailbox trigger (kind imap) stands: uidvalidity and last uid. */
  cursor?: string;
}

/** One polling trigger's liveness (GET /api/v1/triggers, `polls`), shared by every process. */
export interface PollHealth {
  kind: "poll";
  workflow: string;
  index: number;
  step: string;
  every: string;
  status: "ok" | "pending" | "error" | "paused" | "late";
  last_poll_at?: string;
  last_success_at?: string;
  last_error_at?: string;
  last_error?: string;
  items_seen: number;
  next_poll_at?: string;
  paused_until?: string;
  polled_by?: string;
}

export interface TriggerList {
  items: TriggerHealth[];
  polls?: PollHealth[];
  unhealthy: number;
}

/** An app connector (GET /api/v1/apps): what the palette groups its operations under and the credential kinds it accepts. */
export interface AppAuth {
  kind: string;
  title?: string;
  fields?: Record<string, string>;
  note?: string;
}

export interface AppInfo {
  name: string;
  title: string;
  description: string;
  icon: string;
  docs?: string;
  base_url: string;
  auth: AppAuth[];
  operations: string[];
}

export interface AlertRule {
  name: string;
  kind: string;
  workflow?: string;
  connection?: string;
  credential?: string;
  window?: string;
  threshold?: number;
  min_executions?: number;
  repeat?: string;
  notify: string;
  source?: "file" | "api";
}

export interface AlertStatus {
  name: string;
  state: "pending" | "ok" | "firing";
  value: number;
  since?: string;
  notified_at?: string;
  evaluated_at?: string;
  owner?: string;
}

export interface AlertItem {
  rule: AlertRule;
  status: AlertStatus;
}

/** One tool of an MCP server, as GET /api/v1/connections/{name}/mcp/tools lists it. */
export interface McpTool {
  name: string;
  description?: string;
  input_schema?: Record<string, unknown>;
}

export interface McpToolList {
  connection: string;
  tools: McpTool[];
  listed_at: string;
}
