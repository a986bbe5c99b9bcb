// The document as text. A plain textarea with a line gutter keeps the bundle
// small; problem lines are marked in the gutter and listed below.
import { useEffect, useRef } from "react";
import type { Problem } from "../doc/document";

export function YamlView({ text, problems, onChange, jump }: { text: string; problems: Problem[]; onChange: (t: string) => void; jump?: number }) {
  const ta = useRef<HTMLTextAreaElement>(null);
  const gutter = useRef<HTMLDivElement>(null);
  const lines = text.split("\n").length;
  const bad = new Map<number, string>();
  for (const p of problems) if (p.line && !bad.has(p.line)) bad.set(p.line, p.message);

  const goto = (line: number) => {
    const el = ta.current;
    if (!el) return;
    const start = text.split("\n").slice(0, line - 1).join("\n").length + (line > 1 ? 1 : 0);
    el.focus();
    el.setSelectionRange(start, start + (text.split("\n")[line - 1]?.length ?? 0));
    el.scrollTop = Math.max(0, (line - 5) * 20);
  };
  useEffect(() => {
    if (jump) goto(jump);
  }, [jump]); // eslint-disable-line react-hooks/exhaustive-deps

  return (
    <div className="yaml-view">
      <div className="yaml-editor">
        <div className="gutter" ref={gutter} aria-hidden>
          {Array.from({ length: lines }, (_, i) => (
            <div key={i} className={bad.has(i + 1) ? "ln bad" : "ln"} title={bad.get(i + 1)}>
              {i + 1}
            </div>
          ))}
        </div>
        <textarea
          ref={ta}
          aria-label="Workflow YAML"
          data-testid="yaml"
          spellCheck={false}
          wrap="off"
          value={text}
          onChange={(e) => onChange(e.target.value)}
          onScroll={(e) => {
            if (gutter.current) gutter.current.scrollTop = e.currentTarget.scrollTop;
          }}
          onKeyDown={(e) => {
            // Tab inserts two spaces instead of leaving the editor.
            if (e.key === "Tab" && !e.shiftKey) {
              e.preventDefault();
              const el = e.currentTarget;
              const s = el.selectionStart;
              onChange(text.slice(0, s) + "  " + text.slice(el.selectionEnd));
              requestAnimationFrame(() => el.setSelectionRange(s + 2, s + 2));
            }
          }}
        />
      </div>
      {problems.length > 0 && (
        <ul className="problems" aria-label="Problems">
          {problems.map((p, i) => (
            <li key={i}>
              <button className="linklike" onClick={() => p.line && goto(p.line)}>
                {p.line ? `line ${p.line}:${p.column}` : "document"}
              </button>{" "}
              {p.step && <span className="mono">[{p.step}] </span>}
              {p.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
