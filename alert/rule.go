package alert

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/weftworks/weft"
)

// Kind is what a rule watches.
type Kind string

// Rule kinds.
const (
	Failures          Kind = "failures"           // failed executions of workflow in window ≥ threshold
	ErrorRate         Kind = "error_rate"         // failed / finished executions of workflow in window ≥ threshold (0–1)
	P95Latency        Kind = "p95_latency"        // p95 duration (seconds) of workflow's executions finished in window ≥ threshold
	TriggerSilent     Kind = "trigger_silent"     // no webhook, schedule or queue execution of workflow for window
	DeliveriesFailing Kind = "deliveries_failing" // failed outbound webhook deliveries in window ≥ threshold
	CircuitOpen       Kind = "circuit_open"       // a host's circuit breaker of connection is open
	AIBudget          Kind = "ai_budget"          // share (0–1+) of the AI budget of workflow or credential spent ≥ threshold
)

// Kinds lists the rule kinds.
var Kinds = []Kind{Failures, ErrorRate, P95Latency, TriggerSilent, DeliveriesFailing, CircuitOpen, AIBudget}

// Rule is one alert rule.
type Rule struct {
	Name       string        `json:"name"`
	Kind       Kind          `json:"kind"`
	Workflow   string        `json:"workflow,omitempty"`
	Connection string        `json:"connection,omitempty"`
	Credential string        `json:"credential,omitempty"`
	Window     weft.Duration `json:"window,omitempty"`
	Threshold  float64       `json:"threshold,omitempty"`
	// MinExecutions: error_rate holds only over at least this many
	// finished executions (default 1), so one failure of one is not 100 %.
	MinExecutions int `json:"min_executions,omitempty"`
	// Repeat notifies again at this interval while the alert holds; 0
	// notifies once.
	Repeat weft.Duration `json:"repeat,omitempty"`
	// Notify names the workflow run on firing, repeat and resolve.
	Notify string `json:"notify"`
	// Source is "file" or "api" (set by Weft).
	Source string `json:"source,omitempty"`
}

var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{0,99}$`)

// WithDefaults fills the defaults of the rule's kind.
func (r Rule) WithDefaults() Rule {
	if r.Window == 0 && r.Kind != CircuitOpen && r.Kind != AIBudget {
		r.Window = weft.Duration(5 * time.Minute)
	}
	if r.Threshold == 0 {
		switch r.Kind {
		case Failures, DeliveriesFailing, CircuitOpen, AIBudget:
			r.Threshold = 1
		case ErrorRate:
			r.Threshold = 0.5
		}
	}
	if r.MinExecutions <= 0 {
		r.MinExecutions = 1
	}
	return r
}

// Validate names the first problem of a rule (after WithDefaults).
func (r Rule) Validate() error {
	where := fmt.Sprintf("alert %q", r.Name)
	switch {
	case !nameRE.MatchString(r.Name):
		return fmt.Errorf("alert name %q: use 1–100 lower-case letters, digits, '-', '_' or '.'", r.Name)
	case !validKind(r.Kind):
		return fmt.Errorf("%s: kind %q is not one of %s", where, r.Kind, kindList())
	case r.Notify == "":
		return fmt.Errorf("%s: notify must name the workflow to run when it fires and resolves", where)
	case r.Window < 0 || r.Repeat < 0:
		return fmt.Errorf("%s: window and repeat must not be negative", where)
	case r.Repeat > 0 && r.Repeat.D() < time.Second:
		return fmt.Errorf("%s: repeat %s is below 1s", where, r.Repeat.D())
	case r.Threshold < 0:
		return fmt.Errorf("%s: threshold must not be negative", where)
	}
	switch r.Kind {
	case Failures, ErrorRate, P95Latency, TriggerSilent:
		if r.Workflow == "" {
			return fmt.Errorf("%s: kind %s needs workflow", where, r.Kind)
		}
	case CircuitOpen:
		if r.Connection == "" {
			return fmt.Errorf("%s: kind circuit_open needs connection (the connection whose breaker to watch)", where)
		}
	case AIBudget:
		if (r.Workflow == "") == (r.Credential == "") {
			return fmt.Errorf("%s: kind ai_budget needs workflow or credential (the budget's subject in the AI config), not both", where)
		}
	}
	if r.Kind == ErrorRate && r.Threshold > 1 {
		return fmt.Errorf("%s: error_rate threshold %g is a share between 0 and 1 (0.2 = 20 %%)", where, r.Threshold)
	}
	if r.Kind == P95Latency && r.Threshold <= 0 {
		return fmt.Errorf("%s: p95_latency needs threshold in seconds (e.g. 2.5)", where)
	}
	return nil
}

func validKind(k Kind) bool {
	for _, x := range Kinds {
		if x == k {
			return true
		}
	}
	return false
}

func kindList() string {
	s := make([]string, len(Kinds))
	for i, k := range Kinds {
		s[i] = string(k)
	}
	return strings.Join(s, ", ")
}

// MaxRules bounds the rules of one file and those made through the API.
const MaxRules = 500

// ParseFile reads a rules file: `alerts:` followed by a list of rules.
// Unknown keys, duplicate names and invalid rules are errors that name the
// rule.
func ParseFile(data []byte) ([]Rule, error) {
	var raw any
	if err := yaml.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("reading alert rules: %w", err)
	}
	if raw == nil {
		return nil, nil
	}
	// Through JSON, so durations read as everywhere else ("5m", "1d").
	j, err := json.Marshal(raw)
	if err != nil {
		return nil, fmt.Errorf("reading alert rules: %w", err)
	}
	var doc struct {
		Alerts []Rule `json:"alerts"`
	}
	dec := json.NewDecoder(bytes.NewReader(j))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("reading alert rules (a list under alerts:, keys %s): %w", ruleKeys, err)
	}
	if len(doc.Alerts) > MaxRules {
		return nil, fmt.Errorf("reading alert rules: %d rules, at most %d", len(doc.Alerts), MaxRules)
	}
	seen := map[string]bool{}
	for i, r := range doc.Alerts {
		r = r.WithDefaults()
		r.Source = "file"
		if err := r.Validate(); err != nil {
			return nil, fmt.Errorf("alert rule %d: %w", i+1, err)
		}
		if seen[r.Name] {
			return nil, fmt.Errorf("alert rule %d: the name %q is used twice", i+1, r.Name)
		}
		seen[r.Name] = true
		doc.Alerts[i] = r
	}
	return doc.Alerts, nil
}

const ruleKeys = "name, kind, workflow, connection, credential, window, threshold, min_executions, repeat, notify"
