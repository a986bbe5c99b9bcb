package workflow

import (
	"fmt"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/expr"
	"github.com/weftworks/weft/step"
)

// pollKeys are the keys of an `on.poll` entry. `operation` is another name
// for `step` (app operations such as hubspot.list_contacts read better so).
var pollKeys = []string{"step", "operation", "with", "every", "items", "id", "cursor", "max_items"}

// Bounds of a polling trigger.
const (
	// MinPollEvery is the shortest poll interval.
	MinPollEvery = time.Second
	// DefaultPollMaxItems bounds the items one poll may return.
	DefaultPollMaxItems = 1000
	// MaxPollMaxItems is the largest max_items a file may set.
	MaxPollMaxItems = 10_000
)

// PollNode is one compiled `on.poll` entry.
type PollNode struct {
	Trigger *weft.PollTrigger
	Index   int
	Spec    step.Spec
	// With is the compiled `with:` (it may read poll.cursor).
	With *expr.Value
	// Items, ID and Cursor read poll.output, poll.cursor and item; Items and
	// Cursor are nil when not set.
	Items, ID, Cursor *expr.Template
}

// pollNodes keeps the nodes of one on.poll entry for checks after decoding.
type pollNodes struct {
	where                               string // on.poll or on.poll[i]
	node, step, with, items, id, cursor *yaml.Node
}

// decodePolls reads `on.poll`: one mapping or a list of them.
func (d *decoder) decodePolls(n *yaml.Node) []weft.PollTrigger {
	n = resolve(n)
	items, list := []*yaml.Node{n}, false
	if n.Kind == yaml.SequenceNode {
		items, list = n.Content, true
	}
	var out []weft.PollTrigger
	for i, e := range items {
		where := "on.poll"
		if list {
			where = fmt.Sprintf("on.poll[%d]", i)
		}
		fields, ok := d.mapping(e, where+` (like {step: http.request, with: {url: …}, every: 1m, items: "{{ poll.output.body.results }}", id: "{{ item.id }}"})`, pollKeys)
		if !ok {
			continue
		}
		t := weft.PollTrigger{}
		pn := pollNodes{where: where, node: resolve(e)}
		for _, f := range fields {
			v := f.val
			switch key := f.key.Value; key {
			case "step", "operation":
				if pn.step != nil {
					d.errorf(f.key, "%s: give the step type once, as step or operation, not both", where)
					continue
				}
				pn.step = v
				t.Step, _ = d.str(v, where+"."+key)
			case "with":
				pn.with = v
				if g, ok := d.generic(v, where+".with"); ok {
					m, isMap := g.(map[string]any)
					if !isMap && g != nil {
						d.errorf(v, "%s.with must be a mapping of the step's inputs, not %s", where, describe(v))
					}
					t.With = m
				}
			case "every":
				if dur, ok := d.duration(v, where+".every"); ok {
					if dur.D() < MinPollEvery {
						d.errorf(v, "%s.every must be at least %s, not %s", where, MinPollEvery, dur)
					}
					t.Every = dur
				}
			case "items":
				pn.items = v
				t.Items, _ = d.str(v, where+".items")
			case "id":
				pn.id = v
				t.ID, _ = d.str(v, where+".id")
			case "cursor":
				pn.cursor = v
				t.Cursor, _ = d.str(v, where+".cursor")
			case "max_items":
				if m, ok := d.integer(v, where+".max_items", 1); ok {
					if m > MaxPollMaxItems {
						d.errorf(v, "%s.max_items may be at most %d, not %d", where, MaxPollMaxItems, m)
					}
					t.MaxItems = m
				}
			}
		}
		at := resolve(e)
		if pn.step == nil {
			d.errorf(at, "%s needs step (or operation): the step type that fetches items, like http.request", where)
		}
		if t.Every == 0 {
			d.errorf(at, "%s needs every: how often to poll, like 1m", where)
		}
		if pn.id == nil {
			d.errorf(at, `%s needs id: the template of an item's id that dedupes it, like "{{ item.id }}"`, where)
		}
		out = append(out, t)
		d.polls = append(d.polls, pn)
	}
	return out
}

// compilePolls checks each on.poll entry against its step type and
// compiles its templates.
func (k *compiler) compilePolls() {
	for i := range k.w.On.Poll {
		if i >= len(k.polls) {
			return
		}
		t, pn := &k.w.On.Poll[i], k.polls[i]
		where := pn.where
		node := PollNode{Trigger: t, Index: i}
		if t.Step != "" {
			reg, ok := k.reg.Lookup(t.Step)
			if !ok {
				k.errorf(pn.step, "%s: unknown step type %q%s", where, t.Step, didYouMean(t.Step, k.reg.Types()))
			} else {
				node.Spec = reg.Spec
				k.checkPollWith(pn, &reg.Spec, where)
			}
		}
		with := t.With
		if with == nil {
			with = map[string]any{}
		}
		v, err := expr.CompileValue(with)
		if err != nil {
			at := pn.with
			if at == nil {
				at = pn.node
			}
			k.withErrors(at, nil, func([]any, *expr.Template, *yaml.Node) {})
			v, _ = expr.CompileValue(map[string]any{})
		}
		node.With = v
		compile := func(src string, at *yaml.Node, what string) *expr.Template {
			if at == nil || src == "" {
				return nil
			}
			code, shift := src, 0
			if !expr.HasTemplate(src) {
				code, shift = "{{ "+src+" }}", -3
			}
			tpl, err := expr.Compile(code)
			if err != nil {
				k.exprError(at, err, shift, where+"."+what)
				return nil
			}
			for _, r := range tpl.References() {
				line, col := position(at, r.Offset+shift)
				k.errorAt(line, col, "%s.%s: a polling trigger runs before any step; use poll.output, poll.cursor and item, not steps.%s", where, what, r.Step)
			}
			return tpl
		}
		node.Items = compile(t.Items, pn.items, "items")
		node.ID = compile(t.ID, pn.id, "id")
		node.Cursor = compile(t.Cursor, pn.cursor, "cursor")
		k.c.Poll = append(k.c.Poll, node)
	}
}

// checkPollWith checks `with:` of a poll entry against the step's spec,
// like a step's own `with:`.
func (k *compiler) checkPollWith(pn pollNodes, spec *step.Spec, where string) {
	given := map[string]*yaml.Node{}
	if pn.with != nil && resolve(pn.with).Kind == yaml.MappingNode {
		fields, _ := k.mapping(pn.with, where+".with")
		for _, f := range fields {
			given[f.key.Value] = f.val
			if fd, ok := spec.Lookup(f.key.Value); ok {
				k.checkField(f.val, fd, "with."+fd.Name, where)
			} else if !spec.AllowExtra {
				k.errorf(f.key, "%s: %s has no input %q%s; inputs: %s", where, spec.Type, f.key.Value,
					didYouMean(f.key.Value, fieldNames(spec.Fields)), strings.Join(fieldNames(spec.Fields), ", "))
			}
		}
	}
	for _, fd := range spec.Fields {
		if !fd.Required {
			continue
		}
		if v, ok := given[fd.Name]; !ok || (v.Kind == yaml.ScalarNode && v.Tag == "!!null") {
			at := pn.with
			if at == nil {
				at = pn.step
			}
			k.errorf(at, "%s: %s needs input %q (%s)", where, spec.Type, fd.Name, fd.Description)
		}
	}
	if spec.Resumable || spec.RunOnWake {
		k.errorf(pn.step, "%s: %s waits inside an execution and cannot fetch items for a polling trigger", where, spec.Type)
	}
}
