package ai

import (
	"context"
	"fmt"
	"time"

	"github.com/weftworks/weft"
)

// Budget caps spending of a workflow or of a credential per day or month
// (UTC), in USD, tokens (input + output) or both.
type Budget struct {
	Workflow   string  `yaml:"workflow" json:"workflow,omitempty"`
	Credential string  `yaml:"credential" json:"credential,omitempty"`
	Period     string  `yaml:"period" json:"period"` // daily or monthly
	USD        float64 `yaml:"usd" json:"usd,omitempty"`
	Tokens     int64   `yaml:"tokens" json:"tokens,omitempty"`
	// OnExceed is "fail" (default: the step fails with code budget_exceeded)
	// or "wait" (the step waits, without holding a worker, until the period
	// ends).
	OnExceed string `yaml:"on_exceed" json:"on_exceed,omitempty"`
}

// Validate names the first problem.
func (b Budget) Validate() error {
	switch {
	case b.Workflow == "" && b.Credential == "":
		return fmt.Errorf("budget: set workflow or credential")
	case b.Workflow != "" && b.Credential != "":
		return fmt.Errorf("budget: set workflow or credential, not both (use two budgets)")
	case b.Period != "daily" && b.Period != "monthly":
		return fmt.Errorf("budget for %s: period %q must be daily or monthly", b.subject(), b.Period)
	case b.USD <= 0 && b.Tokens <= 0:
		return fmt.Errorf("budget for %s: set usd or tokens (or both)", b.subject())
	case b.OnExceed != "" && b.OnExceed != "fail" && b.OnExceed != "wait":
		return fmt.Errorf("budget for %s: on_exceed %q must be fail or wait", b.subject(), b.OnExceed)
	}
	return nil
}

func (b Budget) subject() string {
	if b.Workflow != "" {
		return "workflow " + b.Workflow
	}
	return "credential " + b.Credential
}

// window returns the current period [start, end) in UTC.
func (b Budget) window(now time.Time) (time.Time, time.Time) {
	now = now.UTC()
	if b.Period == "monthly" {
		start := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
		return start, start.AddDate(0, 1, 0)
	}
	start := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	return start, start.AddDate(0, 0, 1)
}

// BudgetError is a call refused because a budget is spent. Until is when
// the period ends; Wait says the budget asks to wait rather than fail.
type BudgetError struct {
	Budget Budget
	Spent  weft.UsageTotal
	Until  time.Time
	Wait   bool
}

func (e *BudgetError) Error() string {
	limit := ""
	if e.Budget.USD > 0 {
		limit = fmt.Sprintf("$%.4f of $%.2f", e.Spent.CostUSD, e.Budget.USD)
	}
	if e.Budget.Tokens > 0 {
		if limit != "" {
			limit += ", "
		}
		limit += fmt.Sprintf("%d of %d tokens", e.Spent.InputTokens+e.Spent.OutputTokens, e.Budget.Tokens)
	}
	return fmt.Sprintf("%s AI budget of %s is spent (%s); it renews at %s — raise it in the AI config file or wait",
		e.Budget.Period, e.Budget.subject(), limit, e.Until.Format(time.RFC3339))
}

// checkBudgets returns a *BudgetError for the first spent budget that
// applies to a call by workflow with credential.
func (s *Service) checkBudgets(ctx context.Context, workflow, credential string) error {
	now := s.cfg.Now()
	for _, b := range s.cfg.Budgets {
		if (b.Workflow != "" && b.Workflow != workflow) || (b.Credential != "" && b.Credential != credential) {
			continue
		}
		from, to := b.window(now)
		tot, err := s.cfg.Usage.SumUsage(ctx, weft.UsageQuery{Workflow: b.Workflow, Credential: b.Credential, From: from, To: to})
		if err != nil {
			return fmt.Errorf("reading AI usage for the budget of %s: %w", b.subject(), err)
		}
		var spent weft.UsageTotal
		if len(tot) > 0 {
			spent = tot[0]
		}
		if (b.USD > 0 && spent.CostUSD >= b.USD) || (b.Tokens > 0 && spent.InputTokens+spent.OutputTokens >= b.Tokens) {
			return &BudgetError{Budget: b, Spent: spent, Until: to, Wait: b.OnExceed == "wait"}
		}
	}
	return nil
}

// BudgetSpent returns the share spent of the budget whose subject is
// workflow (or credential) in its current period: the larger of USD spent
// over its USD limit and tokens over its token limit. ok is false when no
// such budget is configured. Alert rules of kind ai_budget read it.
func (s *Service) BudgetSpent(ctx context.Context, workflow, credential string) (share float64, ok bool, err error) {
	if s == nil {
		return 0, false, nil
	}
	now := s.cfg.Now()
	for _, b := range s.cfg.Budgets {
		if b.Workflow != workflow || b.Credential != credential {
			continue
		}
		from, to := b.window(now)
		tot, err := s.cfg.Usage.SumUsage(ctx, weft.UsageQuery{Workflow: b.Workflow, Credential: b.Credential, From: from, To: to})
		if err != nil {
			return 0, false, fmt.Errorf("reading AI usage for the budget of %s: %w", b.subject(), err)
		}
		var spent weft.UsageTotal
		if len(tot) > 0 {
			spent = tot[0]
		}
		if b.USD > 0 {
			share = max(share, spent.CostUSD/b.USD)
		}
		if b.Tokens > 0 {
			share = max(share, float64(spent.InputTokens+spent.OutputTokens)/float64(b.Tokens))
		}
		return share, true, nil
	}
	return 0, false, nil
}
