package core

import (
	"fmt"

	"github.com/weftworks/weft/step"
)

// Register adds transform, respond, fail, wait, workflow.call, event.emit
// and approval to reg.
func Register(reg *step.Registry) error {
	types := []struct {
		spec step.Spec
		new  func(step.Spec) step.Handler
	}{
		{transformSpec(), func(step.Spec) step.Handler { return transform{} }},
		{respondSpec(), func(s step.Spec) step.Handler { return respond{spec: s} }},
		{failSpec(), func(s step.Spec) step.Handler { return fail{spec: s} }},
		{waitSpec(), func(s step.Spec) step.Handler { return wait{spec: s} }},
		{callSpec(), func(s step.Spec) step.Handler { return call{spec: s} }},
		{emitSpec(), func(s step.Spec) step.Handler { return emit{spec: s} }},
		{approvalSpec(), func(s step.Spec) step.Handler { return approval{spec: s} }},
	}
	for _, t := range types {
		if err := reg.Add(t.spec, t.new(t.spec)); err != nil {
			return fmt.Errorf("registering core step types: %w", err)
		}
	}
	return nil
}
