// The workflow editor. The YAML text is the single source of truth: the
// canvas, the forms and the YAML tab all read the parsed document, and every
// edit produces a new text (through yaml's Document API, so comments stay).
// Undo/redo therefore works the same for every kind of edit.
import "@xyflow/react/dist/style.css";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { ReactFlowProvider } from "@xyflow/react";
import type { Document } from "yaml";
import { api, ApiError, session as signedIn } from "../api/client";
import { follow, toLive, type Live } from "../api/follow";
import { finished, type AppInfo, type Spec, type StepStatus } from "../api/types";
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
  type XY,
} from "../doc/graph";
import { positionsFor } from "../doc/layout";
import { below, dependencyFor, freeSpot } from "../doc/placement";
import { dependencyProblems } from "../doc/checks";
import { stepsFromYAML, stepsToYAML } from "../doc/clipboard";
import { EXAMPLES, blank } from "../examples";
import { blockNavigation, Link, navigate } from "../router";
import { Canvas } from "./Canvas";
import { push, redo, start, undo, type History } from "./history";
import { Inspector, StepForm, type Sample } from "./Inspector";
import { StepPanelDialog, type PanelData, type StepTest, type Upstream } from "./StepPanel";
import { ancestors } from "./expr";
import { Palette } from "./Palette";
import { TestRunDialog, type InputSchema } from "./TestRun";
import { YamlView } from "./YamlView";

