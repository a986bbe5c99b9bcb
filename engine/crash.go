package engine

import (
	"fmt"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/workflow"
)

// Crash quarantine. A step attempt is recorded as running before it runs
// (with the attempt for steps that call out; for pure steps only in careful
// mode, since ADR 0001 records them with the next durable write), and as
// finished after. An execution taken over from a process that died while
// running it (Execution.Recovered) may therefore hold attempts that were
// started and never finished: the process died during them. Each is noted in
// the step run's history as "interrupted"; once a step has been interrupted
// QuarantineAfter times it fails instead of running again, so a step that
// kills the process (an out-of-memory expression, a crashing library) cannot
// crash every restart forever. A graceful shutdown parks its executions
// (status waiting, lease released), so a deploy never counts here.

// outcomeInterrupted marks, in a step run's history, an attempt whose process
// stopped before recording its end.
const outcomeInterrupted = "interrupted"

// countCrashes notes the unfinished attempts of a recovered execution and
// quarantines the steps that reached the limit. Called from load, before
// anything runs.
func (r *runner) countCrashes() {
	now := r.e.cfg.Now().UTC()
	for _, n := range r.cw.c.Nodes {
		w := r.whole(n.Step.ID)
		if w == nil || w.Status.Finished() {
			continue
		}
		for _, t := range r.tasks(n) {
			if t == nil || t.Status != weft.StepRunning {
				continue
			}
			r.noteCrash(n, t, now)
		}
	}
}

func (r *runner) noteCrash(n *workflow.Node, t *weft.StepRun, now time.Time) {
	crashes := 1
	for _, a := range t.History {
		if a.Outcome == outcomeInterrupted {
			crashes++
		}
	}
	addHistory(t, weft.Attempt{Attempt: t.Attempts, At: now, Outcome: outcomeInterrupted,
		Error: "the process running this attempt stopped before it finished (a crash or an out-of-memory kill)"})
	r.markDirty(runKey{t.StepID, t.Item})
	limit := r.e.cfg.QuarantineAfter
	r.e.log.Warn("resuming a step attempt that a stopped process left unfinished", "execution_id", r.ex.ID,
		"step", t.StepID, "item", t.Item, "attempt", t.Attempts, "crashes", crashes, "quarantine_after", limit)
	if crashes < limit {
		return
	}
	where := fmt.Sprintf("step %q", t.StepID)
	if t.Item != weft.WholeStep {
		where = fmt.Sprintf("step %q (item %d)", t.StepID, t.Item)
	}
	r.e.log.Error("quarantining execution: a step keeps stopping the process", "execution_id", r.ex.ID,
		"step", t.StepID, "item", t.Item, "crashes", crashes)
	r.taskFailed(n, t, &weft.ErrorInfo{Code: "quarantined", Message: fmt.Sprintf(
		"quarantined: %s crashed the process %d times (it was started and the process died before it finished); "+
			"it is not run again. Find the cause in the logs (e.g. out of memory), fix the workflow or its input, "+
			"then retry the execution; the limit is --quarantine-after (WEFT_QUARANTINE_AFTER)", where, crashes)}, now)
}
