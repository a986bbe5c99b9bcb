// Step runs as a timeline: one row per step, a bar from its start to its end
// on a shared time axis, and its input/output/error below when selected.
import type { StepRun } from "../api/types";
import { duration, Json, StatusBadge } from "./ui";

export function Timeline({ steps, selected, onSelect, now }: { steps: StepRun[]; selected?: string; onSelect: (id: string) => void; now: number }) {
  const times = steps.flatMap((s) => [s.started_at, s.finished_at].filter(Boolean).map((t) => new Date(t!).getTime()));
  const t0 = times.length ? Math.min(...times) : now;
  const t1 = Math.max(t0 + 1, ...times, steps.some((s) => s.started_at && !s.finished_at) ? now : 0);
  return (
    <div className="timeline" role="list">
      {steps.map((s) => {
        const a = s.started_at ? new Date(s.started_at).getTime() : undefined;
        const b = s.finished_at ? new Date(s.finished_at).getTime() : a !== undefined ? now : undefined;
        const left = a === undefined ? 0 : ((a - t0) / (t1 - t0)) * 100;
        const width = a === undefined || b === undefined ? 0 : Math.max(0.8, ((b - a) / (t1 - t0)) * 100);
        return (
          <button
            key={`${s.step_id}/${s.item}`}
            role="listitem"
            className={`tl-row ${selected === s.step_id ? "selected" : ""} ${s.status === "pending" ? "pending" : ""}`}
            data-step={s.step_id}
            onClick={() => onSelect(s.step_id)}
          >
            <span className="tl-name">
              {s.step_id}
              {s.item >= 0 && <span className="muted"> #{s.item}</span>}
              <span className="muted small"> {s.type}</span>
            </span>
            <span className="tl-track">
              <span className={`tl-bar st-${s.status}`} style={{ left: `${left}%`, width: `${width}%` }} />
            </span>
            <span className="tl-meta">
              <StatusBadge status={s.status} />
              <span className="muted small">{duration(s.started_at, s.finished_at)}</span>
            </span>
          </button>
        );
      })}
    </div>
  );
}

export function StepDetail({ run }: { run?: StepRun }) {
  if (!run) return <div className="muted pad">Select a step to see its input, output and error.</div>;
  return (
    <div className="step-detail" data-testid="step-detail">
      <div className="row gap">
        <strong>{run.step_id}</strong>
        <StatusBadge status={run.status} />
        <span className="muted small">
          {run.type} · {run.attempts} attempt{run.attempts === 1 ? "" : "s"} · {duration(run.started_at, run.finished_at)}
        </span>
      </div>
      {run.error && (
        <div className="error-box" data-testid="step-error">
          <strong>{run.error.code}</strong>: {run.error.message}
        </div>
      )}
      {run.history && run.history.length > 1 && (
        <>
          <h4>Attempts</h4>
          <ol className="attempts small" data-testid="step-attempts">
            {run.history.map((h) => (
              <li key={h.attempt + h.at}>
                <StatusBadge status={h.outcome} /> <span className="muted">#{h.attempt}</span>
                {h.duration_ms !== undefined && <span className="muted"> · {h.duration_ms} ms</span>}
                {h.wait && <span className="muted"> · then waited {h.wait}</span>}
                {(h.error?.message ?? h.reason) && <span> · {h.error?.message ?? h.reason}</span>}
              </li>
            ))}
          </ol>
        </>
      )}
      <h4>Input</h4>
      <Json value={run.input} testId="step-input" />
      <h4>Output</h4>
      <Json value={run.output} empty="No output" testId="step-output" />
    </div>
  );
}
