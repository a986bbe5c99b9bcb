package workflow

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
	"go.yaml.in/yaml/v3"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/expr"
	"github.com/weftworks/weft/step"
)

// cronParser is the standard five-field syntax plus descriptors (@hourly,
// @every 5m).
var cronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

func checkCron(s string) error {
	if strings.HasPrefix(s, "TZ=") || strings.HasPrefix(s, "CRON_TZ=") {
		return errors.New("set the timezone with the timezone key, not inside cron")
	}
	if _, err := cronParser.Parse(s); err != nil {
		return fmt.Errorf("%v (write five fields: minute hour day-of-month month day-of-week, or @hourly, @daily, @every 10m)", err)
	}
	return nil
}

func checkTimezone(tz string) error {
	if tz == "" || strings.EqualFold(tz, "local") {
		return fmt.Errorf("%q is not an IANA timezone name (like Europe/Copenhagen or UTC)", tz)
	}
	if _, err := time.LoadLocation(tz); err != nil {
		return fmt.Errorf("unknown timezone %q (use an IANA name like Europe/Copenhagen or UTC)", tz)
	}
	return nil
}

// compiler checks steps against the registry and each other, and compiles
// their expressions.
type compiler struct {
	*decoder
	reg   *step.Registry
	w     *weft.Workflow
	nodes *docNodes
	c     *Compiled
}

func (k *compiler) compileSteps() {
	ids := map[string]int{}
	for i := range k.w.Steps {
		s := &k.w.Steps[i]
		sn := k.nodes.stepNodes[i]
		n := &Node{Step: s, Index: i}
		k.c.Nodes = append(k.c.Nodes, n)
		if s.ID != "" {
			if prev, dup := ids[s.ID]; dup {
				k.errorf(sn.id, "duplicate step id %q (also used by the step at line %d)", s.ID, k.w.Steps[prev].Pos.Line)
			} else {
				ids[s.ID] = i
				k.c.ByID[s.ID] = n
			}
		}
		if sn.uses != nil && s.Uses != "" {
			if reg, ok := k.reg.Lookup(s.Uses); ok {
				n.Spec = reg.Spec
				k.checkWith(sn, s, &reg.Spec)
			} else {
				types := k.reg.Types()
				hint := didYouMean(s.Uses, types)
				if hint == "" {
					hint = "; known types: " + strings.Join(types, ", ")
				}
				k.errorf(sn.uses, "unknown step type %q%s", s.Uses, hint)
			}
		}
	}
	k.resolveNeeds()
	cyclic := k.checkCycles()
	anc := newAncestry(k.c.Nodes)
	for i, n := range k.c.Nodes {
		k.compileExprs(n, k.nodes.stepNodes[i], cyclic, anc)
	}
}

// resolveNeeds fills Node.Needs: the listed steps, or the previous step when
// needs is absent.
func (k *compiler) resolveNeeds() {
	for i, n := range k.c.Nodes {
		sn := k.nodes.stepNodes[i]
		if sn.needs == nil {
			if i > 0 {
				n.Needs = []*Node{k.c.Nodes[i-1]}
			}
			continue
		}
		seen := map[string]bool{}
		for j, id := range n.Step.Needs {
			at := sn.needItems[j]
			switch dep, ok := k.c.ByID[id]; {
			case !ok:
				k.errorf(at, "step %q needs %q, which is not a step in this workflow%s", n.Step.ID, id, didYouMean(id, k.stepIDs()))
			case dep == n:
				k.errorf(at, "step %q needs itself", id)
			case seen[id]:
				k.errorf(at, "step %q lists %q twice in needs", n.Step.ID, id)
			default:
				seen[id] = true
				n.Needs = append(n.Needs, dep)
			}
		}
	}
}

func (k *compiler) stepIDs() []string {
	ids := make([]string, 0, len(k.c.Nodes))
	for _, n := range k.c.Nodes {
		if n.Step.ID != "" {
			ids = append(ids, n.Step.ID)
		}
	}
	return ids
}

