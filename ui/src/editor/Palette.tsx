import { useState } from "react";
import type { Spec } from "../api/types";
import { DRAG_TYPE } from "./Canvas";

const GROUPS: [string, string][] = [
  ["core", "Core"],
  ["http", "HTTP"],
  ["ai", "AI"],
  ["data", "Data"],
  ["apps", "Apps"],
];

/** Trigger pseudo-types: dropping one sets the document's `on:` block. */
export const TRIGGERS = [
  { type: "trigger:webhook", title: "Webhook", description: "Start on an HTTP request to /hooks/<path>." },
  { type: "trigger:schedule", title: "Schedule", description: "Start on a cron schedule." },
];

/**
 * Control flow is not a node in Weft: it is a key on a step. Searching for
 * the node names people know from other tools finds how Weft says it.
 */
export const FLOW_HELP = [
  {
    key: "if",
    title: "If / condition",
    words: ["if", "condition", "conditional", "when", "filter", "branch"],
    text: "Put if: on the step that should run only when a condition holds (Parameters → if), e.g. {{ steps.score.output.value < 0 }}. A skipped step's followers are skipped too. The arrow into the step shows the condition.",
  },
  {
    key: "switch",
    title: "Switch / branches",
    words: ["switch", "case", "route", "router", "branch", "else"],
    text: "Give each branch its own step with its own if:, all depending on the same step — one arrow per branch, each labelled with its condition. An else is the opposite condition.",
  },
  {
    key: "loop",
    title: "Loop / for each",
    words: ["loop", "for", "each", "foreach", "for_each", "iterate", "split", "items"],
    text: "Set for_each: on a step to run it once per element of a list ({{ trigger.body.items }}); item and index name the element. Its output is the list of results.",
  },
  {
    key: "merge",
    title: "Merge / join",
    words: ["merge", "join", "combine", "wait", "all"],
    text: "A step that depends on several steps (Depends on, or an arrow from each) waits for all of them and reads each one's output as steps.<id>.output.",
  },
];

export function Palette({ specs, error, onAdd }: { specs: Spec[]; error?: string; onAdd: (type: string) => void }) {
  const [q, setQ] = useState("");
  const needle = q.trim().toLowerCase();
  const hit = (s: { type: string; title: string; description: string }) =>
    !needle || s.type.toLowerCase().includes(needle) || s.title.toLowerCase().includes(needle) || s.description.toLowerCase().includes(needle);
  const known = new Set(GROUPS.map((g) => g[0]));
  const groups: [string, { type: string; title: string; description: string }[]][] = [["Triggers", TRIGGERS.filter(hit)]];
  for (const [key, label] of GROUPS) groups.push([label, specs.filter((s) => s.category === key && hit(s))]);
  groups.push(["Other", specs.filter((s) => !known.has(s.category) && hit(s))]);
  const help = needle ? FLOW_HELP.filter((h) => h.words.some((w) => w.startsWith(needle) || needle.startsWith(w)) || h.title.toLowerCase().includes(needle)) : [];
  const none = needle && !help.length && groups.every(([, items]) => !items.length);

  return (
    <aside className="palette" aria-label="Step palette">
      <input className="search" type="search" placeholder="Search steps…" aria-label="Search steps" value={q} onChange={(e) => setQ(e.target.value)} />
      {error && <div className="error-box small">{error}</div>}
      <div className="palette-list">
        {help.length > 0 && (
          <section aria-label="Control flow">
            <h4>Control flow</h4>
            {help.map((h) => (
              <div key={h.key} className="flow-help" data-help={h.key}>
                <strong className="small">{h.title}</strong>
                <p className="small muted">{h.text}</p>
              </div>
            ))}
          </section>
        )}
        {none && (
          <p className="muted small" role="status" data-testid="palette-empty">
            No step matches “{q.trim()}”. Try a type (http, ai, transform, jq) or a control-flow word (if, switch, loop, merge).
          </p>
        )}
        {groups
          .filter(([, items]) => items.length)
          .map(([label, items]) => (
            <section key={label}>
              <h4>{label}</h4>
              {items.map((s) => (
                <button
                  key={s.type}
                  className={`palette-item cat-${s.type.startsWith("trigger:") ? "trigger" : (specs.find((x) => x.type === s.type)?.category ?? "other")}`}
                  draggable
                  data-type={s.type}
                  title={`${s.description}\nDrag onto the canvas, or click to add after the selected step.`}
                  onDragStart={(e) => {
                    e.dataTransfer.setData(DRAG_TYPE, s.type);
                    e.dataTransfer.effectAllowed = "copy";
                  }}
                  onClick={() => onAdd(s.type)}
                >
                  <span className="palette-title">{s.title}</span>
                  <span className="palette-type mono">{s.type.replace("trigger:", "on.")}</span>
                </button>
              ))}
            </section>
          ))}
      </div>
    </aside>
  );
}
