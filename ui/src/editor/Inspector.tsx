// The side panel: the selected step's form, or the workflow's settings when
// nothing (or the trigger) is selected, plus the last test run of the step.
import { useEffect, useState } from "react";
import type { Document } from "yaml";
import type { Spec } from "../api/types";
import { webhookURL } from "../api/client";
import { CopyButton } from "../components/ui";
import { toJS } from "../doc/document";
import { stepJS, type Graph } from "../doc/graph";
import { DURATION, FieldInput, YamlValue, type SetValue } from "./fields";
import { scopeFor, type ExprScope } from "./expr";
import { ExprField, ScopeContext, useExprProblems } from "./ExprField";
import { StepTabs, type PanelData } from "./StepPanel";
import { argumentFields, McpCallFields } from "./McpCall";

/** Real data for expression suggestions: the last run's trigger input and step outputs. */
export interface Sample {
  trigger?: unknown;
  outputs: Record<string, unknown>;
  source?: string;
}

interface Props {
  doc: Document;
  graph: Graph;
  specs: Map<string, Spec>;
  selected?: string; // a step id, or undefined for workflow settings
  sample: Sample;
  problems: string[];
  setStep: (id: string, path: (string | number)[], value: unknown, key?: string) => void;
  setDoc: (path: string[], value: unknown, key?: string) => void;
  rename: (from: string, to: string) => string | undefined;
  setNeeds: (id: string, deps: string[]) => void;
  /** The step panel's data for the selected step. */
  panel?: PanelData;
  /** The wide step panel is open for this step: the inspector steps aside. */
  expanded?: boolean;
  onExpand: (id: string) => void;
}

function Text({ label, value, onChange, placeholder, help, problem, mono }: { label: string; value: string; onChange: (v: string) => void; placeholder?: string; help?: string; problem?: string; mono?: boolean }) {
  return (
    <label className={`field ${problem ? "invalid" : ""}`}>
      <span className="field-label">{label}</span>
      <input aria-label={label} className={mono ? "mono" : ""} value={value} placeholder={placeholder} onChange={(e) => onChange(e.target.value)} />
      {problem ? <span className="field-problem">{problem}</span> : help && <span className="field-help">{help}</span>}
    </label>
  );
}

/** A one-line field that takes a {{ }} expression, with suggestions and inline problems. */
function Expr({ label, value, onChange, placeholder, help }: { label: string; value: string; onChange: (v: string) => void; placeholder?: string; help?: string }) {
  const problem = useExprProblems(value);
  return (
    <label className={`field ${problem ? "invalid" : ""}`}>
      <span className="field-label">{label}</span>
      <ExprField aria-label={label} className="mono" value={value} placeholder={placeholder} onChange={onChange} spellCheck={false} />
      {problem ? <span className="field-problem">{problem}</span> : help && <span className="field-help">{help}</span>}
    </label>
  );
}

function StepId({ id, rename }: { id: string; rename: Props["rename"] }) {
  const [v, setV] = useState(id);
  const [err, setErr] = useState("");
  useEffect(() => {
    setV(id);
    setErr("");
  }, [id]);
  const commit = () => {
    if (v === id) return;
    const e = rename(id, v);
    setErr(e ?? "");
    if (e) setV(id);
  };
  return (
    <label className={`field ${err ? "invalid" : ""}`}>
      <span className="field-label">id</span>
      <input aria-label="Step id" className="mono" value={v} onChange={(e) => setV(e.target.value)} onBlur={commit} onKeyDown={(e) => e.key === "Enter" && commit()} />
      {err ? <span className="field-problem">{err}</span> : <span className="field-help">Referenced as steps.{id} in expressions; renaming updates every reference.</span>}
    </label>
  );
}

