// Where an agent's tool comes from, apart from StepDetail so that it can be
// tested without the router (which reads the browser's location).
type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj | undefined => (v && typeof v === "object" && !Array.isArray(v) ? (v as Obj) : undefined);

/**
 * Where an agent's tool comes from, read from the step's `tools:` input: a
 * tool of an MCP connection's server (named CONNECTION__TOOL), another
 * workflow (a workflow.call tool) or a step type of the workflow's own.
 */
export function toolKinds(input?: Obj): (name: string) => string | undefined {
  const tools = Array.isArray(input?.tools) ? (input!.tools as unknown[]).map(obj) : [];
  const byName = new Map<string, string>();
  const servers: [string, string][] = [];
  for (const t of tools) {
    if (!t) continue;
    if (typeof t.mcp === "string") servers.push([`${t.mcp.replace(/[^A-Za-z0-9_-]/g, "_")}__`, t.mcp]);
    else if (typeof t.name === "string" && t.uses === "workflow.call") byName.set(t.name, `workflow ${String(obj(t.with)?.workflow ?? "")}`.trim());
    else if (typeof t.name === "string" && typeof t.uses === "string") byName.set(t.name, t.uses);
  }
  return (name) => {
    const k = byName.get(name);
    if (k) return k;
    const server = servers.find(([prefix]) => name.startsWith(prefix));
    return server ? `MCP ${server[1]}` : undefined;
  };
}
