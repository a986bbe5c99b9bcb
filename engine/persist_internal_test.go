package engine

import (
	"fmt"
	"testing"

	"github.com/weftworks/weft"
)

// markDirty queues each run once, in the order first marked, whether it
// scans the queue (few runs) or keeps a set (a for_each marking many), and
// starts over empty after every write.
func TestMarkDirtyQueuesEachRunOnce(t *testing.T) {
	t.Parallel()
	for _, n := range []int{1, dirtyScan, dirtyScan + 1, 3 * dirtyScan} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			t.Parallel()
			r := newRunner(nil, weft.Execution{ID: "ex"}, nil, nil, nil)
			for i := range n {
				r.runs[runKey{"s", i}] = &weft.StepRun{StepID: "s", Item: i}
			}
			for round := range 3 {
				// Every key twice, the second time in reverse: a set that
				// missed a key, or a scan that stopped short, queues it again.
				for i := range n {
					r.markDirty(runKey{"s", i})
				}
				for i := n - 1; i >= 0; i-- {
					r.markDirty(runKey{"s", i})
				}
				runs := r.dirtyRuns()
				if len(runs) != n {
					t.Fatalf("round %d: %d runs written, want %d", round, len(runs), n)
				}
				for i, run := range runs {
					if run.Item != i {
						t.Fatalf("round %d: run %d is item %d", round, i, run.Item)
					}
				}
				if again := r.dirtyRuns(); again != nil {
					t.Fatalf("round %d: %d runs still dirty after the write", round, len(again))
				}
			}
		})
	}
}

// The status a step's scope holds is the status's string, for every status
// and for one this build does not know.
func TestStatusValueIsTheString(t *testing.T) {
	t.Parallel()
	for _, s := range []weft.StepStatus{weft.StepPending, weft.StepRunning, weft.StepWaiting, weft.StepSucceeded,
		weft.StepFailed, weft.StepSkipped, weft.StepCanceled, "paused"} {
		if got, ok := statusValue(s).(string); !ok || got != string(s) {
			t.Errorf("statusValue(%q) = %#v", s, statusValue(s))
		}
	}
}

// execution.trigger in expressions is the trigger's string, for every
// trigger and for one this function does not list.
func TestTriggerValueIsTheString(t *testing.T) {
	t.Parallel()
	for _, tr := range []string{weft.TriggerWebhook, weft.TriggerManual, weft.TriggerSchedule, weft.TriggerWorkflow,
		weft.TriggerError, weft.TriggerAlert, weft.TriggerPoll, weft.TriggerQueue, ""} {
		if got, ok := triggerValue(tr).(string); !ok || got != tr {
			t.Errorf("triggerValue(%q) = %#v", tr, triggerValue(tr))
		}
	}
}