/** Pinned test output per workflow and step: kept in this browser (docs/ui.md, "Test data"). */
const pinKey = (name: string) => `weft.pins.${name}`;
function loadPins(name: string): Record<string, unknown> {
  try {
    const t = localStorage.getItem(pinKey(name));
    const v = t ? JSON.parse(t) : {};
    return v && typeof v === "object" ? v : {};
  } catch {
    return {};
  }
}

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
  const [apps, setApps] = useState<AppInfo[]>([]);
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
  // "Run this step" results of this session, and pinned outputs (by step id).
  const [tests, setTests] = useState<Record<string, StepTest>>({});
  const [pins, setPinsState] = useState<Record<string, unknown>>({});
  const [runningStep, setRunningStep] = useState<string>();
  const [panelOpen, setPanelOpen] = useState<string>();
  const [fitRequest, setFitRequest] = useState(0);
  // The text the server's diagnostics are about: any edit makes them (and their banner) stale.
  const diagnosed = useRef<string>(undefined);

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
    // A template imported from the gallery travels in the history entry's state.
    const given = (history.state as { yaml?: unknown } | null)?.yaml;
    setHist(start(typeof given === "string" ? given : (EXAMPLES.find((e) => e.id === tpl)?.text ?? blank("my-workflow"))));
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
    // App titles and icons for the palette; without them apps are listed by name.
    api.apps().then(
      (r) => setApps(r.items ?? []),
      () => setApps([]),
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
  // Dependency problems show on the canvas at once, without waiting for a save.
  const depProblems = useMemo(() => dependencyProblems(view.doc, view.graph), [view]);
  const byStep = useMemo(() => {
    const m: Record<string, string[]> = {};
    for (const p of problems) {
      const k = p.step ?? TRIGGER;
      (m[k] ??= []).push(p.line ? `line ${p.line}: ${p.message}` : p.message);
    }
    for (const [k, list] of Object.entries(depProblems)) for (const msg of list) if (!(m[k] ??= []).some((x) => x.endsWith(msg))) m[k].push(msg);
    return m;
  }, [problems, depProblems]);
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

  // Diagnostics from the last save point at lines of that text; once the text changes they
  // describe something else, so they and their banner go (the next Save asks again).
  useEffect(() => {
    if (saved !== undefined && text === saved) setServerProblems((p) => (p.length ? [] : p));
    if (diagnosed.current !== undefined && text !== diagnosed.current) {
      diagnosed.current = undefined;
      setServerProblems([]);
      setError(undefined);
    }
  }, [text, saved]);

  // While the YAML does not parse the canvas shows the last good document, and so does the header.
  const docName = String(view.doc.get("name") ?? "");
  useEffect(() => setPinsState(docName ? loadPins(docName) : {}), [docName]);
  const setPins = (next: Record<string, unknown>) => {
    setPinsState(next);
    if (!docName) return;
    if (Object.keys(next).length) localStorage.setItem(pinKey(docName), JSON.stringify(next));
    else localStorage.removeItem(pinKey(docName));
  };
  const dirty = hist !== undefined && text !== saved;
  // One Set per change of the pins: the canvas rebuilds its nodes when it gets a new one.
  const pinnedSet = useMemo(() => new Set(Object.keys(pins)), [pins]);

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
        diagnosed.current = text;
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
      const all = positionsFor(g);
      // Dropped on or below a node: it waits for that node; clicked in the palette: for the selected step.
      const deps = dependencyFor(g, all, at, selected.length === 1 ? selected[0] : undefined);
      const pos = at ? freeSpot(all, at) : below(all, deps[0] ?? TRIGGER);
      // The first stored position freezes the automatic layout, so nothing jumps.
      if (!Object.keys(stored).length) setPositions(d, all);
      const w: Record<string, unknown> = {};
      for (const f of spec?.fields ?? []) if (f.required && f.default !== undefined) w[f.name] = f.default;
      addSteps(d, [{ id: newId, uses: type, ...(Object.keys(w).length ? { with: w } : {}) }], { [newId]: deps }, { [newId]: pos });
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

  /** The selected steps as YAML (a steps: list), or undefined when no step is selected. */
  const copyText = (): string | undefined => {
    const ids = selected.filter((s) => s !== TRIGGER);
    if (!ids.length) return undefined;
    setNotice(`Copied ${ids.length} step${ids.length > 1 ? "s" : ""} as YAML.`);
    return stepsToYAML(copySteps(view.doc, ids));
  };
  /** Paste steps (YAML text from any workflow or file): after the selected step, below it, never on top of a node. */
  const pasteText = (t: string): boolean => {
    const steps = stepsFromYAML(t);
    if (!steps) return false;
    let ids: string[] = [];
    const anchor = selected.length === 1 ? selected[0] : undefined;
    edit((d) => {
      const g = toGraph(d);
      const all = positionsFor(g);
      if (!Object.keys(positionsOf(d)).length) setPositions(d, all);
      const inSet = new Set(steps.map((s) => s.id));
      const after = anchor && (anchor === TRIGGER || g.steps.some((s) => s.id === anchor)) ? anchor : g.steps.length ? g.steps[g.steps.length - 1].id : TRIGGER;
      // Needs inside the pasted set keep their shape; the rest wait for the step they were pasted after.
      const wired = steps.map((s) => {
        const inner = ((s.needs as string[] | undefined) ?? []).filter((n) => inSet.has(n));
        return { ...s, needs: inner.length ? inner : after === TRIGGER ? [] : [after] };
      });
      ids = pasteSteps(d, wired);
      const rename = new Map(steps.map((s, i) => [s.id, ids[i]]));
      const placed: Record<string, XY> = { ...all };
      const fresh: Record<string, XY> = {};
      wired.forEach((s, i) => {
        const parent = s.needs.length ? (rename.get(s.needs[0]) ?? s.needs[0]) : after;
        const p = freeSpot(placed, below(placed, parent));
        placed[ids[i]] = p;
        fresh[ids[i]] = p;
      });
      setPositions(d, fresh);
    });
    setTimeout(() => setSelected(ids), 0);
    return true;
  };

  // Copy and paste go through the system clipboard as YAML text (the copy and
  // paste events work over plain http too, where navigator.clipboard does not).
  useEffect(() => {
    const onCopy = (e: ClipboardEvent) => {
      if (tab !== "canvas" || inField(e.target) || inField(document.activeElement) || panelOpen) return;
      const t = copyText();
      if (!t) return;
      e.clipboardData?.setData("text/plain", t);
      e.preventDefault();
    };
    const onPaste = (e: ClipboardEvent) => {
      if (tab !== "canvas" || inField(e.target) || inField(document.activeElement) || panelOpen) return;
      const t = e.clipboardData?.getData("text/plain") ?? "";
      if (pasteText(t)) e.preventDefault();
      else if (t.trim()) setNotice("The clipboard holds no steps: paste YAML with uses: (a steps: list or one step).");
    };
    document.addEventListener("copy", onCopy);
    document.addEventListener("paste", onPaste);
    return () => {
      document.removeEventListener("copy", onCopy);
      document.removeEventListener("paste", onPaste);
    };
  });

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
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  });

  // Leaving with unsaved changes asks first: a reload or closed tab (beforeunload) and
  // every in-app link or back/forward (the router's blocker).
  useEffect(() => {
    if (!dirty) return;
    const f = (e: BeforeUnloadEvent) => e.preventDefault();
    window.addEventListener("beforeunload", f);
    const unblock = blockNavigation((to) =>
      to.startsWith("/workflows/") && decodeURIComponent(to.slice(11).split("?")[0]) === docName
        ? undefined
        : `“${docName || "This workflow"}” has unsaved changes. Leave without saving?`,
    );
    return () => {
      window.removeEventListener("beforeunload", f);
      unblock();
    };
  }, [dirty, docName]);

  const runData = live ?? lastRun;
  // What each step's output is for the tools: pinned, else this session's "Run this step", else the run's.
  const outputs: Record<string, unknown> = Object.fromEntries(Object.entries(runData?.steps ?? {}).map(([k, v]) => [k, v.output]));
  const from: Record<string, string> = Object.fromEntries(Object.keys(outputs).map((k) => [k, live ? "this test run" : "the last run"]));
  for (const [k, t] of Object.entries(tests)) if (!t.error) ((outputs[k] = t.output), (from[k] = "Run this step"));
  for (const [k, v] of Object.entries(pins)) ((outputs[k] = v), (from[k] = "pinned data"));
  const trigger = runData?.execution.input ?? testInput(docName);
  const sample: Sample = {
    trigger,
    outputs,
    source: live ? "this test run" : lastRun ? `the last run (${lastRun.execution.id.slice(-6)})` : Object.keys(tests).length || Object.keys(pins).length ? "step tests and pins" : testInput(docName) ? "the test input" : undefined,
  };

  const runStep = async (id: string) => {
    const wf = dirty || !saved ? await save() : docName;
    if (!wf) return;
    setRunningStep(id);
    try {
      const readable = ancestors(view.graph, id);
      const steps = Object.fromEntries(Object.entries(outputs).filter(([k]) => readable.has(k)));
      const r = await api.runStep(wf, id, { trigger: trigger ?? {}, steps });
      setTests((t) => ({ ...t, [id]: r }));
    } catch (e) {
      setError(e);
    } finally {
      setRunningStep(undefined);
    }
  };
  const panelFor = (id: string): PanelData => {
    const readable = ancestors(view.graph, id);
    const upstream: Upstream[] = [];
    if (trigger !== undefined) upstream.push({ id: "trigger", path: "trigger", value: trigger, from: live ? "this test run" : runData ? "the last run" : "the test input" });
    // The steps it waits for directly first, then the rest it may read.
    const step = view.graph.steps.find((s) => s.id === id);
    const order = [...(step?.deps ?? []), ...view.graph.steps.map((s) => s.id).filter((s) => readable.has(s))];
    for (const s of [...new Set(order)]) if (readable.has(s) && outputs[s] !== undefined) upstream.push({ id: s, path: `steps.${s}.output`, value: outputs[s], from: from[s] });
    return {
      id,
      run: live?.steps[id] ?? (live ? undefined : lastRun?.steps[id]),
      test: tests[id],
      pinned: id in pins ? { output: pins[id] } : undefined,
      upstream,
      runnable: !!docName,
      running: runningStep === id,
      onRun: () => void runStep(id),
      onPin: (output) => setPins({ ...pins, [id]: output }),
      onUnpin: () => {
        const { [id]: _gone, ...rest } = pins;
        setPins(rest);
      },
    };
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
  const inspectorProps = {
    doc: view.doc,
    graph: view.graph,
    specs: specMap,
    sample,
    problems: [] as string[],
    setStep: (id: string, path: (string | number)[], value: unknown, key?: string) => edit((d) => setStepValue(d, id, path, value), key ? `${id}:${key}` : undefined),
    setDoc: (path: string[], value: unknown, key?: string) => edit((d) => setDocValue(d, path, value), key),
    rename: (from: string, to: string) => {
      if (!/^[a-zA-Z_][a-zA-Z0-9_-]{0,62}$/.test(to)) return "letters, digits, _ and -; not starting with a digit";
      if (view.graph.steps.some((s) => s.id === to)) return `a step named ${to} exists already`;
      edit((d) => renameStep(d, from, to));
      setSelected([to]);
      if (panelOpen === from) setPanelOpen(to);
      return undefined;
    },
    setNeeds: (id: string, deps: string[]) => edit((d) => writeDeps(d, new Map([[id, deps]]))),
    onExpand: (id: string) => setPanelOpen(id),
  };
  return (
    <div className="editor">
      <div className="toolbar">
        <Link to="/" className="muted">
          Workflows
        </Link>
        <span className="muted">/</span>
        <strong className="mono" data-testid="workflow-name">{docName || "untitled"}</strong>
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
          onClick={() => {
            edit((d) => (d.hasIn(["ui", "positions"]) ? void d.deleteIn(["ui", "positions"]) : false));
            setFitRequest((n) => n + 1);
          }}
        >
          Auto-layout
        </button>
        <button className="btn" onClick={() => setTesting(true)} disabled={!docName || view.graph.steps.length === 0}>
          Test run
        </button>
        <button
          className="btn primary"
          onClick={() => void save()}
          disabled={saving || (!dirty && !!saved) || !signedIn.can("workflows:write")}
          title={signedIn.can("workflows:write") ? undefined : "Your role cannot change workflows"}
        >
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
            <Palette specs={specs} apps={apps} error={specError} onAdd={(t) => onDrop(t)} />
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
                onAddAfter={(id) => {
                  setSelected([id]);
                  const search = document.querySelector<HTMLInputElement>(".palette .search");
                  search?.focus();
                  setNotice(`Pick a step in the palette: it is added after ${id === TRIGGER ? "the trigger" : id}.`);
                }}
                onOpen={(id) => setPanelOpen(id)}
                pinned={pinnedSet}
                fitRequest={fitRequest}
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
          {...inspectorProps}
          selected={sel === TRIGGER ? undefined : sel}
          problems={byStep[sel ?? TRIGGER] ?? []}
          panel={sel && sel !== TRIGGER && view.graph.steps.some((s) => s.id === sel) ? panelFor(sel) : undefined}
          expanded={!!panelOpen && panelOpen === sel}
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
      {panelOpen && view.graph.steps.some((s) => s.id === panelOpen) && (
        <StepPanelDialog d={panelFor(panelOpen)} params={<StepForm {...inspectorProps} selected={panelOpen} problems={byStep[panelOpen] ?? []} id={panelOpen} />} onClose={() => setPanelOpen(undefined)} />
      )}
      {testing && <TestRunDialog
          name={docName}
          inputs={(view.doc.toJS() as { inputs?: InputSchema } | null)?.inputs}
          last={lastRun ? { input: lastRun.execution.input, trigger: lastRun.execution.trigger } : undefined}
          onRun={runTest}
          onClose={() => setTesting(false)}
        />}
    </div>
  );
}
