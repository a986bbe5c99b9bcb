// An input or textarea that helps with {{ }} expressions: inside an open
// {{ it lists what may follow the caret (arrows to move, Enter or Tab to
// take, Escape to close, Ctrl+Space to ask), and exprProblems() says what is
// wrong with the expressions of a value. The scope comes from the step form
// through ScopeContext (see Inspector).
import { createContext, useContext, useEffect, useId, useLayoutEffect, useMemo, useRef, useState, type InputHTMLAttributes, type KeyboardEvent } from "react";
import { api } from "../api/client";
import { checkExpressions, complete, rootObject, type Completion, type ExprScope, type Suggestion } from "./expr";

/** The {{ … }} around the caret of a multi-line value (a YAML block holds many). */
export function expressionAt(text: string, caret: number): string | undefined {
  const open = text.lastIndexOf("{{", caret);
  if (open < 0) return undefined;
  const close = text.indexOf("}}", open);
  if (close < 0 || close + 2 < caret) return undefined;
  return text.slice(open, close + 2);
}

function show(v: unknown): string {
  const s = typeof v === "string" ? JSON.stringify(v) : JSON.stringify(v) ?? "null";
  return s.length > 300 ? `${s.slice(0, 299)}…` : s;
}

/**
 * The value of the expression being edited, evaluated by the server with the
 * sample data (the last run's, a step test or pinned output): what the step
 * would get. Debounced; only for the focused field.
 */
function Preview({ text, scope }: { text: string; scope: ExprScope }) {
  const [out, setOut] = useState<{ ok: boolean; text: string }>();
  const data = useMemo(() => {
    const root = rootObject(scope);
    delete root.now;
    return JSON.stringify(root);
  }, [scope]);
  useEffect(() => {
    const root = JSON.parse(data) as Record<string, unknown>;
    let live = true;
    const t = setTimeout(() => {
      api.evaluate(text, root).then(
        (r) => live && setOut({ ok: true, text: show(r.value) }),
        (e) => live && setOut({ ok: false, text: (e as Error).message }),
      );
    }, 250);
    return () => {
      live = false;
      clearTimeout(t);
    };
  }, [text, data]);
  if (!out) return null;
  return (
    <div className={`expr-preview mono small ${out.ok ? "" : "bad"}`} data-testid="expr-preview" role="status" title={scope.source ? `with values from ${scope.source}` : "with no run data yet"}>
      {out.ok ? "= " : "⚠ "}
      {out.text}
    </div>
  );
}

export const ScopeContext = createContext<ExprScope | undefined>(undefined);

/** Problems with the expressions of value in the current scope (none outside a step form). */
export function useExprProblems(value: unknown): string | undefined {
  const scope = useContext(ScopeContext);
  if (!scope || typeof value !== "string" || !value.includes("{{")) return undefined;
  return checkExpressions(value, scope)[0];
}

type Props = Omit<InputHTMLAttributes<HTMLInputElement>, "value" | "onChange"> & {
  value: string;
  onChange: (v: string) => void;
  multiline?: boolean;
  rows?: number;
  wrap?: string;
};

/**
 * Where the suggestion list fits: below the field, or above it when the
 * space below (inside the viewport and every scrolling ancestor, which would
 * clip it) is short, with the height the chosen side has room for.
 */
function placeList(field: HTMLElement): { above: boolean; max: number } {
  let top = 0;
  let bottom = window.innerHeight;
  for (let p = field.parentElement; p; p = p.parentElement) {
    const o = getComputedStyle(p).overflowY;
    if (o === "visible") continue;
    const r = p.getBoundingClientRect();
    top = Math.max(top, r.top);
    bottom = Math.min(bottom, r.bottom);
  }
  const r = field.getBoundingClientRect();
  const below = bottom - r.bottom - 6;
  const above = r.top - top - 6;
  const want = 220;
  if (below >= want || below >= above) return { above: false, max: Math.max(60, Math.min(want, below)) };
  return { above: true, max: Math.max(60, Math.min(want, above)) };
}

