// Step runs as a timeline: one row per step, a bar from its start to its end
// on a shared time axis (StepDetail shows the selected one).
import type { StepRun } from "../api/types";
import { duration, shownStepStatus, StatusBadge } from "./ui";

export function Timeline({ steps, selected, onSelect, now, executionFinished = false }: { steps: StepRun[]; selected?: string; onSelect: (id: string) => void; now: number; executionFinished?: boolean }) {
  const times = steps.flatMap((s) => [s.started_at, s.finished_at].filter(Boolean).map((t) => new Date(t!).getTime()));
  const t0 = times.length ? Math.min(...times) : now;
  const t1 = Math.max(t0 + 1, ...times, !executionFinished && steps.some((s) => s.started_at && !s.finished_at) ? now : 0);
  return (
    <div className="timeline" role="list">
      {steps.map((s) => {
        const shown = shownStepStatus(s.status, executionFinished);
        const a = s.started_at ? new Date(s.started_at).getTime() : undefined;
        // A step left unfinished by a finished execution does not grow with the clock.
        const b = s.finished_at ? new Date(s.finished_at).getTime() : a !== undefined && !executionFinished ? now : a;
        const left = a === undefined ? 0 : ((a - t0) / (t1 - t0)) * 100;
        const width = a === undefined || b === undefined ? 0 : Math.max(0.8, ((b - a) / (t1 - t0)) * 100);
        return (
          <button
            key={`${s.step_id}/${s.item}`}
            role="listitem"
            className={`tl-row ${selected === s.step_id ? "selected" : ""} ${s.status === "pending" ? "pending" : ""}`}
            data-step={s.step_id}
            data-status={shown}
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
              <StatusBadge status={shown} />
              <span className="muted small">{executionFinished && !s.finished_at ? "—" : duration(s.started_at, s.finished_at)}</span>
            </span>
          </button>
        );
      })}
    </div>
  );
}
