// The parameters of an mcp.call step: the connection, a tool picker filled
// from the server's stored tool list (GET /api/v1/connections/{name}/mcp/tools,
// with a refresh button), and a form of the tool's arguments generated from
// its input schema. Any value may still be a {{ }} expression; the server
// checks literal arguments against the same schema when the workflow is saved.
import { useEffect, useState } from "react";
import { api } from "../api/client";
import type { Field, FieldType, McpTool, McpToolList, Spec } from "../api/types";
import { CredentialSelect } from "../components/CredentialSelect";
import { ago } from "../components/ui";
import { FieldInput, YamlValue, type SetValue } from "./fields";

const isExpr = (v: unknown) => typeof v === "string" && v.includes("{{");

const TYPES: Record<string, FieldType> = { string: "string", number: "number", integer: "integer", boolean: "boolean", object: "object", array: "array" };

/** The fields of a tool's arguments, from its JSON Schema's top-level properties. */
export function argumentFields(schema: Record<string, unknown> | undefined): Field[] {
  const props = (schema?.properties ?? {}) as Record<string, Record<string, unknown>>;
  const required = new Set(Array.isArray(schema?.required) ? (schema!.required as string[]) : []);
  return Object.entries(props).map(([name, p]) => {
    const t = Array.isArray(p?.type) ? p.type.find((x) => x !== "null") : p?.type;
    const enums = Array.isArray(p?.enum) && p.enum.every((e) => typeof e === "string") ? (p.enum as string[]) : undefined;
    return {
      name,
      type: TYPES[String(t)] ?? "any",
      description: typeof p?.description === "string" ? p.description : "",
      required: required.has(name),
      default: p?.default,
      enum: enums,
    };
  });
}

export function McpCallFields({ spec, w, set }: { spec: Spec; w: Record<string, unknown>; set: SetValue }) {
  const conn = typeof w.connection === "string" ? w.connection : "";
  const tool = typeof w.tool === "string" ? w.tool : "";
  const args = w.arguments;
  const [list, setList] = useState<McpToolList>();
  const [error, setError] = useState("");
  const [loading, setLoading] = useState(false);
  const field = (name: string) => spec.fields?.find((f) => f.name === name);

  const load = async (refresh: boolean) => {
    setLoading(true);
    setError("");
    try {
      setList(await api.mcpTools(conn, refresh));
    } catch (e) {
      setList(undefined);
      setError((e as Error).message);
    } finally {
      setLoading(false);
    }
  };
  useEffect(() => {
    setList(undefined);
    setError("");
    if (conn && !isExpr(conn)) void load(false);
  }, [conn]); // eslint-disable-line react-hooks/exhaustive-deps

  const chosen: McpTool | undefined = list?.tools.find((t) => t.name === tool);
  const fields = argumentFields(chosen?.input_schema);
  const obj = (args && typeof args === "object" && !Array.isArray(args) ? args : {}) as Record<string, unknown>;
  const known = new Set(fields.map((f) => f.name));
  const extra = Object.fromEntries(Object.entries(obj).filter(([k]) => !known.has(k)));

  return (
    <div data-testid="mcp-call-fields">
      {isExpr(conn) ? (
        <FieldInput f={field("connection")!} value={conn} path={["with", "connection"]} set={set} />
      ) : (
        <label className={`field ${conn ? "" : "invalid"}`} data-field="connection">
          <span className="field-label">
            connection<span className="req"> *</span>
            <span className="field-type">mcp</span>
          </span>
          <CredentialSelect label="connection" type="mcp" value={conn} onChange={(v) => set(["with", "connection"], v === "" ? undefined : v)} />
          <span className="field-help">An mcp connection (Credentials → New → type mcp).</span>
        </label>
      )}

      <div className="field" data-field="tool">
        <span className="field-label">
          tool<span className="req"> *</span>
          <span className="field-type">string</span>
        </span>
        {list && !isExpr(tool) ? (
          <div className="row gap">
            <select aria-label="tool" value={tool} onChange={(e) => set(["with", "tool"], e.target.value || undefined)} className="grow">
              <option value="">— pick a tool —</option>
              {list.tools.map((t) => (
                <option key={t.name} value={t.name}>
                  {t.name}
                </option>
              ))}
              {tool && !chosen && <option value={tool}>{tool} (not listed)</option>}
            </select>
            <button type="button" className="btn small" onClick={() => void load(true)} disabled={loading} title="List the server's tools again">
              {loading ? "Listing…" : "Refresh tools"}
            </button>
          </div>
        ) : (
          <>
            <FieldInput f={{ ...field("tool")!, name: "tool" }} value={tool || undefined} path={["with", "tool"]} set={set} />
            {conn && !isExpr(conn) && (
              <button type="button" className="btn small" onClick={() => void load(true)} disabled={loading}>
                {loading ? "Listing…" : "List tools"}
              </button>
            )}
          </>
        )}
        {error && (
          <span className="field-problem" data-testid="mcp-tools-error">
            {error}
          </span>
        )}
        {list && (
          <span className="field-help" data-testid="mcp-tools-listed">
            {list.tools.length} tool{list.tools.length === 1 ? "" : "s"} listed {ago(list.listed_at)}.
            {tool && !chosen && !isExpr(tool) && " This tool is not in the list: saving will be refused until the server lists it."}
          </span>
        )}
        {chosen?.description && <span className="field-help mcp-tool-desc">{chosen.description}</span>}
      </div>

      {chosen && fields.length > 0 && !isExpr(args) ? (
        <fieldset className="nested" aria-label="Tool arguments" data-field="arguments">
          <legend>arguments</legend>
          <div className="field-help">From the input schema of {chosen.name}; checked when the workflow is saved. Any value may be a {"{{ }}"} expression.</div>
          {fields.map((f) => (
            <FieldInput key={f.name} f={f} value={obj[f.name]} path={["with", "arguments", f.name]} set={set} />
          ))}
          {Object.keys(extra).length > 0 && (
            <label className="field">
              <span className="field-label">other arguments (YAML)</span>
              <YamlValue
                label="other arguments YAML"
                value={extra}
                onChange={(v) => {
                  const kept = Object.fromEntries(Object.entries(obj).filter(([k]) => known.has(k)));
                  const next = { ...kept, ...((v && typeof v === "object" ? v : {}) as object) };
                  set(["with", "arguments"], Object.keys(next).length ? next : undefined);
                }}
                rows={2}
              />
              <span className="field-help">Keys the tool's schema does not declare.</span>
            </label>
          )}
        </fieldset>
      ) : (
        <FieldInput f={field("arguments")!} value={args} path={["with", "arguments"]} set={set} />
      )}
    </div>
  );
}