export function ExprField({ value, onChange, multiline, rows, onBlur, onKeyDown, ...rest }: Props) {
  const scope = useContext(ScopeContext);
  const el = useRef<HTMLInputElement & HTMLTextAreaElement>(null);
  const [place, setPlace] = useState<{ above: boolean; max: number }>({ above: false, max: 220 });
  const [comp, setComp] = useState<Completion>();
  const [active, setActive] = useState(0);
  const [focused, setFocused] = useState(false);
  const [caret, setCaret] = useState(0);
  const id = useId();
  const open = !!comp;
  useLayoutEffect(() => {
    if (open && el.current) setPlace(placeList(el.current));
  }, [open]);

  const refresh = (text: string, caret: number | null) => {
    const c = scope ? complete(text, caret ?? text.length, scope) : undefined;
    setComp(c);
    setActive(0);
  };
  const accept = (s: Suggestion) => {
    if (!comp) return;
    const next = value.slice(0, comp.from) + s.insert + value.slice(comp.to);
    const pos = comp.from + s.insert.length;
    onChange(next);
    setComp(undefined);
    // After React has written the new value: put the caret after the insert and look again.
    requestAnimationFrame(() => {
      const e = el.current;
      if (!e) return;
      e.focus();
      e.setSelectionRange(pos, pos);
      refresh(e.value, pos);
    });
  };
  const keys = (e: KeyboardEvent<HTMLInputElement & HTMLTextAreaElement>) => {
    if (e.ctrlKey && e.key === " ") {
      e.preventDefault();
      refresh(e.currentTarget.value, e.currentTarget.selectionStart);
      return;
    }
    if (comp) {
      const n = comp.items.length;
      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        e.preventDefault();
        setActive((a) => (a + (e.key === "ArrowDown" ? 1 : n - 1)) % n);
        return;
      }
      if (e.key === "Enter" || e.key === "Tab") {
        e.preventDefault();
        accept(comp.items[active]);
        return;
      }
      if (e.key === "Escape") {
        e.preventDefault();
        e.stopPropagation();
        setComp(undefined);
        return;
      }
    }
    onKeyDown?.(e);
  };

  const common = {
    ...rest,
    ref: el,
    value,
    role: "combobox",
    "aria-autocomplete": "list" as const,
    "aria-expanded": !!comp,
    "aria-controls": comp ? id : undefined,
    "aria-activedescendant": comp ? `${id}-${active}` : undefined,
    onChange: (e: { target: HTMLInputElement | HTMLTextAreaElement }) => {
      onChange(e.target.value);
      refresh(e.target.value, e.target.selectionStart);
      setCaret(e.target.selectionStart ?? 0);
    },
    onKeyDown: keys,
    onKeyUp: (e: KeyboardEvent<HTMLInputElement & HTMLTextAreaElement>) => setCaret(e.currentTarget.selectionStart ?? 0),
    onFocus: (e: React.FocusEvent<HTMLInputElement & HTMLTextAreaElement>) => {
      setFocused(true);
      setCaret(e.currentTarget.selectionStart ?? 0);
    },
    onBlur: (e: React.FocusEvent<HTMLInputElement & HTMLTextAreaElement>) => {
      setFocused(false);
      setComp(undefined);
      onBlur?.(e as React.FocusEvent<HTMLInputElement>);
    },
  };
  const previewed = !scope || !focused || !value.includes("{{") ? undefined : multiline ? expressionAt(value, caret) : value;
  return (
    <div className="expr-wrap">
      {multiline ? <textarea {...(common as object)} rows={rows} /> : <input {...(common as object)} />}
      {comp && (
        <ul className={`expr-suggest${place.above ? " above" : ""}`} style={{ maxHeight: place.max }} role="listbox" id={id} aria-label="Expression suggestions">
          {comp.items.map((s, i) => (
            <li
              key={s.label}
              id={`${id}-${i}`}
              role="option"
              aria-selected={i === active}
              className={i === active ? "active" : ""}
              onMouseDown={(e) => {
                e.preventDefault(); // keep the focus in the field
                accept(s);
              }}
              onMouseEnter={() => setActive(i)}
            >
              <span className="mono">{s.label}</span>
              <span className="muted small">{s.detail}</span>
            </li>
          ))}
          {scope?.source && <li className="expr-source muted small" aria-hidden>values from {scope.source}</li>}
        </ul>
      )}
      {previewed && scope && <Preview text={previewed} scope={scope} />}
    </div>
  );
}
