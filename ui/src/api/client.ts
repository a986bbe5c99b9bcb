// A thin fetch wrapper: the token from sign-in on every request, and the
// API's error envelope turned into ApiError.
import type { AlertItem, AlertRule, AppInfo, Approval, BulkAnswer, Connection, Credential, Decision, Delivery, Diagnostic, Registration, Execution, ExecutionList, ExecutionQuery, List, McpToolList, Spec, Stats, TriggerList, Usage, WorkflowRecord } from "./types";

const TOKEN_KEY = "weft.token";

export const token = {
  get: () => localStorage.getItem(TOKEN_KEY) ?? "",
  set: (t: string) => localStorage.setItem(TOKEN_KEY, t),
  clear: () => localStorage.removeItem(TOKEN_KEY),
};

/**
 * Who is signed in, as GET /api/v1/session says: a console session (cookie,
 * with its CSRF token) or an API token. The permissions decide what the
 * console shows; the server enforces them either way.
 */
export type Me = { name: string; email?: string; role: string; via: string; permissions: string[]; csrf_token?: string };

let me: Me | null = null;
export const session = {
  get: () => me,
  set: (m: Me | null) => {
    me = m;
  },
  /** Whether the signed-in principal holds perm (everything while unknown: the server decides). */
  can: (perm: string) => !me || me.permissions.includes(perm),
};

export class ApiError extends Error {
  constructor(
    public status: number,
    public code: string,
    message: string,
    public details?: unknown,
  ) {
    super(message);
  }
  /** The line:col diagnostics of a 422. */
  get diagnostics(): Diagnostic[] {
    return Array.isArray(this.details) ? (this.details as Diagnostic[]).filter((d) => d && typeof d.message === "string") : [];
  }
}

/** Listeners for a 401 so the app can send the user back to sign-in. */
const unauthorized = new Set<() => void>();
export const onUnauthorized = (f: () => void) => {
  unauthorized.add(f);
  return () => void unauthorized.delete(f);
};

export async function request<T>(method: string, path: string, body?: unknown, contentType = "application/json"): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (token.get()) headers.Authorization = `Bearer ${token.get()}`;
  else if (me?.csrf_token && method !== "GET") headers["X-CSRF-Token"] = me.csrf_token;
  let payload: BodyInit | undefined;
  if (body !== undefined) {
    headers["Content-Type"] = contentType;
    payload = typeof body === "string" ? body : JSON.stringify(body);
  }
  let res: Response;
  try {
    res = await fetch(path, { method, headers, body: payload });
  } catch (e) {
    throw new ApiError(0, "network", `Cannot reach the server (${(e as Error).message}).`);
  }
  const text = await res.text();
  let data: unknown = undefined;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = text;
    }
  }
  if (!res.ok) {
    const err = (data as { error?: { code?: string; message?: string; details?: unknown } } | undefined)?.error;
    if (res.status === 401) unauthorized.forEach((f) => f());
    throw new ApiError(res.status, err?.code ?? String(res.status), err?.message ?? (typeof data === "string" && data ? data : res.statusText), err?.details);
  }
  return data as T;
}

const enc = encodeURIComponent;