// checkCycles reports every dependency cycle once, as a path a → b → a, at
// the needs entry that closes it. It returns whether any was found.
func (k *compiler) checkCycles() bool {
	const (
		white = iota
		grey
		black
	)
	color := map[*Node]int{}
	var stack []*Node
	found := false
	var visit func(n *Node)
	visit = func(n *Node) {
		color[n] = grey
		stack = append(stack, n)
		for _, dep := range n.Needs {
			switch color[dep] {
			case white:
				visit(dep)
			case grey:
				found = true
				start := 0
				for i, s := range stack {
					if s == dep {
						start = i
					}
				}
				// Print in execution order: dep runs first, then the steps
				// that need it, back to dep.
				path := []string{dep.Step.ID}
				for i := len(stack) - 1; i >= start; i-- {
					path = append(path, stack[i].Step.ID)
				}
				at := k.needNode(n, dep.Step.ID)
				k.errorf(at, "dependency cycle: %s (a step cannot wait for itself; remove one of these needs)", strings.Join(path, " → "))
			}
		}
		stack = stack[:len(stack)-1]
		color[n] = black
	}
	for _, n := range k.c.Nodes {
		if color[n] == white {
			visit(n)
		}
	}
	return found
}

func (k *compiler) needNode(n *Node, id string) *yaml.Node {
	sn := k.nodes.stepNodes[n.Index]
	for j, dep := range n.Step.Needs {
		if dep == id {
			return sn.needItems[j]
		}
	}
	if sn.needs != nil {
		return sn.needs
	}
	return sn.node
}

// ancestry answers "does step n wait for step r, directly or through
// others?" without building each step's set of ancestors: that set is the
// whole list before it in the usual chain, so building it for every step is
// quadratic (20,000 steps took 20 s and 19 GB of garbage to validate).
//
// A step is linear when it and every step before it wait for exactly the
// step before them (the default order, or needs naming the previous step):
// its ancestors are exactly the steps before it. Other steps are walked once,
// on demand, and the walk stops at linear steps, which stand for all the
// steps before them.
type ancestry struct {
	nodes  []*Node
	linear []bool
	mark   []int // mark[i] == stamp: step i is an ancestor of the step walked last
	stamp  int
	prefix int // every step at or before prefix is an ancestor (-1: none)
}

func newAncestry(nodes []*Node) *ancestry {
	a := &ancestry{nodes: nodes, linear: make([]bool, len(nodes)), mark: make([]int, len(nodes))}
	for i, n := range nodes {
		if i == 0 {
			a.linear[i] = len(n.Needs) == 0
		} else {
			a.linear[i] = a.linear[i-1] && len(n.Needs) == 1 && n.Needs[0] == nodes[i-1]
		}
	}
	return a
}

// walk prepares has for the ancestors of n.
func (a *ancestry) walk(n *Node) {
	a.stamp++
	a.prefix = -1
	if a.linear[n.Index] {
		a.prefix = n.Index - 1
		return
	}
	stack := append([]*Node(nil), n.Needs...)
	for len(stack) > 0 {
		x := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if a.mark[x.Index] == a.stamp || x.Index <= a.prefix {
			continue
		}
		if a.linear[x.Index] {
			a.prefix = max(a.prefix, x.Index)
			continue
		}
		a.mark[x.Index] = a.stamp
		stack = append(stack, x.Needs...)
	}
}

// has reports whether r is an ancestor of the step walked last.
func (a *ancestry) has(r *Node) bool {
	return a.mark[r.Index] == a.stamp || r.Index <= a.prefix
}