export function StepForm(p: Props & { id: string }) {
  const { id, graph, specs } = p;
  const js = stepJS(p.doc, id) ?? {};
  const step = graph.steps.find((s) => s.id === id)!;
  const spec = specs.get(String(js.uses ?? ""));
  const w = (js.with && typeof js.with === "object" ? js.with : {}) as Record<string, unknown>;
  const set: SetValue = (path, value, key) => p.setStep(id, path, value, key);
  const retry = (js.retry && typeof js.retry === "object" ? js.retry : {}) as Record<string, unknown>;
  const declared = new Set((spec?.fields ?? []).map((f) => f.name));
  const extra = Object.fromEntries(Object.entries(w).filter(([k]) => !declared.has(k)));
  const others = graph.steps.filter((s) => s.id !== id);
  const timeout = typeof js.timeout === "string" ? js.timeout : js.timeout === undefined ? "" : String(js.timeout);
  const scope: ExprScope = scopeFor(graph, id, p.sample);

  return (
    <ScopeContext.Provider value={scope}>
    <div className="form" data-testid="step-form">
      <div className="panel-title">
        <span className={`chip cat-${spec?.category ?? "other"}`}>{spec?.title ?? String(js.uses ?? "")}</span>
        <span className="mono muted small">{String(js.uses ?? "")}</span>
      </div>
      {spec?.description && <p className="muted small">{spec.description}</p>}
      {p.problems.map((m, i) => (
        <div className="error-box small" key={i}>
          {m}
        </div>
      ))}
      <StepId id={id} rename={p.rename} />
      <Text label="name" value={String(js.name ?? "")} placeholder="Shown on the canvas" onChange={(v) => set(["name"], v, `${id}.name`)} />
      <fieldset className="nested needs">
        <legend>Depends on</legend>
        {others.length === 0 && <div className="muted small">No other steps.</div>}
        {others.map((o) => (
          <label key={o.id} className="check">
            <input
              type="checkbox"
              aria-label={`needs ${o.id}`}
              checked={step.deps.includes(o.id)}
              onChange={(e) => p.setNeeds(id, e.target.checked ? [...step.deps, o.id] : step.deps.filter((d) => d !== o.id))}
            />
            <span className="mono">{o.id}</span>
          </label>
        ))}
        <div className="field-help">
          The steps this one waits for (<code>needs:</code>; the arrows on the canvas). {step.explicit ? "Listed in needs:." : "Implicit: a step without needs: runs after the step before it."}
        </div>
      </fieldset>

      <h4>with</h4>
      {!spec && <p className="muted small">Unknown step type: edit its inputs as YAML.</p>}
      {spec?.type === "mcp.call" ? (
        <McpCallFields spec={spec} w={w} set={set} />
      ) : (
        (spec?.fields ?? []).map((f) => <FieldInput key={f.name} f={f} value={w[f.name]} path={["with", f.name]} set={set} />)
      )}
      {(!spec || spec.allow_extra || Object.keys(extra).length > 0) && (
        <label className="field">
          <span className="field-label">{spec?.allow_extra ? "output fields (YAML)" : "other inputs (YAML)"}</span>
          <YamlValue
            label="with YAML"
            value={Object.keys(extra).length ? extra : undefined}
            onChange={(v) => {
              const next = { ...Object.fromEntries(Object.entries(w).filter(([k]) => declared.has(k))), ...((v && typeof v === "object" ? v : {}) as object) };
              set(["with"], Object.keys(next).length ? next : undefined);
            }}
          />
          <span className="field-help">{spec?.allow_extra ? "Each key becomes a field of the step's output; values may be {{ }} expressions." : "Keys the catalog does not declare."}</span>
        </label>
      )}

      <h4>flow</h4>
      <Expr label="if" value={String(js.if ?? "")} placeholder="{{ steps.x.output.ok }}" help="Run only when this is true; otherwise the step is skipped." onChange={(v) => set(["if"], v, `${id}.if`)} />
      <Expr label="for_each" value={String(js.for_each ?? "")} placeholder="{{ trigger.body.items }}" help="Run once per item (as item); the output is the list of results." onChange={(v) => set(["for_each"], v, `${id}.for_each`)} />
      <Text label="timeout" value={timeout} placeholder="30s" problem={timeout && !DURATION.test(timeout) ? "a duration like 30s, 5m or 2h" : undefined} onChange={(v) => set(["timeout"], v, `${id}.timeout`)} />
      <fieldset className="nested">
        <legend>retry</legend>
        <div className="grid2">
          <label className="field">
            <span className="field-label">max_attempts</span>
            <input
              aria-label="max_attempts"
              inputMode="numeric"
              value={retry.max_attempts === undefined ? "" : String(retry.max_attempts)}
              placeholder="3"
              onChange={(e) => set(["retry", "max_attempts"], e.target.value === "" ? undefined : Number(e.target.value) || e.target.value, `${id}.retry.n`)}
            />
          </label>
          <label className="field">
            <span className="field-label">backoff</span>
            <select aria-label="backoff" value={String(retry.backoff ?? "")} onChange={(e) => set(["retry", "backoff"], e.target.value || undefined)}>
              <option value="">default (exponential)</option>
              <option>exponential</option>
              <option>fixed</option>
            </select>
          </label>
          <Text label="initial" value={String(retry.initial ?? "")} placeholder="1s" onChange={(v) => set(["retry", "initial"], v, `${id}.retry.i`)} />
          <Text label="max" value={String(retry.max ?? "")} placeholder="30s" onChange={(v) => set(["retry", "max"], v, `${id}.retry.m`)} />
        </div>
      </fieldset>
      <label className="check">
        <input type="checkbox" checked={js.continue_on_error === true} onChange={(e) => set(["continue_on_error"], e.target.checked ? true : undefined)} />
        continue_on_error <span className="muted small">— the workflow goes on past a failure</span>
      </label>
    </div>
    </ScopeContext.Provider>
  );
}

