package workflow

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/expr"
	"github.com/weftworks/weft/trigger/webhook/policy"
)

// The keys each level of a workflow file allows. They are the single list
// the decoder, the "did you mean" hints and the JSON Schema use.
var (
	workflowKeys = []string{"name", "description", "on", "steps", "on_error", "timeout", "concurrency", "enabled", "ui", "inputs", "mcp"}
	triggersKeys = []string{"webhook", "schedule", "queue", "poll", "imap"}
	webhookKeys  = []string{"path", "method", "respond", "timeout", "max_body"}
	// webhookExtraKeys (verify, dedupe, allow_ips, rate_limit) are kept in
	// WebhookTrigger.Extra and checked by the webhook policy package.
	webhookExtraKeys = policy.Keys
	scheduleKeys     = []string{"cron", "timezone", "input"}
	stepKeys         = []string{"id", "uses", "name", "with", "if", "needs", "for_each", "concurrency", "retry", "timeout", "continue_on_error", "cache"}
	retryKeys        = []string{"max_attempts", "backoff", "initial", "max"}
	cacheKeys        = []string{"ttl", "key"}
	webhookMethods   = []string{"GET", "POST", "PUT", "PATCH", "DELETE", "ANY"}
)

// WebhookPathPattern is the shape of on.webhook.path (a leading slash is
// allowed and dropped).
var WebhookPathPattern = regexp.MustCompile(`^[a-zA-Z0-9_-]+(/[a-zA-Z0-9_-]+)*$`)

// decoder turns YAML nodes into weft types, collecting every problem.
type decoder struct {
	file  string
	diags Diagnostics
	// webhook is the parsed on.webhook policy (nil without on.webhook).
	webhook *policy.Policy
	// polls keeps the nodes of each on.poll entry, in order.
	polls []pollNodes
}

func (d *decoder) errorf(n *yaml.Node, format string, args ...any) {
	d.errorAt(n.Line, n.Column, format, args...)
}

func (d *decoder) errorAt(line, col int, format string, args ...any) {
	d.diags = append(d.diags, Diagnostic{File: d.file, Line: line, Column: col, Message: fmt.Sprintf(format, args...)})
}

// field is one key/value pair of a mapping.
type field struct {
	key, val *yaml.Node
}

func resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// mapping returns the pairs of a mapping node, reporting duplicate keys and
// keys not in allowed (where says which block, for the message). A nil
// allowed accepts every key.
func (d *decoder) mapping(n *yaml.Node, where string, allowed ...[]string) ([]field, bool) {
	n = resolve(n)
	if n.Kind != yaml.MappingNode {
		d.errorf(n, "%s must be a mapping (key: value), not %s", where, describe(n))
		return nil, false
	}
	var all []string
	for _, a := range allowed {
		all = append(all, a...)
	}
	seen := map[string]*yaml.Node{}
	var out []field
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], resolve(n.Content[i+1])
		if prev, dup := seen[k.Value]; dup {
			d.errorf(k, "%q is set twice in %s (first at line %d)", k.Value, where, prev.Line)
			continue
		}
		seen[k.Value] = k
		if allowed != nil && !contains(all, k.Value) {
			d.errorf(k, "unknown field %q in %s%s; allowed: %s", k.Value, where, didYouMean(k.Value, all), strings.Join(all, ", "))
			continue
		}
		out = append(out, field{key: k, val: v})
	}
	return out, true
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	switch n.Tag {
	case "!!null":
		return "empty"
	case "!!int", "!!float":
		return "a number (" + n.Value + ")"
	case "!!bool":
		return "a boolean (" + n.Value + ")"
	case "!!str":
		return fmt.Sprintf("a string (%q)", n.Value)
	}
	return n.Tag
}

func (d *decoder) str(n *yaml.Node, what string) (string, bool) {
	if n.Kind != yaml.ScalarNode || n.Tag != "!!str" {
		d.errorf(n, "%s must be a string, not %s", what, describe(n))
		return "", false
	}
	return n.Value, true
}

func (d *decoder) integer(n *yaml.Node, what string, min int) (int, bool) {
	if n.Kind != yaml.ScalarNode || n.Tag != "!!int" {
		d.errorf(n, "%s must be a whole number, not %s", what, describe(n))
		return 0, false
	}
	v, err := strconv.Atoi(n.Value)
	if err != nil || v < min {
		d.errorf(n, "%s must be a whole number of at least %d, not %s", what, min, n.Value)
		return 0, false
	}
	return v, true
}

