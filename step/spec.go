package step

import (
	"fmt"
	"sort"
)

// FieldType is the type of a step input field.
type FieldType string

// Field types. Duration is a string like "30s"; Any accepts every JSON value.
const (
	String   FieldType = "string"
	Number   FieldType = "number"
	Integer  FieldType = "integer"
	Boolean  FieldType = "boolean"
	Object   FieldType = "object"
	Array    FieldType = "array"
	Duration FieldType = "duration"
	Any      FieldType = "any"
)

// Categories group step types in the catalog and the UI palette.
const (
	CategoryCore = "core"
	CategoryHTTP = "http"
	CategoryAI   = "ai"
	CategoryData = "data"
	CategoryApps = "apps"
)

// Spec describes a step type. It is the single declaration that validation,
// the JSON Schema, the catalog endpoint and docs/steps/*.md are made from.
type Spec struct {
	Type        string `json:"type"` // "http.request"
	Title       string `json:"title"`
	Description string `json:"description"`
	Category    string `json:"category"`
	// App names the app connector an `apps` step belongs to (its icon,
	// title and connections: GET /api/v1/apps); "" for other steps.
	App    string  `json:"app,omitempty"`
	Fields []Field `json:"fields"`
	// Output documents the shape of the step's output for users.
	Output string `json:"output,omitempty"`
	// Example is a YAML snippet of the step as it appears in a workflow.
	Example string `json:"example,omitempty"`
	// Pure marks a deterministic step without side effects (transform,
	// respond, fail). The engine may run it again after a crash, so it may
	// record a pure step's result together with the next durable write
	// instead of paying a commit of its own.
	Pure bool `json:"pure,omitempty"`
	// RunOnWake marks a step that, once suspended, is run again whenever its
	// execution is woken (workflow.call: the child's end wakes the parent),
	// not only at Suspend.Until, which is then a fallback re-check. The
	// engine also parks an execution waiting on such a step at once, so it
	// holds no worker however short Until is. Its handler must be safe to run
	// early.
	RunOnWake bool `json:"run_on_wake,omitempty"`
	// Resumable marks a step that waits for a POST to its resume URL (wait
	// with `resume: true`, approval): expressions get the URL as
	// execution.resume_url (the first such step) and
	// execution.resume_urls.<step id>.
	Resumable bool `json:"resumable,omitempty"`
	// AllowExtra lets `with:` hold keys that are not declared fields
	// (transform's output is whatever `with` says).
	AllowExtra bool `json:"allow_extra,omitempty"`
	// Auth lists the credential kinds the step accepts, if any.
	Auth []string `json:"auth,omitempty"`
	// OneOf names fields of which exactly one must be given: they select
	// the step's mode (wait's for, until, event, resume). A boolean field
	// counts only when true. Validation refuses a step that gives none, or
	// more than one, because it would fail every time it runs.
	OneOf []string `json:"one_of,omitempty"`
}

// Field is one input of a step type.
type Field struct {
	Name        string    `json:"name"`
	Type        FieldType `json:"type"`
	Description string    `json:"description"`
	Required    bool      `json:"required,omitempty"`
	Default     any       `json:"default,omitempty"`
	Enum        []string  `json:"enum,omitempty"`
	// Secret marks a value that must come from a credential, never be logged
	// and never be echoed.
	Secret bool `json:"secret,omitempty"`
	// Fields are the keys of an Object field (nil: free-form object).
	Fields []Field `json:"fields,omitempty"`
	// Items describes the elements of an Array field (nil: any).
	Items   *Field `json:"items,omitempty"`
	Example any    `json:"example,omitempty"`
	// Literal, when set, forbids `{{ }}` expressions in the value (and, for
	// an object or a list, the whole value being one): validation refuses
	// them at save time with this text, which says how to pass values
	// instead (SQL takes parameters, never text built from expressions).
	Literal string `json:"literal,omitempty"`
	// Deferred marks a field the engine does not evaluate before the step
	// runs: the step evaluates it later with Request.Eval, against names
	// that only exist then (`event` for a wait's match, `response` for
	// http.request's until). Request.With holds its source text.
	Deferred bool `json:"deferred,omitempty"`
}

// Lookup returns the declared field with the given name.
func (s *Spec) Lookup(name string) (Field, bool) {
	for _, f := range s.Fields {
		if f.Name == name {
			return f, true
		}
	}
	return Field{}, false
}

// Validate checks the spec itself (used at registration).
func (s *Spec) Validate() error {
	if s.Type == "" {
		return fmt.Errorf("step spec: type is empty")
	}
	seen := map[string]bool{}
	for _, f := range s.Fields {
		if f.Name == "" {
			return fmt.Errorf("step spec %s: a field has no name", s.Type)
		}
		if seen[f.Name] {
			return fmt.Errorf("step spec %s: field %q declared twice", s.Type, f.Name)
		}
		seen[f.Name] = true
	}
	for _, name := range s.OneOf {
		if !seen[name] {
			return fmt.Errorf("step spec %s: one_of names %q, which is not a field", s.Type, name)
		}
	}
	return nil
}

// SortedSpecs returns specs ordered by category, then type.
func SortedSpecs(specs []Spec) []Spec {
	out := append([]Spec(nil), specs...)
	sort.Slice(out, func(i, j int) bool {
		if out[i].Category != out[j].Category {
			return out[i].Category < out[j].Category
		}
		return out[i].Type < out[j].Type
	})
	return out
}
