// Package workflow reads workflow documents (YAML or JSON), validates them
// against the step registry and compiles every expression once, so that the
// engine only evaluates. Every problem is reported as file:line:col: message.
package workflow

import (
	"github.com/santhosh-tekuri/jsonschema/v6"

	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/expr"
	"github.com/weftworks/weft/step"
	"github.com/weftworks/weft/trigger/webhook/policy"
	"github.com/weftworks/weft/trigger/webhook/verifyspec"
)

// Diagnostic is one problem in a workflow file.
type Diagnostic struct {
	File    string `json:"file"`
	Line    int    `json:"line"`
	Column  int    `json:"column"`
	Message string `json:"message"`
}

func (d Diagnostic) String() string {
	return fmt.Sprintf("%s:%d:%d: %s", d.File, d.Line, d.Column, d.Message)
}

// Diagnostics is every problem found in a document; it is the error Parse
// returns for an invalid document.
type Diagnostics []Diagnostic

func (ds Diagnostics) Error() string {
	lines := make([]string, len(ds))
	for i, d := range ds {
		lines[i] = d.String()
	}
	return strings.Join(lines, "\n")
}

// Unwrap lets errors.Is(err, weft.ErrInvalid) hold.
func (ds Diagnostics) Unwrap() error { return weft.ErrInvalid }

// Compiled is a validated workflow ready to run.
type Compiled struct {
	Workflow *weft.Workflow
	// Source is the document as given.
	Source []byte
	// Nodes are the steps in file order.
	Nodes []*Node
	ByID  map[string]*Node
	// inputs is the compiled `inputs:` schema (nil: any input).
	inputs *jsonschema.Schema
	// Webhook is the parsed security and admission policy of on.webhook
	// (verify, dedupe, allow_ips, rate_limit); nil without on.webhook.
	Webhook *policy.Policy
	// OnErrorPos is where on_error is written (zero without on_error), for
	// tools that check the named workflow exists (weft validate).
	OnErrorPos weft.Position
	// Poll holds the compiled on.poll entries, in file order.
	Poll []PollNode
	// IMAP holds the on.imap entries, in file order.
	IMAP []IMAPNode
}

// Node is one compiled step.
type Node struct {
	Step  *weft.Step
	Index int
	Spec  step.Spec
	// Needs are the resolved dependencies: the `needs:` list, or the step
	// before it when `needs:` is absent (none for the first step).
	Needs []*Node
	// With is the compiled `with:` block (never nil; empty map if absent),
	// without the spec's Deferred fields.
	With *expr.Value
	// Deferred holds the compiled Deferred fields the step sets.
	Deferred map[string]*expr.Value
	// If and ForEach are nil when the step has none.
	If      *expr.Template
	ForEach *expr.Template
	// CacheKey is the compiled `cache.key`; nil when the step has no cache
	// or uses the default key.
	CacheKey *expr.Template
	// ResumeVerify is `with.verify` of a Resumable step, parsed: a call of
	// its resume URL must pass one of them (checked by the HTTP side, the
	// engine never verifies). Empty: the URL's token is enough.
	ResumeVerify []verifyspec.Config
}

// MaxSteps bounds the steps of one workflow. Validation is linear in the
// number of steps and 20,000 steps parse in about two seconds; the limit
// keeps a single document from holding the process's memory (a compiled
// step holds its expression programs, about 5 KB).
const MaxSteps = 50_000

// Parse parses, validates and compiles a workflow document. filename is used
// in diagnostics only. On failure the error is Diagnostics, holding every
// problem found, sorted by position.
func Parse(filename string, src []byte, reg *step.Registry) (*Compiled, error) {
	if reg == nil {
		reg = step.NewRegistry()
	}
	d := &decoder{file: filename}
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		line, msg := yamlError(err)
		d.errorAt(line, 1, "%s", msg)
		return nil, d.diags
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		d.errorAt(1, 1, "empty document: a workflow needs at least name and steps")
		return nil, d.diags
	}
	w, nodes := d.decodeWorkflow(doc.Content[0])
	k := &compiler{decoder: d, reg: reg, w: w, nodes: nodes, c: &Compiled{
		Workflow: w,
		Source:   src,
		ByID:     map[string]*Node{},
	}}
	if nodes.stepNodes != nil {
		k.compileSteps()
	}
	k.compilePolls()
	k.compileIMAPs()
	k.compileInputs()
	k.c.Webhook = d.webhook
	if nodes.onError != nil {
		k.c.OnErrorPos = weft.Position{Line: nodes.onError.Line, Column: nodes.onError.Column}
	}
	if len(d.diags) > 0 {
		sort.SliceStable(d.diags, func(i, j int) bool {
			a, b := d.diags[i], d.diags[j]
			if a.Line != b.Line {
				return a.Line < b.Line
			}
			return a.Column < b.Column
		})
		return nil, d.diags
	}
	return k.c, nil
}

var yamlLine = regexp.MustCompile(`^yaml: (?:line (\d+): )?`)

// yamlError extracts the line from a YAML syntax error ("yaml: line 3: …").
func yamlError(err error) (int, string) {
	msg := err.Error()
	line := 1
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		if m[1] != "" {
			line, _ = strconv.Atoi(m[1])
		}
		msg = msg[len(m[0]):]
	}
	return line, "invalid YAML: " + msg
}
