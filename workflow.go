package weft

import (
	"regexp"
	"time"
)

// NamePattern is the shape of workflow names and step ids.
var NamePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

// StepIDPattern is the shape of step ids: they appear in expressions as
// steps.<id>, so they may also hold underscores.
var StepIDPattern = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_-]{0,62}$`)

// Position is a place in a workflow source file, 1-based.
type Position struct {
	Line   int `json:"line"`
	Column int `json:"column"`
}

// Workflow is a parsed workflow document. The YAML file is the source of
// truth; this is its typed form. Positions point back into the source for
// diagnostics.
type Workflow struct {
	Name        string         `json:"name"`
	Description string         `json:"description,omitempty"`
	On          Triggers       `json:"on"`
	Steps       []Step         `json:"steps"`
	OnError     string         `json:"on_error,omitempty"`
	Timeout     Duration       `json:"timeout,omitempty"`
	Concurrency int            `json:"concurrency,omitempty"`
	Enabled     *bool          `json:"enabled,omitempty"`
	UI          map[string]any `json:"ui,omitempty"` // editor layout; the engine ignores it
	// Inputs is the JSON Schema of the input a manual, API or MCP start
	// must give (nil: any input).
	Inputs map[string]any `json:"inputs,omitempty"`
	// MCP exposes the workflow as a tool of Weft's MCP server.
	MCP *MCPTool `json:"mcp,omitempty"`
}

// MCPTool is the `mcp:` block: whether the workflow is a tool of Weft's MCP
// server (/mcp) and what the tool tells a model. The tool's name is Name,
// else the workflow's name, and its input schema is `inputs`.
type MCPTool struct {
	Tool        bool   `json:"tool"`
	Name        string `json:"name,omitempty"`
	Description string `json:"description,omitempty"`
}

// ToolName is the name the workflow w has as an MCP tool.
func (w *Workflow) ToolName() string {
	if w.MCP != nil && w.MCP.Name != "" {
		return w.MCP.Name
	}
	return w.Name
}

// IsEnabled reports whether triggers should start the workflow (default true).
func (w *Workflow) IsEnabled() bool { return w.Enabled == nil || *w.Enabled }

// StepByID returns the step with the given id.
func (w *Workflow) StepByID(id string) (*Step, bool) {
	for i := range w.Steps {
		if w.Steps[i].ID == id {
			return &w.Steps[i], true
		}
	}
	return nil, false
}

// Triggers is the `on:` block.
type Triggers struct {
	Webhook  *WebhookTrigger   `json:"webhook,omitempty"`
	Schedule []ScheduleTrigger `json:"schedule,omitempty"`
	// Queue lists message-queue bindings (one execution per message).
	Queue []QueueTrigger `json:"queue,omitempty"`
	// Poll lists polling triggers (one execution per new item).
	Poll []PollTrigger `json:"poll,omitempty"`
	// IMAP holds the mailbox triggers (`on.imap`), in file order.
	IMAP []IMAPTrigger `json:"imap,omitempty"`
}

// Respond modes of a webhook trigger.
const (
	RespondAsync = "async"
	RespondSync  = "sync"
)

// WebhookTrigger is `on.webhook`.
type WebhookTrigger struct {
	Path    string   `json:"path"`
	Method  string   `json:"method,omitempty"`  // default POST; "ANY" accepts every method
	Respond string   `json:"respond,omitempty"` // async (default) | sync
	Timeout Duration `json:"timeout,omitempty"` // sync wait before answering 202; default 30s
	MaxBody int64    `json:"max_body,omitempty"`
	// Extra holds keys this package does not model yet (verify, dedupe, rate_limit…) so that
	// trigger plug-ins can read them without changing the domain type.
	Extra map[string]any `json:"extra,omitempty"`
}

// ScheduleTrigger is one entry of `on.schedule`.
type ScheduleTrigger struct {
	Cron     string         `json:"cron"`
	Timezone string         `json:"timezone,omitempty"`
	Input    map[string]any `json:"input,omitempty"`
}

// Step is one entry of `steps:`.
type Step struct {
	ID              string         `json:"id"`
	Uses            string         `json:"uses"`
	Name            string         `json:"name,omitempty"`
	With            map[string]any `json:"with,omitempty"`
	If              string         `json:"if,omitempty"`
	Needs           []string       `json:"needs,omitempty"`
	ForEach         string         `json:"for_each,omitempty"`
	Concurrency     int            `json:"concurrency,omitempty"` // for_each bound, default 4
	Retry           *RetryPolicy   `json:"retry,omitempty"`
	Timeout         Duration       `json:"timeout,omitempty"`
	ContinueOnError bool           `json:"continue_on_error,omitempty"`
	Cache           *CachePolicy   `json:"cache,omitempty"`
	Pos             Position       `json:"-"`
}

// CachePolicy is a step's `cache:` block: a successful result is reused for
// TTL by every later run whose key is the same. Key is a `{{ … }}` template;
// empty means a hash of the step type and its resolved inputs.
type CachePolicy struct {
	TTL Duration `json:"ttl"`
	Key string   `json:"key,omitempty"`
}

// Backoff kinds.
const (
	BackoffExponential = "exponential"
	BackoffFixed       = "fixed"
)

// RetryPolicy is a step's `retry:` block.
type RetryPolicy struct {
	MaxAttempts int      `json:"max_attempts"`
	Backoff     string   `json:"backoff,omitempty"`
	Initial     Duration `json:"initial,omitempty"`
	Max         Duration `json:"max,omitempty"`
}

// DefaultRetry is used for retryable errors (network errors, 408, 429, 5xx)
// when a step has no `retry:` block.
func DefaultRetry() RetryPolicy {
	return RetryPolicy{MaxAttempts: 3, Backoff: BackoffExponential, Initial: Duration(time.Second), Max: Duration(30 * time.Second)}
}

// WorkflowRecord is a stored workflow version. Source is the document as the
// user wrote it (YAML or JSON), kept byte-exact so the file round-trips.
type WorkflowRecord struct {
	Name        string    `json:"name"`
	Version     int64     `json:"version"`
	Source      string    `json:"source"`
	Description string    `json:"description,omitempty"`
	WebhookPath string    `json:"webhook_path,omitempty"`
	Enabled     bool      `json:"enabled"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// Schedule returns the workflow's schedules (nil-safe helper).
func (w *Workflow) Schedule() []ScheduleTrigger { return w.On.Schedule }