/** How the workflow is served as an MCP tool, and its typed inputs (the tool's input schema). */
function McpToolSection({ doc }: { doc: Document }) {
  const mcp = toJS<Record<string, unknown>>(doc.get("mcp", true));
  const inputs = toJS<Record<string, unknown>>(doc.get("inputs", true));
  const tool = mcp?.tool === true;
  if (!tool && !inputs) return null;
  const fields = inputs && typeof inputs === "object" ? argumentFields(inputs) : [];
  const description = String(mcp?.description ?? doc.get("description") ?? "");
  return (
    <section data-testid="workflow-inputs" aria-label="Inputs">
      <h4>
        inputs {tool && <span className="tag mcp-tool" title="Served as a tool at /mcp">MCP tool</span>}
      </h4>
      {tool && <p className="muted small">Served as the MCP tool <code>{String(doc.get("name") ?? "")}</code> at /mcp{description ? `: ${description}` : "."}</p>}
      {fields.length > 0 ? (
        <table className="table small inputs-table">
          <thead>
            <tr>
              <th>input</th>
              <th>type</th>
              <th>description</th>
            </tr>
          </thead>
          <tbody>
            {fields.map((f) => (
              <tr key={f.name} data-input={f.name}>
                <td className="mono">
                  {f.name}
                  {f.required && <span className="req" title="required"> *</span>}
                </td>
                <td className="mono">
                  {f.type}
                  {f.default !== undefined && <span className="muted"> = {JSON.stringify(f.default)}</span>}
                </td>
                <td>{f.description}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p className="muted small">{inputs ? "The inputs schema declares no properties." : "No inputs schema: a tool call may pass any object."}</p>
      )}
      <span className="field-help">
        Edit <code>inputs:</code> and <code>mcp:</code> in the YAML tab. A start whose input does not match the schema is refused.
      </span>
    </section>
  );
}

function WorkflowForm(p: Props) {
  const wh = toJS<Record<string, unknown>>(p.doc.getIn(["on", "webhook"], true));
  const sched = toJS<Array<Record<string, unknown>>>(p.doc.getIn(["on", "schedule"], true));
  const name = String(p.doc.get("name") ?? "");
  return (
    <div className="form" data-testid="workflow-form">
      <div className="panel-title">Workflow</div>
      {p.problems.map((m, i) => (
        <div className="error-box small" key={i}>
          {m}
        </div>
      ))}
      <Text
        label="name"
        mono
        value={name}
        problem={name && !/^[a-z0-9][a-z0-9-]{0,62}$/.test(name) ? "lower-case letters, digits and dashes" : undefined}
        onChange={(v) => {
          p.setDoc(["name"], v, "name");
          // The webhook path follows the name until someone changes it by hand.
          if (wh && (wh.path === name || !wh.path)) p.setDoc(["on", "webhook", "path"], v, "name");
        }}
      />
      <label className="field">
        <span className="field-label">description</span>
        <textarea aria-label="description" rows={2} value={String(p.doc.get("description") ?? "")} onChange={(e) => p.setDoc(["description"], e.target.value, "description")} />
      </label>
      <McpToolSection doc={p.doc} />
      <h4>webhook trigger</h4>
      {wh ? (
        <>
          <Text label="path" mono value={String(wh.path ?? "")} onChange={(v) => p.setDoc(["on", "webhook", "path"], v, "wh.path")} />
          {wh.path ? (
            <div className="row gap small">
              <code className="url">{webhookURL(String(wh.path))}</code>
              <CopyButton text={webhookURL(String(wh.path))} />
            </div>
          ) : null}
          <div className="grid2">
            <label className="field">
              <span className="field-label">method</span>
              <select aria-label="method" value={String(wh.method ?? "")} onChange={(e) => p.setDoc(["on", "webhook", "method"], e.target.value || undefined)}>
                <option value="">default (POST)</option>
                {["POST", "GET", "PUT", "PATCH", "DELETE", "ANY"].map((m) => (
                  <option key={m}>{m}</option>
                ))}
              </select>
            </label>
            <label className="field">
              <span className="field-label">respond</span>
              <select aria-label="respond" value={String(wh.respond ?? "")} onChange={(e) => p.setDoc(["on", "webhook", "respond"], e.target.value || undefined)}>
                <option value="">default (async)</option>
                <option>async</option>
                <option>sync</option>
              </select>
            </label>
          </div>
          <button className="btn small" onClick={() => p.setDoc(["on", "webhook"], undefined)}>
            Remove webhook trigger
          </button>
        </>
      ) : (
        <button className="btn small" onClick={() => p.setDoc(["on", "webhook"], { path: name || "my-hook", method: "POST", respond: "async" })}>
          Add webhook trigger
        </button>
      )}
      <h4>schedule</h4>
      <label className="field">
        <span className="field-label">on.schedule (YAML)</span>
        <YamlValue label="schedule YAML" value={sched} onChange={(v) => p.setDoc(["on", "schedule"], v)} rows={2} />
        <span className="field-help">A list like - {"{ cron: \"*/15 * * * *\", timezone: Europe/Copenhagen }"}</span>
      </label>
      <h4>limits</h4>
      <div className="grid2">
        <Text label="timeout" value={String(p.doc.get("timeout") ?? "")} placeholder="none" onChange={(v) => p.setDoc(["timeout"], v, "timeout")} />
        <Text
          label="concurrency"
          value={String(p.doc.get("concurrency") ?? "")}
          placeholder="unlimited"
          onChange={(v) => p.setDoc(["concurrency"], v === "" ? undefined : Number(v) || v, "concurrency")}
        />
      </div>
      <Text label="on_error" mono value={String(p.doc.get("on_error") ?? "")} placeholder="a workflow name" help="Started with the failed execution as input." onChange={(v) => p.setDoc(["on_error"], v, "on_error")} />
    </div>
  );
}

export function Inspector(p: Props) {
  const exists = p.selected && p.graph.steps.some((s) => s.id === p.selected);
  // Keyed by the selection: each node opens at the top of its panel, not at the last one's scroll.
  return (
    <aside className="inspector" key={exists ? `step:${p.selected}` : "workflow"} aria-label="Inspector">
      {exists && p.expanded ? (
        <p className="muted pad">The step panel is open.</p>
      ) : exists && p.panel ? (
        <StepTabs d={p.panel} params={<StepForm {...p} id={p.selected!} />} onExpand={() => p.onExpand(p.selected!)} />
      ) : exists ? (
        <StepForm {...p} id={p.selected!} />
      ) : (
        <WorkflowForm {...p} />
      )}
    </aside>
  );
}