func (d *decoder) boolean(n *yaml.Node, what string) (bool, bool) {
	if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
		d.errorf(n, "%s must be true or false, not %s", what, describe(n))
		return false, false
	}
	var b bool
	_ = n.Decode(&b)
	return b, true
}

func (d *decoder) duration(n *yaml.Node, what string) (weft.Duration, bool) {
	s, ok := d.str(n, what)
	if !ok {
		return 0, false
	}
	v, err := weft.ParseDuration(s)
	if err != nil {
		d.errorf(n, "%s: %v", what, err)
		return 0, false
	}
	return v, true
}

func (d *decoder) strings(n *yaml.Node, what string) ([]string, []*yaml.Node, bool) {
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, "%s must be a list of strings, not %s", what, describe(n))
		return nil, nil, false
	}
	out := []string{}
	var nodes []*yaml.Node
	for _, e := range n.Content {
		e = resolve(e)
		if s, ok := d.str(e, what+" entries"); ok {
			out = append(out, s)
			nodes = append(nodes, e)
		}
	}
	return out, nodes, true
}

// generic decodes any node into plain values (map[string]any, []any, …).
func (d *decoder) generic(n *yaml.Node, what string) (any, bool) {
	var v any
	if err := n.Decode(&v); err != nil {
		d.errorf(n, "%s: %v", what, err)
		return nil, false
	}
	return v, true
}

// decodeWorkflow fills w from the document's root mapping and returns the
// nodes later checks need.
func (d *decoder) decodeWorkflow(root *yaml.Node) (*weft.Workflow, *docNodes) {
	w := &weft.Workflow{}
	nodes := &docNodes{root: root}
	fields, ok := d.mapping(root, "the workflow", workflowKeys)
	if !ok {
		return w, nodes
	}
	has := map[string]bool{}
	for _, f := range fields {
		has[f.key.Value] = true
		v := f.val
		switch f.key.Value {
		case "name":
			if s, ok := d.str(v, "name"); ok {
				w.Name = s
				if !weft.NamePattern.MatchString(s) {
					d.errorf(v, "name %q must be lower-case letters, digits and dashes (like ticket-triage), at most 63 characters", s)
				}
			}
		case "description":
			w.Description, _ = d.str(v, "description")
		case "on":
			w.On = d.decodeTriggers(v)
		case "steps":
			nodes.steps = v
			w.Steps, nodes.stepNodes = d.decodeSteps(v)
		case "on_error":
			nodes.onError = v
			if s, ok := d.str(v, "on_error"); ok {
				w.OnError = s
				if !weft.NamePattern.MatchString(s) {
					d.errorf(v, "on_error must name a workflow (lower-case letters, digits and dashes), not %q", s)
				}
			}
		case "timeout":
			w.Timeout, _ = d.duration(v, "timeout")
		case "concurrency":
			w.Concurrency, _ = d.integer(v, "concurrency", 1)
		case "enabled":
			if b, ok := d.boolean(v, "enabled"); ok {
				w.Enabled = &b
			}
		case "inputs":
			nodes.inputs = v
			if g, ok := d.generic(v, "inputs"); ok {
				if m, isMap := g.(map[string]any); isMap {
					w.Inputs = m
				} else {
					d.errorf(v, "inputs must be a JSON Schema object (like {type: object, required: [email], properties: {email: {type: string}}}), not %s", describe(v))
				}
			}
		case "mcp":
			w.MCP = d.decodeMCP(v)
		case "ui":
			if g, ok := d.generic(v, "ui"); ok {
				if m, isMap := g.(map[string]any); isMap {
					w.UI = m
				} else if g != nil {
					d.errorf(v, "ui must be a mapping, not %s", describe(v))
				}
			}
		}
	}
	for _, req := range []string{"name", "steps"} {
		if !has[req] {
			d.errorf(root, "missing required field %q", req)
		}
	}
	return w, nodes
}

// docNodes keeps the nodes that checks after decoding point at.
type docNodes struct {
	root      *yaml.Node
	steps     *yaml.Node
	stepNodes []*stepNodes
	onError   *yaml.Node
	inputs    *yaml.Node
}