// compileExprs compiles if, for_each and with, and checks that every
// steps.<id> they read is an ancestor of the step.
func (k *compiler) compileExprs(n *Node, sn *stepNodes, cyclic bool, anc *ancestry) {
	s := n.Step
	k.checkResumeVerify(n, sn)
	walked := false
	checkRefs := func(t *expr.Template, at *yaml.Node, shift int) {
		if cyclic {
			return
		}
		for _, r := range t.References() {
			line, col := position(at, r.Offset+shift)
			dep, exists := k.c.ByID[r.Step]
			if exists && r.Step != s.ID && !walked {
				anc.walk(n)
				walked = true
			}
			switch {
			case r.Step == s.ID:
				k.errorAt(line, col, "step %q reads its own output (steps.%s); a step can only read steps that ran before it", s.ID, r.Step)
			case !exists:
				k.errorAt(line, col, "steps.%s: no step has id %q%s", r.Step, r.Step, didYouMean(r.Step, k.stepIDs()))
			case !anc.has(dep):
				k.errorAt(line, col, "step %q reads steps.%s, but %q is not among the steps it waits for; add %q to its needs", s.ID, r.Step, r.Step, r.Step)
			}
		}
	}
	compileOne := func(src string, at *yaml.Node, what string) *expr.Template {
		code, shift := src, 0
		if !expr.HasTemplate(src) {
			// `if: steps.a.output.ok` means `if: "{{ steps.a.output.ok }}"`.
			code, shift = "{{ "+src+" }}", -3
		}
		t, err := expr.Compile(code)
		if err != nil {
			k.exprError(at, err, shift, what)
			return nil
		}
		checkRefs(t, at, shift)
		return t
	}
	if sn.ifN != nil && s.If != "" {
		n.If = compileOne(s.If, sn.ifN, "if")
	}
	if sn.forEach != nil && s.ForEach != "" {
		n.ForEach = compileOne(s.ForEach, sn.forEach, "for_each")
	}
	if s.Cache != nil && s.Cache.Key != "" {
		n.CacheKey = compileOne(s.Cache.Key, sn.cache, "cache.key")
	}
	with := s.With
	if with == nil {
		with = map[string]any{}
	}
	with = k.compileDeferred(n, sn, with, checkRefs)
	v, err := expr.CompileValue(with)
	if err != nil {
		if sn.with != nil {
			// CompileValue stops at the first bad string; report them all,
			// and the steps.x references of the strings that do compile.
			// Deferred fields were compiled and checked on their own.
			refs := func(_ []any, t *expr.Template, at *yaml.Node) { checkRefs(t, at, 0) }
			if wn := resolve(sn.with); wn.Kind == yaml.MappingNode {
				for i := 0; i+1 < len(wn.Content); i += 2 {
					if f, ok := n.Spec.Lookup(wn.Content[i].Value); !ok || !f.Deferred {
						k.withErrors(wn.Content[i+1], []any{wn.Content[i].Value}, refs)
					}
				}
			} else {
				k.withErrors(sn.with, nil, refs)
			}
		} else {
			k.errorf(sn.node, "with: %v", err)
		}
		v, _ = expr.CompileValue(map[string]any{})
	}
	n.With = v
	if sn.with != nil {
		v.Templates(func(path []any, t *expr.Template) {
			checkRefs(t, nodeAt(sn.with, path), 0)
		})
	}
}

// withErrors compiles every template under n, reports each failure and
// hands each success to ok.
func (k *compiler) withErrors(n *yaml.Node, path []any, ok func(path []any, t *expr.Template, at *yaml.Node)) {
	n = resolve(n)
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Tag == "!!str" && expr.HasTemplate(n.Value) {
			t, err := expr.Compile(n.Value)
			if err != nil {
				k.exprError(n, err, 0, "with."+expr.PathString(path))
				return
			}
			ok(path, t, n)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k.withErrors(n.Content[i+1], append(path, n.Content[i].Value), ok)
		}
	case yaml.SequenceNode:
		for i, e := range n.Content {
			k.withErrors(e, append(path, i), ok)
		}
	}
}

