import { useRef, useState } from "react";
import { useModal } from "./dialog";

const key = (name: string) => `weft.testinput.${name}`;

/** The `inputs:` JSON Schema of a workflow (the parts the form reads). */
export type InputSchema = { type?: string; required?: string[]; properties?: Record<string, PropSchema> };
type PropSchema = { type?: string | string[]; description?: string; enum?: unknown[]; default?: unknown; title?: string };

function initial(name: string, inputs?: InputSchema): string {
  const saved = localStorage.getItem(key(name));
  if (saved) return saved;
  if (inputs?.properties) {
    const v: Record<string, unknown> = {};
    for (const [k, p] of Object.entries(inputs.properties)) if (p.default !== undefined) v[k] = p.default;
    return JSON.stringify(v, null, 2);
  }
  return '{\n  "body": {}\n}';
}

function parseObject(text: string): Record<string, unknown> {
  try {
    const v = JSON.parse(text);
    return v && typeof v === "object" && !Array.isArray(v) ? v : {};
  } catch {
    return {};
  }
}

/** One form field per property of `inputs:`; it edits the JSON input below it. */
function InputsForm({ inputs, text, setText }: { inputs: InputSchema; text: string; setText: (t: string) => void }) {
  const value = parseObject(text);
  const set = (k: string, v: unknown) => {
    const next = { ...value };
    if (v === undefined || v === "") delete next[k];
    else next[k] = v;
    setText(JSON.stringify(next, null, 2));
  };
  const required = new Set(inputs.required ?? []);
  return (
    <div className="inputs-form" aria-label="Workflow inputs">
      {Object.entries(inputs.properties ?? {}).map(([k, p]) => {
        const t = Array.isArray(p.type) ? p.type[0] : p.type;
        const id = `input-${k}`;
        const label = (
          <label htmlFor={id}>
            {p.title ?? k}
            {required.has(k) && <span title="required"> *</span>}
            {p.description && <span className="muted small"> — {p.description}</span>}
          </label>
        );
        let field;
        if (p.enum) {
          field = (
            <select id={id} value={value[k] === undefined ? "" : JSON.stringify(value[k])} onChange={(e) => set(k, e.target.value === "" ? undefined : JSON.parse(e.target.value))}>
              <option value="">—</option>
              {p.enum.map((o) => (
                <option key={JSON.stringify(o)} value={JSON.stringify(o)}>
                  {String(o)}
                </option>
              ))}
            </select>
          );
        } else if (t === "boolean") {
          field = <input id={id} type="checkbox" checked={value[k] === true} onChange={(e) => set(k, e.target.checked)} />;
        } else if (t === "number" || t === "integer") {
          field = <input id={id} type="number" step={t === "integer" ? 1 : "any"} value={typeof value[k] === "number" ? String(value[k]) : ""} onChange={(e) => set(k, e.target.value === "" ? undefined : Number(e.target.value))} />;
        } else if (t === "string" || t === undefined) {
          field = <input id={id} type="text" value={typeof value[k] === "string" ? (value[k] as string) : ""} onChange={(e) => set(k, e.target.value)} />;
        } else {
          field = <span className="muted small">{t}: edit it in the JSON below</span>;
        }
        return (
          <div key={k} className="field">
            {label}
            {field}
          </div>
        );
      })}
    </div>
  );
}

export function TestRunDialog({ name, inputs, last, onRun, onClose }: { name: string; inputs?: InputSchema; last?: { input: unknown; trigger: string }; onRun: (input: unknown) => void; onClose: () => void }) {
  const [text, setText] = useState(() => initial(name, inputs));
  const [error, setError] = useState("");
  const box = useRef<HTMLDivElement>(null);
  useModal(box, onClose);
  const run = () => {
    try {
      const v = JSON.parse(text);
      localStorage.setItem(key(name), text);
      onRun(v);
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const hasForm = !!inputs?.properties && Object.keys(inputs.properties).length > 0;
  return (
    <div className="modal-backdrop" onClick={onClose}>
      <div className="modal" role="dialog" aria-modal="true" aria-labelledby="testrun-title" ref={box} onClick={(e) => e.stopPropagation()}>
        <h3 id="testrun-title">Test run</h3>
        <p className="muted small">
          {hasForm
            ? "This workflow declares its inputs: fill them in (they are checked when the run starts). "
            : "The JSON input becomes "}
          {!hasForm && <code>trigger</code>}
          {!hasForm && " in expressions. "}
          The workflow is saved first; the run is a real execution you can find under Executions.
        </p>
        {hasForm && <InputsForm inputs={inputs!} text={text} setText={setText} />}
        <textarea aria-label="Test input" className="mono" rows={hasForm ? 5 : 10} value={text} onChange={(e) => setText(e.target.value)} autoFocus={!hasForm} spellCheck={false} />
        {error && <div className="error-box small">{error}</div>}
        <div className="row gap end">
          {last && (
            <button className="btn" title="The input of this workflow's newest execution" onClick={() => setText(JSON.stringify(last.input ?? {}, null, 2))}>
              Use the last {last.trigger === "webhook" ? "webhook payload" : "run's input"}
            </button>
          )}
          <div className="grow" />
          <button className="btn" onClick={onClose}>
            Cancel
          </button>
          <button className="btn primary" onClick={run}>
            Run
          </button>
        </div>
      </div>
    </div>
  );
}
