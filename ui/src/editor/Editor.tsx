// The workflow editor. The YAML text is the single source of truth: the
// canvas, the forms and the YAML tab all read the parsed document, and every
// edit produces a new text (through yaml's Document API, so comments stay).
// Undo/redo therefore works the same for every kind of edit.
import "@xyflow/react/dist/style.css";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { ReactFlowProvider } from "@xyflow/react";
import type { Document } from "yaml";
import { api, ApiError } from "../api/client";
import { follow, toLive, type Live } from "../api/follow";
import { finished, type Spec, type StepStatus } from "../api/types";
import { ErrorBox, StatusBadge } from "../components/ui";
import { parse, pinProblems, stringify, type Problem } from "../doc/document";
import {
  TRIGGER,
  addSteps,
  connect,
  copySteps,
  disconnect,
  freshId,
  pasteSteps,
  positionsOf,
  removeSteps,
  renameStep,
  setDocValue,
  setPositions,
  setStepValue,
  toGraph,
  writeDeps,
  type Graph,
  type NewStep,
  type XY,
} from "../doc/graph";
import { positionsFor } from "../doc/layout";
import { EXAMPLES, blank } from "../examples";
import { Link, navigate } from "../router";
import { Canvas } from "./Canvas";
import { push, redo, start, undo, type History } from "./history";
import { Inspector, type Sample } from "./Inspector";
import { Palette } from "./Palette";
import { TestRunDialog } from "./TestRun";
import { YamlView } from "./YamlView";

let clipboard: NewStep[] = [];

/** The JSON input of the last test run dialog for this workflow (TestRun keeps it). */
function testInput(name: string): unknown {
  try {
    const t = localStorage.getItem(`weft.testinput.${name}`);
    return t ? JSON.parse(t) : undefined;
  } catch {
    return undefined;
  }
}

const inField = (t: EventTarget | null) => t instanceof HTMLElement && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName));

