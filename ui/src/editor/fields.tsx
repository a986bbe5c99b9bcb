// Form inputs generated from a step's field specs (step/spec.go). Every input
// accepts a {{ }} expression as well as a literal, because any value may be
// computed from the trigger or earlier steps.
import { useEffect, useState } from "react";
import { parse as parseYAML, stringify as stringifyYAML } from "yaml";
import type { Field } from "../api/types";
import { ExprField, useExprProblems } from "./ExprField";
import { CredentialSelect } from "../components/CredentialSelect";

const isExpr = (v: unknown) => typeof v === "string" && v.includes("{{");
export const DURATION = /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$|^\d+d$/;

export type SetValue = (path: (string | number)[], value: unknown, key?: string) => void;

function Label({ f, children, problem }: { f: Field; children: React.ReactNode; problem?: string }) {
  return (
    <label className={`field ${problem ? "invalid" : ""}`} data-field={f.name}>
      <span className="field-label">
        {f.name}
        {f.required && <span className="req" title="required"> *</span>}
        {f.secret && <span className="tag secret">secret</span>}
        <span className="field-type">{f.type}</span>
      </span>
      {children}
      {problem ? <span className="field-problem">{problem}</span> : f.description && <span className="field-help">{f.description}</span>}
    </label>
  );
}

/** A textarea holding YAML for free-form values (objects, arrays, any), parsed on blur. */
export function YamlValue({ value, onChange, label, rows = 4 }: { value: unknown; onChange: (v: unknown) => void; label: string; rows?: number }) {
  const render = (v: unknown) => (v === undefined ? "" : stringifyYAML(v, { lineWidth: 0 }).trimEnd());
  const [text, setText] = useState(render(value));
  const [error, setError] = useState("");
  useEffect(() => setText(render(value)), [JSON.stringify(value)]); // eslint-disable-line react-hooks/exhaustive-deps
  const exprProblem = useExprProblems(text);
  return (
    <>
      <ExprField
        multiline
        className="mono"
        aria-label={label}
        rows={Math.max(rows, Math.min(14, text.split("\n").length + 1))}
        value={text}
        spellCheck={false}
        onChange={setText}
        onBlur={() => {
          try {
            const v = text.trim() === "" ? undefined : parseYAML(text);
            setError("");
            if (JSON.stringify(v) !== JSON.stringify(value)) onChange(v);
          } catch (e) {
            setError((e as Error).message.split("\n")[0]);
          }
        }}
      />
      {(error || exprProblem) && <span className="field-problem">{error || exprProblem}</span>}
    </>
  );
}

export function FieldInput({ f, value, path, set }: { f: Field; value: unknown; path: (string | number)[]; set: SetValue }) {
  const key = path.join(".");
  const exprProblem = useExprProblems(value);
  // Chosen once, so the field does not turn into another element (and lose the focus) while typing.
  const [long] = useState(() => typeof value === "string" && (value.includes("\n") || value.length > 60));
  const missing = f.required && (value === undefined || value === "") ? "required" : exprProblem;
  const text = (v: string) => set(path, v, key);

  if (f.type === "object" && f.fields?.length) {
    const obj = (value && typeof value === "object" ? value : {}) as Record<string, unknown>;
    if (isExpr(value))
      return (
        <Label f={f} problem={exprProblem}>
          <ExprField aria-label={f.name} value={String(value)} onChange={text} />
        </Label>
      );
    return (
      <fieldset className="nested" data-field={f.name}>
        <legend>
          {f.name}
          {f.required && <span className="req"> *</span>}
        </legend>
        {f.description && <div className="field-help">{f.description}</div>}
        {f.fields.map((sub) => (
          <FieldInput key={sub.name} f={sub} value={obj[sub.name]} path={[...path, sub.name]} set={set} />
        ))}
      </fieldset>
    );
  }
  if (f.type === "object" || f.type === "array" || f.type === "any") {
    if (typeof value === "string")
      return (
        <Label f={f} problem={missing}>
          <ExprField value={value} aria-label={f.name} onChange={text} placeholder="{{ expression }} or YAML below" />
        </Label>
      );
    return (
      <Label f={f} problem={missing}>
        <YamlValue label={f.name} value={value} onChange={(v) => set(path, v)} rows={2} />
      </Label>
    );
  }
  if (f.enum?.length && !isExpr(value)) {
    const cur = value === undefined ? "" : String(value);
    return (
      <Label f={f} problem={missing}>
        <select aria-label={f.name} value={cur} onChange={(e) => set(path, e.target.value)}>
          <option value="">{f.default !== undefined ? `default (${String(f.default)})` : "—"}</option>
          {f.enum.map((o) => (
            <option key={o}>{o}</option>
          ))}
          {cur && !f.enum.includes(cur) && <option>{cur}</option>}
        </select>
      </Label>
    );
  }
  if (f.type === "boolean" && !isExpr(value)) {
    return (
      <Label f={f} problem={missing}>
        <select aria-label={f.name} value={value === undefined ? "" : String(value)} onChange={(e) => set(path, e.target.value === "" ? undefined : e.target.value === "true")}>
          <option value="">{f.default !== undefined ? `default (${String(f.default)})` : "—"}</option>
          <option value="true">true</option>
          <option value="false">false</option>
        </select>
      </Label>
    );
  }
  if (f.type === "number" || f.type === "integer") {
    const bad = value !== undefined && !isExpr(value) && typeof value !== "number" ? "a number or a {{ }} expression" : undefined;
    return (
      <Label f={f} problem={missing ?? bad}>
        <ExprField
          aria-label={f.name}
          inputMode="decimal"
          value={value === undefined ? "" : String(value)}
          placeholder={f.default !== undefined ? String(f.default) : ""}
          onChange={(v) => {
            const n = Number(v);
            set(path, v.trim() !== "" && Number.isFinite(n) && (f.type === "number" || Number.isInteger(n)) ? n : v, key);
          }}
        />
      </Label>
    );
  }
  const s = value === undefined ? "" : typeof value === "string" ? value : JSON.stringify(value);
  if (f.name === "credential" && f.type === "string" && !isExpr(s))
    return (
      <Label f={f} problem={missing}>
        <CredentialSelect value={s} onChange={(v) => set(path, v === "" ? undefined : v)} />
      </Label>
    );
  const bad = f.type === "duration" && s && !isExpr(s) && !DURATION.test(s) ? "a duration like 30s, 5m, 2h or 7d" : undefined;
  return (
    <Label f={f} problem={missing ?? bad}>
      {f.secret ? (
        <input aria-label={f.name} type="password" autoComplete="off" value={s} onChange={(e) => text(e.target.value)} />
      ) : (
        <ExprField
          multiline={long}
          rows={3}
          aria-label={f.name}
          autoComplete="off"
          spellCheck={false}
          value={s}
          placeholder={f.default !== undefined ? String(f.default) : f.example !== undefined ? `e.g. ${String(f.example)}` : ""}
          onChange={text}
        />
      )}
      {f.secret && <span className="field-help">Use an expression such as {"{{ env.TOKEN }}"} rather than pasting a secret into the file.</span>}
    </Label>
  );
}
