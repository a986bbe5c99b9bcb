package engine

// Probes: one step run outside any execution, for "Test connection" in the
// console. It goes through the same HTTP client (SSRF guard), vault and
// rate limiter as a step in a workflow, and records nothing.

import (
	"context"
	"fmt"
	"time"

	"github.com/weftworks/weft/step"
)

// ProbeTimeout bounds one probe.
const ProbeTimeout = 10 * time.Second

// Probe runs one attempt of the step type uses with the given inputs (the
// spec's defaults filled in) and returns its result. It is not recorded;
// the credential checks that name no workflow (those of an operator) apply.
func (e *Engine) Probe(ctx context.Context, uses string, with map[string]any) (step.Result, time.Duration, error) {
	reg, ok := e.cfg.Registry.Lookup(uses)
	if !ok {
		return step.Result{}, 0, fmt.Errorf("step type %q is not registered in this process", uses)
	}
	in := make(map[string]any, len(with))
	for k, v := range with {
		in[k] = v
	}
	applyDefaults(reg.Spec.Fields, in)
	ctx, cancel := context.WithTimeout(ctx, ProbeTimeout)
	defer cancel()
	req := &step.Request{Type: uses, StepID: "probe", ExecutionID: "probe", Item: -1, Attempt: 1, With: in,
		IdempotencyKey: "probe/" + NewID(e.cfg.Now()),
		Env: &step.Env{HTTP: e.cfg.HTTP, Workflows: children{e}, Now: e.cfg.Now, Connections: e.cfg.Connections, Limiter: e.cfg.Limiter,
			Logger: e.log.With("probe", uses), Emit: func(string, any) {}, Events: e.cfg.Events},
	}
	start := time.Now()
	res, err := safeRun(ctx, reg.Handler, req)
	return res, time.Since(start), err
}
