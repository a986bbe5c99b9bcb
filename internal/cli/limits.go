package cli

import "fmt"

// limitFlags are the engine's guards against workflows that multiply work:
// nested workflow.call, for_each size, executions that crash the process.
type limitFlags struct {
	maxCallDepth, maxForEachItems, quarantineAfter int
}

func (l *limitFlags) register(fs *flagSet) {
	fs.intVar(&l.maxCallDepth, "max-call-depth", "WEFT_MAX_CALL_DEPTH", 16,
		"deepest nesting of workflow.call (a child of a child …); a call deeper than this fails the calling step")
	fs.intVar(&l.maxForEachItems, "max-for-each-items", "WEFT_MAX_FOR_EACH_ITEMS", 10_000,
		"most items one for_each step may run; a longer list fails the step before any item runs")
	fs.intVar(&l.quarantineAfter, "quarantine-after", "WEFT_QUARANTINE_AFTER", 3,
		"fail an execution, instead of resuming it, once one of its steps was started this many times by processes that died before it finished (crash loop guard)")
}

// Limits are the engine's guards against workflows that multiply work.
type Limits struct {
	MaxCallDepth, MaxForEachItems, QuarantineAfter int
}

// limits checks the flags, refusing values that would turn a guard off.
func (l *limitFlags) limits() (Limits, error) {
	if l.maxCallDepth < 1 {
		return Limits{}, fmt.Errorf("--max-call-depth %d: must be at least 1", l.maxCallDepth)
	}
	if l.maxForEachItems < 1 {
		return Limits{}, fmt.Errorf("--max-for-each-items %d: must be at least 1", l.maxForEachItems)
	}
	if l.quarantineAfter < 1 {
		return Limits{}, fmt.Errorf("--quarantine-after %d: must be at least 1", l.quarantineAfter)
	}
	return Limits{MaxCallDepth: l.maxCallDepth, MaxForEachItems: l.maxForEachItems, QuarantineAfter: l.quarantineAfter}, nil
}