export default function Editor({ name, session }: { name: string; session: string }) {
  const [hist, setHist] = useState<History>();
  const [saved, setSaved] = useState<string>();
  const [loadError, setLoadError] = useState<unknown>();
  const [specs, setSpecs] = useState<Spec[]>([]);
  const [specError, setSpecError] = useState("");
  const [tab, setTab] = useState<"canvas" | "yaml">("canvas");
  const [selected, setSelectedState] = useState<string[]>([]);
  const [selectRequest, setSelectRequest] = useState(0);
  // Selection made by the editor (after a drop, paste, rename): tell the canvas too.
  const setSelected = useCallback((ids: string[]) => {
    setSelectedState(ids);
    setSelectRequest((n) => n + 1);
  }, []);
  const [serverProblems, setServerProblems] = useState<Problem[]>([]);
  const [error, setError] = useState<unknown>();
  const [notice, setNotice] = useState("");
  const [saving, setSaving] = useState(false);
  const [testing, setTesting] = useState(false);
  const [live, setLive] = useState<Live>();
  const [jump, setJump] = useState<number>();
  const stopFollow = useRef<() => void>(undefined);
  // The newest stored execution of this workflow: real data for expression suggestions.
  const [lastRun, setLastRun] = useState<Live>();

  // The workflow this editor already holds: after saving under a new name the
  // route changes to it, and there is nothing to load.
  const held = useRef<string>(undefined);

  // Load the workflow (or a template for a new one).
  useEffect(() => {
    if (name && name === held.current) return;
    if (name) {
      let live = true;
      api.workflow(name).then(
        (r) => {
          if (!live) return;
          held.current = name;
          setHist(start(r.source));
          setSaved(r.source);
        },
        (e) => live && setLoadError(e),
      );
      return () => {
        live = false;
      };
    }
    const tpl = new URLSearchParams(location.search).get("template");
    setHist(start(EXAMPLES.find((e) => e.id === tpl)?.text ?? blank("my-workflow")));
  }, [name]);
  useEffect(() => {
    if (!name) return;
    let live = true;
    api
      .executions({ workflow: name, limit: 1 })
      .then((l) => (l.items[0] ? api.execution(l.items[0].id) : undefined))
      .then((e) => live && e && setLastRun(toLive(e)))
      .catch(() => undefined); // suggestions then use the trigger's shape only
    return () => {
      live = false;
    };
  }, [name]);
  // The step catalog, once; a test run is followed until the editor closes.
  useEffect(() => {
    api.steps().then(
      (r) => setSpecs(r.items ?? []),
      (e) => setSpecError(`The step catalog did not load: ${(e as Error).message}`),
    );
    return () => stopFollow.current?.();
  }, []);

  const text = hist?.present ?? "";
  const parsed = useMemo(() => parse(text), [text]);
  const lastGood = useRef<{ graph: Graph; doc: Document }>(undefined);
  const view = useMemo(() => {
    if (parsed.problems.length && lastGood.current) return lastGood.current;
    const v = { graph: toGraph(parsed.doc), doc: parsed.doc as Document };
    if (!parsed.problems.length) lastGood.current = v;
    return v;
  }, [parsed]);
  const specMap = useMemo(() => new Map(specs.map((s) => [s.type, s])), [specs]);
  const problems = useMemo(() => pinProblems(parsed, [...parsed.problems, ...serverProblems]), [parsed, serverProblems]);
  const byStep = useMemo(() => {
    const m: Record<string, string[]> = {};
    for (const p of problems) {
      const k = p.step ?? TRIGGER;
      (m[k] ??= []).push(p.line ? `line ${p.line}: ${p.message}` : p.message);
    }
    return m;
  }, [problems]);
  const statuses = useMemo(() => {
    const m: Record<string, StepStatus> = {};
    for (const [k, v] of Object.entries(live?.steps ?? {})) m[k] = v.status;
    return m;
  }, [live]);

  /** Apply an edit to a fresh parse of the text; key groups typing into one undo step. */
  const edit = useCallback(
    (f: (doc: Document) => unknown, key?: string) => {
      setHist((h) => {
        if (!h) return h;
        const p = parse(h.present);
        if (p.problems.length) {
          setNotice("Fix the YAML errors first: the canvas cannot change a document that does not parse.");
          return h;
        }
        if (f(p.doc) === false) return h;
        return push(h, stringify(p.doc), key);
      });
    },
    [],
  );

  // Diagnostics from the last save point at lines of that text; back at the saved text they are gone.
  useEffect(() => {
    if (saved !== undefined && text === saved) setServerProblems((p) => (p.length ? [] : p));
  }, [text, saved]);

  const docName = String(view.doc.get("name") ?? "");
  const dirty = hist !== undefined && text !== saved;

  const save = useCallback(async (): Promise<string | undefined> => {
    if (!docName) {
      setError(new Error("The workflow needs a name (the name: key)."));
      return;
    }
    setSaving(true);
    setError(undefined);
    setNotice("");
    try {
      await api.saveWorkflow(docName, text);
      setSaved(text);
      setServerProblems([]);
      setNotice(`Saved ${docName}.`);
      if (docName !== name) {
        held.current = docName;
        navigate(`/workflows/${encodeURIComponent(docName)}`, true, { editor: session });
      }
      return docName;
    } catch (e) {
      if (e instanceof ApiError && e.diagnostics.length) {
        setServerProblems(e.diagnostics.map((d) => ({ line: d.line, column: d.column, message: d.message })));
        setError(new Error(`The server found ${e.diagnostics.length} problem${e.diagnostics.length > 1 ? "s" : ""}; they are marked on the steps and in the YAML.`));
      } else setError(e);
    } finally {
      setSaving(false);
    }
  }, [docName, name, session, text]);

  const runTest = async (input: unknown) => {
    setTesting(false);
    const wf = dirty || !saved ? await save() : docName;
    if (!wf) return;
    try {
      const e = await api.start(wf, input);
      stopFollow.current?.();
      setLive({ execution: e, steps: {} });
      stopFollow.current = follow(e.id, setLive);
    } catch (e) {
      setError(e);
    }
  };

  // Structural edits from the canvas.
  const onDrop = (type: string, at?: XY) => {
    if (type.startsWith("trigger:")) {
      edit((d) => {
        if (type === "trigger:webhook") setDocValue(d, ["on", "webhook"], { path: String(d.get("name") || "my-hook"), method: "POST", respond: "async" });
        else setDocValue(d, ["on", "schedule"], [{ cron: "0 * * * *" }]);
      });
      setSelected([]);
      return;
    }
    const spec = specMap.get(type);
    let newId = "";
    edit((d) => {
      newId = freshId(d, type.split(".").pop() ?? "step");
      const g = toGraph(d);
      const stored = positionsOf(d);
      // Click-to-add: after the selected step, below it.
      const after = !at && selected.length === 1 && g.steps.some((s) => s.id === selected[0]) ? selected[0] : undefined;
      const all = positionsFor(g);
      const last = g.steps.length ? g.steps[g.steps.length - 1].id : TRIGGER;
      const pos = at ?? (after ? { x: all[after].x, y: all[after].y + 120 } : { x: all[last]?.x ?? 0, y: (all[last]?.y ?? 0) + 120 });
      // The first stored position freezes the automatic layout, so nothing jumps.
      if (!Object.keys(stored).length) setPositions(d, all);
      const w: Record<string, unknown> = {};
      for (const f of spec?.fields ?? []) if (f.required && f.default !== undefined) w[f.name] = f.default;
      addSteps(d, [{ id: newId, uses: type, ...(Object.keys(w).length ? { with: w } : {}) }], { [newId]: after ? [after] : at ? [] : g.steps.length ? [last] : [] }, { [newId]: pos });
    });
    setTimeout(() => newId && setSelected([newId]), 0);
  };

  const onDelete = (nodes: string[], edges: { source: string; target: string }[]) =>
    edit((d) => {
      const gone = nodes.filter((n) => n !== TRIGGER);
      if (gone.length) removeSteps(d, gone);
      for (const e of edges) if (!gone.includes(e.source) && !gone.includes(e.target)) disconnect(d, e.source, e.target);
      setSelected([]);
    });

  const copy = () => {
    const ids = selected.filter((s) => s !== TRIGGER);
    if (!ids.length) return;
    clipboard = copySteps(view.doc, ids);
    setNotice(`Copied ${ids.length} step${ids.length > 1 ? "s" : ""}.`);
  };
  const paste = () => {
    if (!clipboard.length) return;
    let ids: string[] = [];
    edit((d) => {
      const all = positionsFor(toGraph(d));
      if (!Object.keys(positionsOf(d)).length) setPositions(d, all);
      const src = clipboard.map((s) => all[s.id]).find(Boolean) ?? { x: 0, y: 0 };
      ids = pasteSteps(d, clipboard, { x: src.x + 40, y: src.y + 40 });
    });
    setTimeout(() => setSelected(ids), 0);
  };

  // Keyboard: undo/redo, copy/paste, save. Delete is React Flow's (Delete/Backspace).
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const mod = e.ctrlKey || e.metaKey;
      if (mod && e.key.toLowerCase() === "s") {
        e.preventDefault();
        void save();
        return;
      }
      if (inField(e.target)) return;
      if (mod && e.key.toLowerCase() === "z") {
        e.preventDefault();
        setHist((h) => h && (e.shiftKey ? redo(h) : undo(h)));
      } else if (mod && e.key.toLowerCase() === "y") {
        e.preventDefault();
        setHist((h) => h && redo(h));
      } else if (mod && e.key.toLowerCase() === "c" && tab === "canvas") copy();
      else if (mod && e.key.toLowerCase() === "v" && tab === "canvas") paste();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  });

  // Leaving with unsaved changes asks first.
  useEffect(() => {
    if (!dirty) return;
    const f = (e: BeforeUnloadEvent) => e.preventDefault();
    window.addEventListener("beforeunload", f);
    return () => window.removeEventListener("beforeunload", f);
  }, [dirty]);

  const runData = live ?? lastRun;
  const sample: Sample = {
    trigger: runData?.execution.input ?? testInput(docName),
    outputs: Object.fromEntries(Object.entries(runData?.steps ?? {}).map(([k, v]) => [k, v.output])),
    source: live ? "this test run" : lastRun ? `the last run (${lastRun.execution.id.slice(-6)})` : testInput(docName) ? "the test input" : undefined,
  };

  if (loadError)
    return loadError instanceof ApiError && loadError.status === 404 ? (
      <div className="empty">
        <h2>No workflow named “{name}”</h2>
        <p className="muted">It may have been deleted or renamed.</p>
        <Link to="/workflows/new" className="btn primary">
          New workflow
        </Link>{" "}
        <Link to="/" className="btn">
          All workflows
        </Link>
      </div>
    ) : (
      <ErrorBox error={loadError} />
    );
  if (!hist) return <div className="loading">Loading…</div>;

  const sel = selected.length === 1 ? selected[0] : undefined;
  const exec = live?.execution;
  return (
    <div className="editor">
      <div className="toolbar">
        <Link to="/" className="muted">
          Workflows
        </Link>
        <span className="muted">/</span>
        <strong className="mono">{docName || "untitled"}</strong>
        {dirty && <span className="tag">unsaved</span>}
        <div className="tabs" role="tablist">
          <button role="tab" aria-selected={tab === "canvas"} className={tab === "canvas" ? "active" : ""} onClick={() => setTab("canvas")}>
            Canvas
          </button>
          <button role="tab" aria-selected={tab === "yaml"} className={tab === "yaml" ? "active" : ""} onClick={() => setTab("yaml")}>
            YAML{problems.length ? <span className="count">{problems.length}</span> : null}
          </button>
        </div>
        <div className="grow" />
        <button className="btn icon" title="Undo (Ctrl+Z)" aria-label="Undo" disabled={!hist.past.length} onClick={() => setHist((h) => h && undo(h))}>
          ↶
        </button>
        <button className="btn icon" title="Redo (Ctrl+Shift+Z)" aria-label="Redo" disabled={!hist.future.length} onClick={() => setHist((h) => h && redo(h))}>
          ↷
        </button>
        <button
          className="btn"
          title="Lay the graph out again"
          onClick={() => edit((d) => (d.hasIn(["ui", "positions"]) ? void d.deleteIn(["ui", "positions"]) : false))}
        >
          Auto-layout
        </button>
        <button className="btn" onClick={() => setTesting(true)} disabled={!docName || view.graph.steps.length === 0}>
          Test run
        </button>
        <button className="btn primary" onClick={() => void save()} disabled={saving || (!dirty && !!saved)}>
          {saving ? "Saving…" : "Save"}
        </button>
      </div>
      <ErrorBox error={error} />
      {notice && (
        <div className="notice" role="status" onAnimationEnd={() => setNotice("")}>
          {notice}
        </div>
      )}
      {exec && (
        <div className="runbar" data-testid="runbar">
          Test run <StatusBadge status={exec.status} />
          {!finished(exec.status) && <span className="pulse" />}
          <Link to={`/executions/${exec.id}`} className="mono small">
            {exec.id}
          </Link>
          {exec.error && <span className="small bad">{exec.error.message}</span>}
          <div className="grow" />
          <button className="btn small" onClick={() => (stopFollow.current?.(), setLive(undefined))}>
            Clear
          </button>
        </div>
      )}
      <div className="editor-body">
        {tab === "canvas" ? (
          <>
            <Palette specs={specs} error={specError} onAdd={(t) => onDrop(t)} />
            <ReactFlowProvider>
              <Canvas
                graph={view.graph}
                specs={specMap}
                statuses={statuses}
                problems={byStep}
                selected={selected}
                selectRequest={selectRequest}
                onSelect={setSelectedState}
                onMove={(moved, all) =>
                  edit((d) => {
                    // Store every position the first time, so the rest of the picture is kept too.
                    setPositions(d, Object.keys(positionsOf(d)).length ? moved : all);
                  })
                }
                onConnect={(s, t) =>
                  edit((d) => {
                    if (!connect(d, s, t)) {
                      setNotice(s === t ? "A step cannot need itself." : "That connection would make a cycle (or exists already).");
                      return false;
                    }
                  })
                }
                onDelete={onDelete}
                onDrop={onDrop}
              />
            </ReactFlowProvider>
          </>
        ) : (
          <YamlView
            text={text}
            problems={problems}
            jump={jump}
            onChange={(t) => {
              setHist((h) => h && push(h, t, "yaml"));
            }}
          />
        )}
        <Inspector
          doc={view.doc}
          graph={view.graph}
          specs={specMap}
          selected={sel === TRIGGER ? undefined : sel}
          run={sel ? live?.steps[sel] : undefined}
          sample={sample}
          problems={byStep[sel ?? TRIGGER] ?? []}
          setStep={(id, path, value, key) => edit((d) => setStepValue(d, id, path, value), key ? `${id}:${key}` : undefined)}
          setDoc={(path, value, key) => edit((d) => setDocValue(d, path, value), key)}
          rename={(from, to) => {
            if (!/^[a-zA-Z_][a-zA-Z0-9_-]{0,62}$/.test(to)) return "letters, digits, _ and -; not starting with a digit";
            if (view.graph.steps.some((s) => s.id === to)) return `a step named ${to} exists already`;
            edit((d) => renameStep(d, from, to));
            setSelected([to]);
            return undefined;
          }}
          setNeeds={(id, deps) => edit((d) => writeDeps(d, new Map([[id, deps]])))}
        />
      </div>
      {problems.length > 0 && tab === "canvas" && (
        <button
          className="problem-bar"
          title={problems.map((p) => (p.line ? `line ${p.line}: ${p.message}` : p.message)).join("\n")}
          onClick={() => {
            setTab("yaml");
            setJump(problems.find((p) => p.line)?.line);
          }}
        >
          {problems.length} problem{problems.length > 1 ? "s" : ""}: {problems[0].line ? `line ${problems[0].line}: ` : ""}
          {problems[0].message} — show in YAML
        </button>
      )}
      {testing && <TestRunDialog
          name={docName}
          last={lastRun ? { input: lastRun.execution.input, trigger: lastRun.execution.trigger } : undefined}
          onRun={runTest}
          onClose={() => setTesting(false)}
        />}
    </div>
  );
}