// stepNodes keeps the nodes of one step's keys.
type stepNodes struct {
	node                         *yaml.Node
	id, uses, with, ifN, forEach *yaml.Node
	needs                        *yaml.Node
	needItems                    []*yaml.Node
	concurrency                  *yaml.Node
	cache                        *yaml.Node
}

func (d *decoder) decodeTriggers(n *yaml.Node) weft.Triggers {
	var t weft.Triggers
	fields, ok := d.mapping(n, "on", triggersKeys)
	if !ok {
		return t
	}
	for _, f := range fields {
		switch f.key.Value {
		case "webhook":
			t.Webhook = d.decodeWebhook(f.val)
		case "schedule":
			t.Schedule = d.decodeSchedules(f.val)
		case "queue":
			t.Queue = d.decodeQueues(f.val)
		case "poll":
			t.Poll = d.decodePolls(f.val)
		case "imap":
			t.IMAP = d.decodeIMAPs(f.val)
		}
	}
	return t
}

func (d *decoder) decodeWebhook(n *yaml.Node) *weft.WebhookTrigger {
	wh := &weft.WebhookTrigger{}
	fields, ok := d.mapping(n, "on.webhook", webhookKeys, webhookExtraKeys)
	if !ok {
		return wh
	}
	hasPath := false
	for _, f := range fields {
		v := f.val
		switch key := f.key.Value; key {
		case "path":
			hasPath = true
			if s, ok := d.str(v, "on.webhook.path"); ok {
				s = strings.TrimPrefix(s, "/")
				if !WebhookPathPattern.MatchString(s) {
					d.errorf(v, "on.webhook.path %q may hold only letters, digits, '_', '-' and '/' between segments (like tickets or github/push)", v.Value)
				}
				wh.Path = s
			}
		case "method":
			if s, ok := d.str(v, "on.webhook.method"); ok {
				s = strings.ToUpper(s)
				if !contains(webhookMethods, s) {
					d.errorf(v, "on.webhook.method %q is not one of %s", v.Value, strings.Join(webhookMethods, ", "))
				}
				wh.Method = s
			}
		case "respond":
			if s, ok := d.str(v, "on.webhook.respond"); ok {
				if s != weft.RespondAsync && s != weft.RespondSync {
					d.errorf(v, "on.webhook.respond must be async (answer 202 at once) or sync (wait for a respond step), not %q", s)
				}
				wh.Respond = s
			}
		case "timeout":
			wh.Timeout, _ = d.duration(v, "on.webhook.timeout")
		case "max_body":
			if i, ok := d.integer(v, "on.webhook.max_body (bytes)", 1); ok {
				wh.MaxBody = int64(i)
			}
		default: // one of webhookExtraKeys
			if g, ok := d.generic(v, "on.webhook."+key); ok {
				if wh.Extra == nil {
					wh.Extra = map[string]any{}
				}
				wh.Extra[key] = g
			}
		}
	}
	if !hasPath {
		d.errorf(n, "on.webhook needs a path (the URL is /hooks/<path>)")
	}
	d.decodePolicy(n, wh.Extra)
	return wh
}

// decodePolicy parses the webhook policy keys and reports each problem at
// the YAML node of the key it names.
func (d *decoder) decodePolicy(n *yaml.Node, extra map[string]any) {
	p, err := policy.Parse(extra)
	if err == nil {
		d.webhook = p
		return
	}
	var errs policy.Errors
	if !errors.As(err, &errs) {
		d.errorf(n, "on.webhook: %v", err)
		return
	}
	for _, e := range errs {
		at := policyNode(n, e.Path, e.Key)
		msg := "on.webhook." + e.PathString() + ": " + e.Message
		if len(e.Choices) > 0 && at.Kind == yaml.ScalarNode {
			msg += didYouMean(at.Value, e.Choices)
		}
		if e.Fix != "" {
			msg += "; " + e.Fix
		}
		off := -1
		var ee *expr.Error
		if errors.As(e.Err, &ee) {
			off = ee.Offset
		}
		line, col := position(at, off)
		d.errorAt(line, col, "%s", msg)
	}
}

// policyNode finds the node a policy problem names under the on.webhook
// mapping n: the value at path, or its key when key is set. A path that
// does not exist (a missing key) ends at the deepest node on the way.
func policyNode(n *yaml.Node, path []any, key bool) *yaml.Node {
	if !key || len(path) == 0 {
		return nodeAt(n, path)
	}
	parent := nodeAt(n, path[:len(path)-1])
	if name, ok := path[len(path)-1].(string); ok && parent.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(parent.Content); i += 2 {
			if parent.Content[i].Value == name {
				return parent.Content[i]
			}
		}
	}
	return parent
}

