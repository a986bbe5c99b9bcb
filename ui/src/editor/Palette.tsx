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

export function Palette({ specs, error, onAdd }: { specs: Spec[]; error?: string; onAdd: (type: string) => void }) {
  const [q, setQ] = useState("");
  const needle = q.trim().toLowerCase();
  const hit = (s: { type: string; title: string; description: string }) =>
    !needle || s.type.toLowerCase().includes(needle) || s.title.toLowerCase().includes(needle) || s.description.toLowerCase().includes(needle);
  const known = new Set(GROUPS.map((g) => g[0]));
  const groups: [string, { type: string; title: string; description: string }[]][] = [["Triggers", TRIGGERS.filter(hit)]];
  for (const [key, label] of GROUPS) groups.push([label, specs.filter((s) => s.category === key && hit(s))]);
  groups.push(["Other", specs.filter((s) => !known.has(s.category) && hit(s))]);

  return (
    <aside className="palette" aria-label="Step palette">
      <input className="search" type="search" placeholder="Search steps…" aria-label="Search steps" value={q} onChange={(e) => setQ(e.target.value)} />
      {error && <div className="error-box small">{error}</div>}
      <div className="palette-list">
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
