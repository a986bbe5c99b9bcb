// Run data as a tree whose keys can be dragged into a parameter: the drop
// writes the expression ({{ steps.fetch.output.id }}) at the caret, because
// the browser inserts dragged text/plain into inputs and textareas itself.
import { useState, type DragEvent } from "react";

const MAX_ITEMS = 30;
const ident = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export function childPath(path: string, key: string | number): string {
  if (typeof key === "number") return `${path}[${key}]`;
  return ident.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

function scalar(v: unknown): string {
  if (v === null || v === undefined) return "null";
  const s = typeof v === "string" ? JSON.stringify(v) : String(v);
  return s.length > 80 ? `${s.slice(0, 79)}…` : s;
}

function Row({ name, path, value, depth }: { name: string; path: string; value: unknown; depth: number }) {
  const [open, setOpen] = useState(depth < 2);
  const nested = value !== null && typeof value === "object";
  const entries: [string | number, unknown][] = !nested ? [] : Array.isArray(value) ? value.slice(0, MAX_ITEMS).map((v, i) => [i, v]) : Object.entries(value as object).slice(0, MAX_ITEMS);
  const more = nested ? (Array.isArray(value) ? value.length : Object.keys(value as object).length) - entries.length : 0;
  const drag = (e: DragEvent) => {
    e.dataTransfer.setData("text/plain", `{{ ${path} }}`);
    e.dataTransfer.effectAllowed = "copy";
  };
  return (
    <li>
      <div className="dt-row">
        {nested ? (
          <button className="dt-toggle linklike" aria-expanded={open} aria-label={`${open ? "Collapse" : "Expand"} ${name}`} onClick={() => setOpen(!open)}>
            {open ? "▾" : "▸"}
          </button>
        ) : (
          <span className="dt-toggle" />
        )}
        <span className="dt-key mono" draggable onDragStart={drag} data-path={path} title={`Drag into a parameter to write {{ ${path} }}`}>
          {name}
        </span>
        {nested ? (
          <span className="muted small">{Array.isArray(value) ? `list (${value.length})` : "object"}</span>
        ) : (
          <span className="dt-value mono small">{scalar(value)}</span>
        )}
      </div>
      {nested && open && (
        <ul>
          {entries.map(([k, v]) => (
            <Row key={String(k)} name={typeof k === "number" ? `[${k}]` : k} path={childPath(path, k)} value={v} depth={depth + 1} />
          ))}
          {more > 0 && <li className="muted small">… {more} more</li>}
        </ul>
      )}
    </li>
  );
}

export function DataTree({ root, value, label }: { root: string; value: unknown; label: string }) {
  return (
    <ul className="data-tree" aria-label={label}>
      <Row name={label} path={root} value={value} depth={0} />
    </ul>
  );
}