func (d *decoder) decodeSchedules(n *yaml.Node) []weft.ScheduleTrigger {
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, "on.schedule must be a list of {cron, timezone}, not %s", describe(n))
		return nil
	}
	var out []weft.ScheduleTrigger
	for i, e := range n.Content {
		where := fmt.Sprintf("on.schedule[%d]", i)
		fields, ok := d.mapping(e, where, scheduleKeys)
		if !ok {
			continue
		}
		var s weft.ScheduleTrigger
		hasCron := false
		for _, f := range fields {
			v := f.val
			switch f.key.Value {
			case "cron":
				hasCron = true
				if c, ok := d.str(v, where+".cron"); ok {
					s.Cron = c
					if err := checkCron(c); err != nil {
						d.errorf(v, "%s.cron %q: %v", where, c, err)
					}
				}
			case "timezone":
				if tz, ok := d.str(v, where+".timezone"); ok {
					s.Timezone = tz
					if err := checkTimezone(tz); err != nil {
						d.errorf(v, "%s.timezone: %v", where, err)
					}
				}
			case "input":
				if g, ok := d.generic(v, where+".input"); ok {
					if m, isMap := g.(map[string]any); isMap {
						s.Input = m
					} else if g != nil {
						d.errorf(v, "%s.input must be a mapping, not %s", where, describe(v))
					}
				}
			}
		}
		if !hasCron {
			d.errorf(e, "%s needs a cron expression (like \"*/15 * * * *\" or @hourly)", where)
		}
		out = append(out, s)
	}
	return out
}

func (d *decoder) decodeSteps(n *yaml.Node) ([]weft.Step, []*stepNodes) {
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, "steps must be a list of steps, not %s", describe(n))
		return nil, nil
	}
	if len(n.Content) == 0 {
		d.errorf(n, "steps is empty: a workflow needs at least one step")
	}
	if len(n.Content) > MaxSteps {
		d.errorf(n, "steps has %d steps, more than the limit of %d per workflow: split the work into workflows that call each other (workflow.call) or loop with for_each", len(n.Content), MaxSteps)
		return nil, nil
	}
	steps := make([]weft.Step, 0, len(n.Content))
	var nodes []*stepNodes
	for i, e := range n.Content {
		e = resolve(e)
		s, sn := d.decodeStep(e, i)
		steps = append(steps, s)
		nodes = append(nodes, sn)
	}
	return steps, nodes
}

func (d *decoder) decodeStep(n *yaml.Node, i int) (weft.Step, *stepNodes) {
	s := weft.Step{Pos: weft.Position{Line: n.Line, Column: n.Column}}
	sn := &stepNodes{node: n}
	// Find the id first so every message about this step can name it.
	name := fmt.Sprintf("the step at line %d", n.Line)
	if n.Kind == yaml.MappingNode {
		for j := 0; j+1 < len(n.Content); j += 2 {
			if n.Content[j].Value == "id" && n.Content[j+1].Kind == yaml.ScalarNode && n.Content[j+1].Value != "" {
				name = fmt.Sprintf("step %q", n.Content[j+1].Value)
			}
		}
	}
	fields, ok := d.mapping(n, name, stepKeys)
	if !ok {
		return s, sn
	}
	for _, f := range fields {
		v := f.val
		switch f.key.Value {
		case "id":
			sn.id = v
			if id, ok := d.str(v, name+": id"); ok {
				s.ID = id
				if !weft.StepIDPattern.MatchString(id) {
					d.errorf(v, "step id %q must start with a letter or '_' and hold only letters, digits, '_' and '-' (at most 63)", id)
				}
			}
		case "uses":
			sn.uses = v
			s.Uses, _ = d.str(v, name+": uses")
		case "name":
			s.Name, _ = d.str(v, name+": name")
		case "with":
			sn.with = v
			if g, ok := d.generic(v, name+": with"); ok {
				switch m := g.(type) {
				case map[string]any:
					s.With = m
				case nil:
				default:
					d.errorf(v, "%s: with must be a mapping of inputs, not %s", name, describe(v))
					sn.with = nil
				}
			}
		case "if":
			sn.ifN = v
			s.If, _ = d.exprString(v, name+": if")
		case "for_each":
			sn.forEach = v
			s.ForEach, _ = d.exprString(v, name+": for_each")
		case "needs":
			sn.needs = v
			if v.Kind == yaml.ScalarNode && v.Tag == "!!str" {
				// needs: a — a single id is a list of one.
				s.Needs, sn.needItems = []string{v.Value}, []*yaml.Node{v}
			} else {
				s.Needs, sn.needItems, _ = d.strings(v, name+": needs")
			}
		case "concurrency":
			sn.concurrency = v
			s.Concurrency, _ = d.integer(v, name+": concurrency", 1)
		case "retry":
			s.Retry = d.decodeRetry(v, name)
		case "timeout":
			s.Timeout, _ = d.duration(v, name+": timeout")
		case "continue_on_error":
			s.ContinueOnError, _ = d.boolean(v, name+": continue_on_error")
		case "cache":
			sn.cache = v
			s.Cache = d.decodeCache(v, name)
		}
	}
	if sn.id == nil {
		d.errorf(n, "%s has no id", name)
	}
	if sn.uses == nil {
		d.errorf(n, "%s has no uses (the step type, like http.request)", name)
	}
	if sn.concurrency != nil && sn.forEach == nil {
		d.errorf(sn.concurrency, "%s: concurrency bounds for_each items; this step has no for_each", name)
	}
	return s, sn
}

