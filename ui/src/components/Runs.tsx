// An execution's error said once, and the earlier runs that a retry
// replaced (weft.PriorRun): a retry never rewrites history.
import type { ErrorInfo, PriorRun, StepRun } from "../api/types";
import { ago, duration, StatusBadge } from "./ui";

/**
 * The execution's error. When it only repeats the failed step's error
 * (`step "x" failed: <the step's message>`), it names the step and points
 * to it instead of writing the message a second time.
 */
export function ExecutionError({ error, failedStep, onSelect }: { error: ErrorInfo; failedStep?: StepRun; onSelect: (id: string) => void }) {
  const repeat = failedStep?.error && error.message === `step "${failedStep.step_id}" failed: ${failedStep.error.message}`;
  return (
    <div className="error-box" data-testid="execution-error">
      <strong>{error.code}</strong>:{" "}
      {repeat ? (
        <>
          step{" "}
          <button type="button" className="linklike" onClick={() => onSelect(failedStep!.step_id)}>
            {failedStep!.step_id}
          </button>{" "}
          failed; its error is shown with the step below.
        </>
      ) : (
        error.message
      )}
    </div>
  );
}

/** The runs before the current one, newest first, each with the steps the retry ran again. */
export function EarlierRuns({ runs, onSelect }: { runs: PriorRun[]; onSelect: (id: string) => void }) {
  return (
    <section className="card" data-testid="earlier-runs">
      <h3>Earlier runs</h3>
      <p className="muted small">A retry runs the failed steps again as a new run; what the earlier runs did is kept here.</p>
      <ol className="earlier-runs">
        {[...runs].reverse().map((p) => (
          <li key={p.run} data-run={p.run}>
            <div className="row gap">
              <strong>Run {p.run}</strong>
              <StatusBadge status={p.status} />
              <span className="muted small">
                started <span title={p.started_at}>{ago(p.started_at)}</span> · took {duration(p.started_at, p.finished_at)} · retried{" "}
                {p.retried_by ? `by ${p.retried_by} ` : ""}
                <span title={p.retried_at}>{ago(p.retried_at)}</span>
              </span>
            </div>
            {p.error && (
              <div className="attempt-error mono small">
                <strong>{p.error.code}: </strong>
                {p.error.message}
              </div>
            )}
            {!!p.steps?.length && (
              <div className="small">
                <span className="muted">Ran again after it: </span>
                {p.steps.map((r, i) => (
                  <span key={`${r.step_id}/${r.item}`}>
                    {i > 0 && ", "}
                    <button type="button" className="linklike" onClick={() => onSelect(r.step_id)}>
                      {r.step_id}
                      {r.item >= 0 ? ` #${r.item}` : ""}
                    </button>{" "}
                    <span className="muted">
                      ({r.status}
                      {r.attempts ? `, ${r.attempts} attempt${r.attempts === 1 ? "" : "s"}` : ""})
                    </span>
                  </span>
                ))}
                {p.steps_truncated && <span className="muted"> and more</span>}
              </div>
            )}
          </li>
        ))}
      </ol>
    </section>
  );
}