func (k *compiler) exprError(at *yaml.Node, err error, shift int, what string) {
	var e *expr.Error
	off := -1
	msg := err.Error()
	if errors.As(err, &e) {
		off, msg = e.Offset, e.Message
		if off >= 0 {
			off = max(0, off+shift)
		}
	}
	line, col := position(at, off)
	k.errorAt(line, col, "%s: %s", what, msg)
}

// nodeAt finds the node at path (keys and indexes) under n.
func nodeAt(n *yaml.Node, path []any) *yaml.Node {
	cur := resolve(n)
	for _, p := range path {
		next := (*yaml.Node)(nil)
		switch key := p.(type) {
		case string:
			if cur.Kind == yaml.MappingNode {
				for i := 0; i+1 < len(cur.Content); i += 2 {
					if cur.Content[i].Value == key {
						next = resolve(cur.Content[i+1])
					}
				}
			}
		case int:
			if cur.Kind == yaml.SequenceNode && key < len(cur.Content) {
				next = resolve(cur.Content[key])
			}
		}
		if next == nil {
			return cur
		}
		cur = next
	}
	return cur
}

// checkWith checks a step's `with:` block against its spec. Values that are
// templates are checked when they run, not here.
func (k *compiler) checkWith(sn *stepNodes, s *weft.Step, spec *step.Spec) {
	where := stepLabel(s, sn)
	given := map[string]*yaml.Node{}
	if sn.with != nil {
		fields, _ := k.mapping(sn.with, where+" with")
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
			at := sn.with
			if at == nil {
				at = sn.uses
			}
			k.errorf(at, "%s: %s needs input %q (%s)", where, spec.Type, fd.Name, fd.Description)
		}
	}
	k.checkOneOf(sn, spec, given, where)
}

// checkOneOf reports a step that gives none, or more than one, of the
// spec's mode fields: it would fail every time it runs. A boolean counts
// when it is true; one built with {{ }} may turn out true, so it rules out
// "none" but is not counted as a second mode.
func (k *compiler) checkOneOf(sn *stepNodes, spec *step.Spec, given map[string]*yaml.Node, where string) {
	if len(spec.OneOf) == 0 {
		return
	}
	var set []string
	maybe := false
	for _, name := range spec.OneOf {
		v, ok := given[name]
		if !ok {
			continue
		}
		v = resolve(v)
		fd, _ := spec.Lookup(name)
		switch {
		case v.Kind == yaml.ScalarNode && v.Tag == "!!null":
		case v.Kind == yaml.ScalarNode && v.Tag == "!!str" && expr.HasTemplate(v.Value) && fd.Type == step.Boolean:
			maybe = true
		case fd.Type == step.Boolean && !(v.Kind == yaml.ScalarNode && v.Tag == "!!bool" && v.Value == "true"):
		default:
			set = append(set, name)
		}
	}
	modes := quoteNames(spec.OneOf)
	switch {
	case len(set) == 0 && !maybe:
		at := sn.with
		if at == nil {
			at = sn.uses
		}
		k.errorf(at, "%s: %s needs one of %s; it has none, so it would fail every time it runs", where, spec.Type, modes)
	case len(set) > 1:
		k.errorf(given[set[1]], "%s: %s takes only one of %s, not both %s and %s", where, spec.Type, modes, set[0], set[1])
	}
}

func quoteNames(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = "`" + n + "`"
	}
	return strings.Join(q, ", ")
}

// stepLabel names a step in messages: by id, or by its position when the id
// is missing.
func stepLabel(s *weft.Step, sn *stepNodes) string {
	if s.ID != "" {
		return fmt.Sprintf("step %q", s.ID)
	}
	return fmt.Sprintf("the step at line %d", sn.node.Line)
}

func fieldNames(fs []step.Field) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.Name
	}
	return out
}