export const api = {
  workflows: () => request<List<WorkflowRecord>>("GET", "/api/v1/workflows?limit=500"),
  workflow: (name: string) => request<WorkflowRecord>("GET", `/api/v1/workflows/${enc(name)}`),
  saveWorkflow: (name: string, yaml: string) => request<WorkflowRecord>("PUT", `/api/v1/workflows/${enc(name)}`, yaml, "application/yaml"),
  deleteWorkflow: (name: string) => request<void>("DELETE", `/api/v1/workflows/${enc(name)}`),
  setEnabled: (name: string, on: boolean) => request<WorkflowRecord>("POST", `/api/v1/workflows/${enc(name)}/${on ? "enable" : "disable"}`),
  start: (name: string, input: unknown) => request<Execution>("POST", `/api/v1/workflows/${enc(name)}/executions`, input),
  executions: (q: ExecutionQuery & { limit?: number; cursor?: string } = {}) => {
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== "") p.set(k, String(v));
    return request<ExecutionList>("GET", `/api/v1/executions?${p}`);
  },
  /** Retry or cancel up to 100 executions by id or by the list's filter: one result per execution. */
  bulk: (action: "retry" | "cancel", by: { ids: string[] } | { filter: ExecutionQuery }) => request<BulkAnswer>("POST", `/api/v1/executions/${action}`, by),
  templates: () => request<List<{ name: string; description: string; file: string; yaml: string }>>("GET", "/api/v1/templates"),
  execution: (id: string) => request<Execution>("GET", `/api/v1/executions/${enc(id)}`),
  cancel: (id: string) => request<Execution>("POST", `/api/v1/executions/${enc(id)}/cancel`),
  retry: (id: string) => request<Execution>("POST", `/api/v1/executions/${enc(id)}/retry`),
  steps: () => request<List<Spec>>("GET", "/api/v1/steps"),
  apps: () => request<List<AppInfo>>("GET", "/api/v1/apps"),
  credentials: () => request<List<Credential>>("GET", "/api/v1/credentials"),
  credentialTypes: () => request<List<Spec>>("GET", "/api/v1/credentials/types"),
  putCredential: (name: string, body: { type: string; data: Record<string, unknown>; description?: string; workflows?: string[]; hosts?: string[]; base_url?: string }) =>
    request<Credential>("PUT", `/api/v1/credentials/${enc(name)}`, body),
  deleteCredential: (name: string) => request<void>("DELETE", `/api/v1/credentials/${enc(name)}`),
  /** Test a connection: an app connector's test call (app), a GET of url, or the stored test_url. */
  testCredential: (name: string, url?: string, app?: string) =>
    request<{ ok: boolean; message: string; status?: number; duration_ms: number; target: string }>(
      "POST",
      `/api/v1/credentials/${enc(name)}/test`,
      app ? { app } : url ? { url } : {},
    ),
  connections: () => request<List<Connection>>("GET", "/api/v1/connections"),
  mcpTools: (connection: string, refresh = false) =>
    request<McpToolList>("GET", `/api/v1/connections/${enc(connection)}/mcp/tools${refresh ? "?refresh=1" : ""}`),
  /** The provider's consent page for an oauth2_code credential (format=json: a fetch cannot follow the 302 usefully). */
  startOAuth: (name: string) => request<{ authorize_url: string }>("GET", `/api/v1/credentials/${enc(name)}/oauth/start?format=json`),
  deliveries: (q: { workflow?: string; limit?: number } = {}) =>
    request<List<Delivery>>("GET", `/api/v1/webhooks/deliveries?limit=${q.limit ?? 50}${q.workflow ? `&workflow=${enc(q.workflow)}` : ""}`),
  registrations: () => request<{ items: Registration[] }>("GET", "/api/v1/webhooks/registrations"),
  replay: (id: string) => request<{ execution_id: string }>("POST", `/api/v1/webhooks/deliveries/${enc(id)}/replay`),
  triggers: () => request<TriggerList>("GET", "/api/v1/triggers"),
  alerts: () => request<{ items: AlertItem[] }>("GET", "/api/v1/alerts"),
  putAlert: (name: string, rule: Omit<AlertRule, "name" | "source">) => request<AlertRule>("PUT", `/api/v1/alerts/${enc(name)}`, rule),
  deleteAlert: (name: string) => request<void>("DELETE", `/api/v1/alerts/${enc(name)}`),
  stats: (since: string) => request<Stats>("GET", `/api/v1/stats?since=${enc(since)}`),
  usage: (q: { from?: string; to?: string; group_by?: string; workflow?: string } = {}) => {
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries(q)) if (v) p.set(k, v);
    return request<Usage>("GET", `/api/v1/usage?${p}`);
  },
  runStep: (workflow: string, step: string, body: { trigger?: unknown; steps: Record<string, unknown> }) =>
    request<{ step: string; input?: unknown; output?: unknown; error?: { code: string; message: string }; duration: string }>(
      "POST",
      `/api/v1/workflows/${enc(workflow)}/steps/${enc(step)}/run`,
      body,
    ),
  evaluate: (expression: string, scope: Record<string, unknown>) => request<{ value: unknown }>("POST", "/api/v1/expressions/evaluate", { expression, scope }),
  approvals: () => request<List<Approval>>("GET", "/api/v1/approvals?limit=500"),
  decide: (execution: string, step: string, item: number, decision: "approve" | "reject", comment: string) =>
    request<Decision>(
      "POST",
      `/api/v1/approvals/${enc(execution)}/${enc(step)}${item >= 0 ? `?item=${item}` : ""}`,
      { decision, comment },
    ),
};