// exprString reads if/for_each: a string (with or without {{ }}) or a
// boolean literal for if.
func (d *decoder) exprString(n *yaml.Node, what string) (string, bool) {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!bool" {
		return n.Value, true
	}
	return d.str(n, what)
}

func (d *decoder) decodeRetry(n *yaml.Node, step string) *weft.RetryPolicy {
	r := weft.DefaultRetry()
	where := step + ": retry"
	fields, ok := d.mapping(n, "retry of "+step, retryKeys)
	if !ok {
		return &r
	}
	var initialN, maxN *yaml.Node
	for _, f := range fields {
		v := f.val
		switch f.key.Value {
		case "max_attempts":
			r.MaxAttempts, _ = d.integer(v, where+".max_attempts", 1)
		case "backoff":
			if s, ok := d.str(v, where+".backoff"); ok {
				if s != weft.BackoffExponential && s != weft.BackoffFixed {
					d.errorf(v, "%s.backoff must be exponential or fixed, not %q%s", where, s, didYouMean(s, []string{weft.BackoffExponential, weft.BackoffFixed}))
				}
				r.Backoff = s
			}
		case "initial":
			initialN = v
			r.Initial, _ = d.duration(v, where+".initial")
		case "max":
			maxN = v
			r.Max, _ = d.duration(v, where+".max")
		}
	}
	if r.Max < r.Initial {
		at := maxN
		if at == nil {
			at = initialN
		}
		d.errorf(at, "%s: max (%s) is shorter than initial (%s)", where, r.Max, r.Initial)
	}
	return &r
}

// decodeCache reads `cache: { ttl: 24h, key: "{{ … }}" }`.
func (d *decoder) decodeCache(n *yaml.Node, step string) *weft.CachePolicy {
	c := &weft.CachePolicy{}
	where := step + ": cache"
	fields, ok := d.mapping(n, "cache of "+step, cacheKeys)
	if !ok {
		return nil
	}
	hasTTL := false
	for _, f := range fields {
		switch f.key.Value {
		case "ttl":
			hasTTL = true
			c.TTL, _ = d.duration(f.val, where+".ttl")
		case "key":
			c.Key, _ = d.str(f.val, where+".key")
		}
	}
	if !hasTTL || c.TTL <= 0 {
		d.errorf(n, "%s needs a ttl longer than 0, like ttl: 24h", where)
	}
	return c
}

// position of byte offset off inside the scalar n: exact for one-line
// scalars, the scalar's start otherwise.
func position(n *yaml.Node, off int) (int, int) {
	if off < 0 || n.Kind != yaml.ScalarNode || strings.Contains(n.Value, "\n") ||
		n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 || off > len(n.Value) {
		return n.Line, n.Column
	}
	col := n.Column + utf8.RuneCountInString(n.Value[:off])
	if n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0 {
		col++
	}
	return n.Line, col
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

func sortedCopy(list []string) []string {
	out := append([]string(nil), list...)
	sort.Strings(out)
	return out
}
