package weft

import "time"

// UsageRecord is one model call's token use and cost, written by the AI steps
// and the AI gateway. ID is unique per call, so recording it twice is harmless.
type UsageRecord struct {
	ID          string    `json:"id"`
	At          time.Time `json:"at"`
	Workflow    string    `json:"workflow,omitempty"`     // "" for gateway calls
	ExecutionID string    `json:"execution_id,omitempty"` // "" for gateway calls
	StepID      string    `json:"step_id,omitempty"`
	Credential  string    `json:"credential,omitempty"`
	Provider    string    `json:"provider"`
	Model       string    `json:"model"`
	// Tokens as the provider reported them. CachedTokens are input tokens the
	// provider served from its prompt cache (billed at the cached price).
	InputTokens  int64   `json:"input_tokens"`
	OutputTokens int64   `json:"output_tokens"`
	CachedTokens int64   `json:"cached_tokens"`
	CostUSD      float64 `json:"cost_usd"`
}

// UsageQuery selects usage records: every non-empty field must match, and At
// lies in [From, To) where those are set. GroupBy is one of the UsageGroup
// values; "" sums everything into one total.
type UsageQuery struct {
	Workflow   string
	Credential string
	From, To   time.Time
	GroupBy    UsageGroup
}

// UsageGroup names what usage totals are grouped by.
type UsageGroup string

// Usage groupings.
const (
	UsageByWorkflow  UsageGroup = "workflow"
	UsageByExecution UsageGroup = "execution"
	UsageByStep      UsageGroup = "step" // workflow + step id
	UsageByModel     UsageGroup = "model"
)

// Valid reports whether g is "" or a known grouping.
func (g UsageGroup) Valid() bool {
	switch g {
	case "", UsageByWorkflow, UsageByExecution, UsageByStep, UsageByModel:
		return true
	}
	return false
}

// UsageTotal is the sum of usage records sharing a key (the grouping's value:
// a workflow name, an execution id, "workflow/step" or "provider/model").
type UsageTotal struct {
	Key          string  `json:"key,omitempty"`
	Calls        int64   `json:"calls"`
	InputTokens  int64   `json:"input_tokens"`
	OutputTokens int64   `json:"output_tokens"`
	CachedTokens int64   `json:"cached_tokens"`
	CostUSD      float64 `json:"cost_usd"`
}
