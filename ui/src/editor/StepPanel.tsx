// The step panel, as in n8n: Input | Parameters | Output of one step. Input
// is what the step reads (the trigger and the outputs of the steps it waits
// for) from the last run, a "Run this step" result or pinned test data, with
// keys to drag into a parameter; Output is the step's result with "Run this
// step" and "Pin output". In the inspector the three are tabs; opened wide
// (double click, or ⤢) they sit side by side.
import { useRef, useState, type ReactNode } from "react";
import type { StepRun } from "../api/types";
import { Json, StatusBadge } from "../components/ui";
import { StepDetail } from "../components/StepDetail";
import { DataTree } from "./DataTree";
import { useModal } from "./dialog";

export interface StepTest {
  step: string;
  input?: unknown;
  output?: unknown;
  error?: { code: string; message: string };
  duration: string;
}

export interface Upstream {
  /** "trigger" or a step id. */
  id: string;
  /** The expression root: trigger, steps.<id>.output. */
  path: string;
  value: unknown;
  from: string; // "pinned", "Run this step", "the last run"…
}

export interface PanelData {
  id: string;
  run?: StepRun;
  test?: StepTest;
  pinned?: { output: unknown };
  upstream: Upstream[];
  runnable: boolean; // a saved workflow name exists
  running: boolean;
  onRun: () => void;
  onPin: (output: unknown) => void;
  onUnpin: () => void;
}

type Tab = "input" | "parameters" | "output";

function InputView({ d }: { d: PanelData }) {
  return (
    <div className="panel-col-body" data-testid="panel-input">
      {d.upstream.length === 0 && <p className="muted small">No data yet: run the workflow (Test run), run the steps before this one, or pin their output.</p>}
      {d.upstream.map((u) => (
        <section key={u.id} className="upstream">
          <div className="row gap small">
            <strong className="mono">{u.id === "trigger" ? "trigger" : u.id}</strong>
            <span className="muted">from {u.from}</span>
          </div>
          <DataTree root={u.path} value={u.value} label={u.path} />
        </section>
      ))}
      {d.upstream.length > 0 && <p className="muted small">Drag a key into a parameter to write its expression.</p>}
      {(d.test?.input ?? d.run?.input) !== undefined && (
        <details>
          <summary className="small">Resolved input (with)</summary>
          <Json value={d.test?.input ?? d.run?.input} />
        </details>
      )}
    </div>
  );
}

function OutputView({ d }: { d: PanelData }) {
  const shown = d.test ?? undefined;
  const current = shown ? shown.output : d.run?.output;
  return (
    <div className="panel-col-body" data-testid="panel-output">
      <div className="row gap wrap">
        <button className="btn small primary" onClick={d.onRun} disabled={!d.runnable || d.running} title={d.runnable ? "Run only this step, with the data in Input" : "Give the workflow a name first"}>
          {d.running ? "Running…" : "▶ Run this step"}
        </button>
        {d.pinned ? (
          <button className="btn small" onClick={d.onUnpin}>
            Unpin
          </button>
        ) : (
          <button className="btn small" onClick={() => d.onPin(current)} disabled={current === undefined} title="Keep this output as test data for the steps after it">
            Pin output
          </button>
        )}
      </div>
      {d.pinned && (
        <div className="pinned-box">
          <div className="small">
            <strong>Pinned output</strong> — the steps after this one use it in “Run this step” and in expression previews. Kept in this browser only.
          </div>
          <Json value={d.pinned.output} testId="pinned-output" />
        </div>
      )}
      {shown ? (
        <div data-testid="step-test">
          <div className="row gap small">
            <strong>Run this step</strong>
            <StatusBadge status={shown.error ? "failed" : "succeeded"} />
            <span className="muted">{shown.duration}</span>
          </div>
          {shown.error && (
            <div className="error-box small">
              <strong>{shown.error.code}</strong>: {shown.error.message}
            </div>
          )}
          {!shown.error && <Json value={shown.output} empty="No output" testId="step-test-output" />}
        </div>
      ) : d.run ? (
        <StepDetail run={d.run} />
      ) : (
        !d.pinned && <p className="muted small">No output yet. Run this step, or the whole workflow with Test run.</p>
      )}
    </div>
  );
}

/** The tabs inside the inspector. */
export function StepTabs({ d, params, onExpand }: { d: PanelData; params: ReactNode; onExpand: () => void }) {
  const has = !!(d.run || d.test || d.pinned);
  const [tab, setTab] = useState<Tab>("parameters");
  const status = d.test ? (d.test.error ? "failed" : "succeeded") : d.run?.status;
  return (
    <div className="step-tabs">
      {/* The expand button sits beside the tablist, not in it: a tablist holds only tabs. */}
      <div className="tabs panel-tabs">
        <div role="tablist" aria-label="Step panel" className="tablist">
          {(["input", "parameters", "output"] as Tab[]).map((t) => (
            <button key={t} role="tab" id={`tab-${t}`} aria-selected={tab === t} className={tab === t ? "active" : ""} onClick={() => setTab(t)}>
              {t[0].toUpperCase() + t.slice(1)}
              {t === "output" && status && <span className={`dot st-${status}`} role="img" aria-label={status} />}
              {t === "output" && !status && d.pinned && <span className="tag">pinned</span>}
            </button>
          ))}
        </div>
        <div className="grow" />
        <button className="btn icon small" onClick={onExpand} title="Open the step panel: Input, Parameters and Output side by side" aria-label="Open step panel">
          ⤢
        </button>
      </div>
      {has && tab === "parameters" && (
        <button className="run-hint linklike small" onClick={() => setTab("output")}>
          This step has {d.test ? "a test result" : d.run ? `run data (${d.run.status})` : "pinned output"} — show Output
        </button>
      )}
      <div role="tabpanel" aria-labelledby={`tab-${tab}`}>
        {tab === "input" && <InputView d={d} />}
        {tab === "parameters" && params}
        {tab === "output" && <OutputView d={d} />}
      </div>
    </div>
  );
}

/** The wide panel: three columns side by side (tabs again below 1000 px). */
export function StepPanelDialog({ d, params, onClose }: { d: PanelData; params: ReactNode; onClose: () => void }) {
  const box = useRef<HTMLDivElement>(null);
  useModal(box, onClose);
  const [tab, setTab] = useState<Tab>("parameters");
  return (
    <div className="modal-backdrop ndv-backdrop" onClick={onClose}>
      <div className="ndv" role="dialog" aria-modal="true" aria-label={`Step panel: ${d.id}`} ref={box} onClick={(e) => e.stopPropagation()} data-testid="step-panel" tabIndex={-1}>
        <div className="ndv-head">
          <strong className="mono">{d.id}</strong>
          <div className="tabs ndv-tabs" role="tablist">
            {(["input", "parameters", "output"] as Tab[]).map((t) => (
              <button key={t} role="tab" aria-selected={tab === t} className={tab === t ? "active" : ""} onClick={() => setTab(t)}>
                {t[0].toUpperCase() + t.slice(1)}
              </button>
            ))}
          </div>
          <div className="grow" />
          <button className="btn small" onClick={onClose}>
            Close
          </button>
        </div>
        <div className={`ndv-cols show-${tab}`}>
          <section className="ndv-col col-input" aria-label="Input">
            <h4>Input</h4>
            <InputView d={d} />
          </section>
          <section className="ndv-col col-parameters" aria-label="Parameters">
            <h4>Parameters</h4>
            {params}
          </section>
          <section className="ndv-col col-output" aria-label="Output">
            <h4>Output</h4>
            <OutputView d={d} />
          </section>
        </div>
      </div>
    </div>
  );
}