export function eventsURL(id: string): string {
  // A console session's cookie goes along by itself.
  return token.get() ? `/api/v1/executions/${enc(id)}/events?access_token=${enc(token.get())}` : `/api/v1/executions/${enc(id)}/events`;
}

export type User = { id: string; email: string; name?: string; role: string; kind: string; disabled: boolean; created_at: string; last_login_at?: string };
export type ApiToken = { id: string; user_id: string; name: string; scopes: string[]; created_by: string; created_at: string; expires_at?: string; last_used_at?: string; revoked_at?: string };
export type AuditEntry = { seq: number; time: string; actor: string; source: string; action: string; target: string; detail?: unknown; hash: string };
export type Permissions = { roles: Record<string, string[]>; role_order: string[]; scopes: string[]; workflow_scoped: string[] };

export const identityApi = {
  me: () => request<Me>("GET", "/api/v1/session"),
  providers: () => request<{ password: boolean; sso: { enabled: boolean; name?: string; url?: string } }>("GET", "/api/v1/auth/providers"),
  signIn: (email: string, password: string) => request<Me>("POST", "/api/v1/session", { email, password }),
  signOut: () => request<void>("DELETE", "/api/v1/session"),
  permissions: () => request<Permissions>("GET", "/api/v1/permissions"),
  users: () => request<List<User>>("GET", "/api/v1/users"),
  createUser: (u: { email: string; role: string; kind: string; password?: string; name?: string }) => request<User>("POST", "/api/v1/users", u),
  updateUser: (id: string, patch: { role?: string; disabled?: boolean }) => request<User>("PATCH", `/api/v1/users/${enc(id)}`, patch),
  deleteUser: (id: string) => request<void>("DELETE", `/api/v1/users/${enc(id)}`),
  tokens: (all = false) => request<List<ApiToken>>("GET", `/api/v1/tokens${all ? "?all=true" : ""}`),
  createToken: (t: { name: string; scopes: string[]; expires_in?: string; user_id?: string }) => request<{ token: string; record: ApiToken }>("POST", "/api/v1/tokens", t),
  revokeToken: (id: string) => request<void>("DELETE", `/api/v1/tokens/${enc(id)}`),
  audit: (q: Record<string, string>) => {
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries(q)) if (v) p.set(k, v);
    return request<List<AuditEntry>>("GET", `/api/v1/audit?${p}`);
  },
  exportAudit: async (q: Record<string, string>) => {
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries(q)) if (v) p.set(k, v);
    const headers: Record<string, string> = {};
    if (token.get()) headers.Authorization = `Bearer ${token.get()}`;
    const res = await fetch(`/api/v1/audit/export?${p}`, { headers });
    if (!res.ok) throw new ApiError(res.status, String(res.status), `Export failed (${res.status}).`);
    return res.text();
  },
  verifyAudit: () => request<{ checked: number; head: number; head_hash: string; broken?: { seq: number; reason: string } }>("GET", "/api/v1/audit/verify"),
};

export function webhookURL(path: string): string {
  return `${location.origin}/hooks/${path.replace(/^\/+/, "")}`;
}
