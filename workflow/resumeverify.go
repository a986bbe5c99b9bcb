package workflow

import (
	"errors"

	"go.yaml.in/yaml/v3"

	"github.com/weftworks/weft/trigger/webhook/policy"
)

// checkResumeVerify reads `with.verify` of a Resumable step (a wait with
// `resume: true`, an approval): the same schemes and syntax as
// on.webhook.verify, parsed and checked here so a mistake is reported at
// save time, and kept on the node for the HTTP side, which verifies a call
// of the step's resume URL before it counts.
func (k *compiler) checkResumeVerify(n *Node, sn *stepNodes) {
	v, ok := n.Step.With["verify"]
	if !ok || !n.Spec.Resumable {
		return
	}
	p, err := policy.Parse(map[string]any{"verify": v})
	if err == nil {
		n.ResumeVerify = p.Verify
		return
	}
	where := stepLabel(n.Step, sn)
	var errs policy.Errors
	if !errors.As(err, &errs) {
		k.errorf(sn.with, "%s: with.verify: %v", where, err)
		return
	}
	for _, e := range errs {
		at := sn.with
		if at != nil {
			at = nodeAt(at, e.Path)
		} else {
			at = sn.uses
		}
		msg := where + ": with." + e.PathString() + ": " + e.Message
		if len(e.Choices) > 0 && at.Kind == yaml.ScalarNode {
			msg += didYouMean(at.Value, e.Choices)
		}
		if e.Fix != "" {
			msg += "; " + e.Fix
		}
		k.errorf(at, "%s", msg)
	}
}
