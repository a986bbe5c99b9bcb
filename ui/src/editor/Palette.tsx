import { useState } from "react";
import type { AppInfo, Spec } from "../api/types";
import { AppIcon } from "../components/AppIcon";
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

type Item = { type: string; title: string; description: string };
type Group = { key: string; label: string; app?: AppInfo; items: Item[] };

/**
 * Groups the palette: triggers, each category, and within apps one group per
 * app connector (its title and icon; an operation's title without the
 * "App: " prefix). Test-connection operations stay out of the palette.
 */
function groupsOf(specs: Spec[], apps: AppInfo[], hit: (s: Item) => boolean): Group[] {
  const known = new Set(GROUPS.map((g) => g[0]));
  const out: Group[] = [{ key: "triggers", label: "Triggers", items: TRIGGERS.filter(hit) }];
  for (const [key, label] of GROUPS) {
    if (key !== "apps") {
      out.push({ key, label, items: specs.filter((s) => s.category === key && hit(s)) });
      continue;
    }
    const byApp = new Map<string, Spec[]>();
    for (const s of specs) {
      if (s.category !== "apps" || s.type.endsWith(".test_connection") || !hit(s)) continue;
      const name = s.app ?? s.type.split(".")[0];
      byApp.set(name, [...(byApp.get(name) ?? []), s]);
    }
    for (const [name, list] of [...byApp.entries()].sort(([a], [b]) => a.localeCompare(b))) {
      const app = apps.find((a) => a.name === name);
      const label = app?.title ?? name;
      out.push({ key: `app:${name}`, label, app, items: list.map((s) => ({ ...s, title: s.title.startsWith(`${label}: `) ? s.title.slice(label.length + 2) : s.title })) });
    }
  }
  out.push({ key: "other", label: "Other", items: specs.filter((s) => !known.has(s.category) && hit(s)) });
  return out;
}

export function Palette({ specs, apps = [], error, onAdd }: { specs: Spec[]; apps?: AppInfo[]; error?: string; onAdd: (type: string) => void }) {
  const [q, setQ] = useState("");
  const needle = q.trim().toLowerCase();
  const hit = (s: { type: string; title: string; description: string }) =>
    !needle || s.type.toLowerCase().includes(needle) || s.title.toLowerCase().includes(needle) || s.description.toLowerCase().includes(needle);
  const groups = groupsOf(specs, apps, hit);
  const help = needle ? FLOW_HELP.filter((h) => h.words.some((w) => w.startsWith(needle) || needle.startsWith(w)) || h.title.toLowerCase().includes(needle)) : [];
  const none = needle && !help.length && groups.every((g) => !g.items.length);

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
          .filter((g) => g.items.length)
          .map(({ key, label, app, items }) => (
            <section key={key} data-group={key} aria-label={label}>
              <h4 className={app ? "app-group" : undefined} title={app?.description}>
                <AppIcon app={app} />
                {label}
              </h4>
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