// checkField checks a literal value against a field's declared type and enum.
func (k *compiler) checkField(n *yaml.Node, fd step.Field, path, where string) {
	n = resolve(n)
	if n.Kind == yaml.ScalarNode && n.Tag == "!!str" && expr.HasTemplate(n.Value) {
		if fd.Literal != "" {
			k.errorf(n, "%s: %s must be written out, not built with {{ }}: %s", where, path, fd.Literal)
		}
		return
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return
	}
	bad := func(want string) {
		k.errorf(n, "%s: %s must be %s, not %s", where, path, want, describe(n))
	}
	switch fd.Type {
	case step.String:
		if n.Kind != yaml.ScalarNode || n.Tag != "!!str" {
			bad("a string")
			return
		}
		if len(fd.Enum) > 0 && !contains(fd.Enum, n.Value) {
			k.errorf(n, "%s: %s %q is not one of %s%s", where, path, n.Value, strings.Join(fd.Enum, ", "), didYouMean(n.Value, fd.Enum))
		}
	case step.Number:
		if n.Kind != yaml.ScalarNode || (n.Tag != "!!int" && n.Tag != "!!float") {
			bad("a number")
		}
	case step.Integer:
		if n.Kind != yaml.ScalarNode || n.Tag != "!!int" {
			bad("a whole number")
		}
	case step.Boolean:
		if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
			bad("true or false")
		}
	case step.Duration:
		if n.Kind != yaml.ScalarNode || n.Tag != "!!str" {
			bad("a duration like 30s")
			return
		}
		if _, err := weft.ParseDuration(n.Value); err != nil {
			k.errorf(n, "%s: %s: %v", where, path, err)
		}
	case step.Object:
		if n.Kind != yaml.MappingNode {
			bad("a mapping")
			return
		}
		if fd.Fields == nil {
			return
		}
		given := map[string]bool{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			key, val := n.Content[i], n.Content[i+1]
			given[key.Value] = true
			sub, ok := lookupField(fd.Fields, key.Value)
			if !ok {
				k.errorf(key, "%s: %s has no key %q%s; keys: %s", where, path, key.Value, didYouMean(key.Value, fieldNames(fd.Fields)), strings.Join(fieldNames(fd.Fields), ", "))
				continue
			}
			k.checkField(val, sub, path+"."+sub.Name, where)
		}
		for _, sub := range fd.Fields {
			if sub.Required && !given[sub.Name] {
				k.errorf(n, "%s: %s needs key %q", where, path, sub.Name)
			}
		}
	case step.Array:
		if n.Kind != yaml.SequenceNode {
			bad("a list")
			return
		}
		if fd.Items != nil {
			for i, e := range n.Content {
				k.checkField(e, *fd.Items, fmt.Sprintf("%s[%d]", path, i), where)
			}
		}
	}
}

func lookupField(fs []step.Field, name string) (step.Field, bool) {
	for _, f := range fs {
		if f.Name == name {
			return f, true
		}
	}
	return step.Field{}, false
}

// compileDeferred compiles the spec's Deferred fields of with on their own
// (the step evaluates them later, see step.Field.Deferred) and returns with
// without them.
func (k *compiler) compileDeferred(n *Node, sn *stepNodes, with map[string]any, checkRefs func(*expr.Template, *yaml.Node, int)) map[string]any {
	var rest map[string]any
	for _, f := range n.Spec.Fields {
		v, ok := with[f.Name]
		if !f.Deferred || !ok {
			continue
		}
		if rest == nil {
			rest = make(map[string]any, len(with))
			for key, val := range with {
				rest[key] = val
			}
		}
		delete(rest, f.Name)
		cv, err := expr.CompileValue(v)
		if err != nil {
			k.errorf(nodeAt(sn.with, []any{f.Name}), "with.%s: %v", f.Name, err)
			continue
		}
		if sn.with != nil {
			cv.Templates(func(path []any, t *expr.Template) {
				checkRefs(t, nodeAt(sn.with, append([]any{f.Name}, path...)), 0)
			})
		}
		if n.Deferred == nil {
			n.Deferred = map[string]*expr.Value{}
		}
		n.Deferred[f.Name] = cv
	}
	if rest == nil {
		return with
	}
	return rest
}
