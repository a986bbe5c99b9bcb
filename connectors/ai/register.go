package ai

import (
	"context"
	"fmt"

	"github.com/weftworks/weft/step"
)

// Register adds the AI step types to reg with a Service of defaults
// (built-in prices, in-memory cache and usage, no budgets).
func Register(reg *step.Registry) error {
	s, err := NewService(Config{})
	if err != nil {
		return err
	}
	return s.Register(reg)
}

// Register adds the AI step types to reg, backed by s. ai.agent runs its
// tools as steps of the types registered in reg.
func (s *Service) Register(reg *step.Registry) error {
	chatS, agentS, classifyS, extractS, embedS := chatSpec(), agentSpec(), classifySpec(), extractSpec(), embedSpec()
	for _, r := range []struct {
		spec step.Spec
		h    step.Handler
	}{
		{chatS, chat{s: s, spec: chatS}},
		{agentS, agent{s: s, spec: agentS, reg: reg}},
		{classifyS, classify{s: s, spec: classifyS}},
		{extractS, extract{s: s, spec: extractS}},
		{embedS, embed{s: s, spec: embedS}},
	} {
		if err := reg.Add(r.spec, connectionRetry{r.h}); err != nil {
			return fmt.Errorf("registering AI step types: %w", err)
		}
	}
	return nil
}

// connectionRetry gives a retryable failure the retry defaults of the
// step's connection (its `credential`), which the engine applies when the
// step has no `retry:` of its own.
type connectionRetry struct{ step.Handler }

func (h connectionRetry) Run(ctx context.Context, req *step.Request) (step.Result, error) {
	res, err := h.Handler.Run(ctx, req)
	if err != nil {
		name, _ := req.With["credential"].(string)
		err = step.WithConnectionRetry(ctx, req, name, err)
	}
	return res, err
}
