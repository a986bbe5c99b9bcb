// Package expr wraps github.com/expr-lang/expr for Weft's `{{ … }}`
// templates: compile once when a workflow is saved, evaluate many times with
// limits (memory budget, node count, iteration budget), never with access to
// the host.
package expr

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/vm"
	"github.com/expr-lang/expr/vm/runtime"
)

// Limits every expression runs under. They are generous for data mapping
// and small enough that a hostile or accidental expression cannot take the
// process down (see docs/expressions.md, "Limits").
const (
	// MaxNodes bounds the size of one expression's syntax tree.
	MaxNodes = 2000
	// MemoryBudget bounds what one evaluation may allocate, in expr's units
	// (roughly: elements of built ranges, arrays and maps, bytes of repeat).
	MemoryBudget = 2_000_000
	// MaxIterations bounds the predicate calls (map, filter, all, …) of one
	// evaluation, so nested loops over large inputs stop instead of spinning.
	MaxIterations = 5_000_000
	// MaxStringLen bounds every string an expression builds (`+`, repeat,
	// join, replace, toJSON, …, and a template's interpolated text), so
	// doubling a string in a loop fails instead of exhausting memory.
	MaxStringLen = 16 << 20
	// MaxEvalBytes bounds, per evaluation of a step's inputs, both what
	// helpers build (strings, copied lists and maps, counted before they
	// are built) and the size of the result encoded as JSON (values may
	// share data, so a small list can stand for a huge document).
	MaxEvalBytes = 64 << 20
)

// ScopeNames are the top-level names an expression may use.
// event and response exist only in Deferred step fields (a wait's match,
// http.request's until), which the step evaluates itself; poll only in an
// on.poll trigger (poll.cursor, poll.output).
var ScopeNames = []string{"trigger", "steps", "execution", "workflow", "env", "item", "index", "event", "response", "poll"}

// Scope is the data an expression sees: trigger, steps, execution, workflow,
// env (allowlisted variables only), and item/index inside for_each. The key
// "now", when it holds a time.Time, is what now() returns, so that an
// execution replayed after a crash sees the same clock.
type Scope map[string]any

// Template is a compiled string that may contain `{{ … }}`. A template that is
// exactly one `{{ }}` keeps the type of its value; otherwise the result is the
// string with every `{{ }}` interpolated.
type Template struct {
	src   string
	parts []part
	// single is set when the whole template is one expression (surrounding
	// whitespace allowed): the value keeps its type.
	single bool
}

// part is literal text or a compiled expression.
type part struct {
	text   string
	prog   *vm.Program
	offset int // byte offset of the expression text inside the template
	// path is set when the expression only reads a scope value through
	// member names (trigger.body.customer): the scope name, then the keys.
	path []string
}

// Compile compiles a template. Errors are *Error with the byte offset of the
// problem inside src.
func Compile(src string) (*Template, error) {
	t := &Template{src: src}
	rest, base := src, 0
	for {
		open := strings.Index(rest, "{{")
		if open < 0 {
			if rest != "" {
				t.parts = append(t.parts, part{text: rest})
			}
			break
		}
		if open > 0 {
			t.parts = append(t.parts, part{text: rest[:open]})
		}
		body := rest[open+2:]
		end := closing(body)
		if end < 0 {
			return nil, &Error{Offset: base + open, Message: "unclosed {{: add }} after the expression"}
		}
		code := body[:end]
		codeOff := base + open + 2
		prog, err := compileExpr(code, codeOff)
		if err != nil {
			return nil, err
		}
		path, _ := memberPath(prog.Node())
		t.parts = append(t.parts, part{prog: prog, offset: codeOff, path: path})
		consumed := open + 2 + end + 2
		rest, base = rest[consumed:], base+consumed
	}
	exprs := 0
	for _, p := range t.parts {
		if p.prog != nil {
			exprs++
		} else if strings.TrimSpace(p.text) != "" {
			exprs = 2 // literal text: always interpolate
		}
	}
	if exprs == 1 {
		t.single = true
		for _, p := range t.parts {
			if p.prog != nil {
				t.parts = []part{p}
				break
			}
		}
	}
	return t, nil
}

// closing returns the index of the "}}" that ends an expression, skipping
// string literals and nested braces (map literals), or -1.
func closing(s string) int {
	depth := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '"', '\'', '`':
			j := i + 1
			for j < len(s) && s[j] != c {
				if s[j] == '\\' && c != '`' {
					j++
				}
				j++
			}
			if j >= len(s) {
				return -1
			}
			i = j
		case '{':
			depth++
		case '}':
			if depth == 0 {
				if i+1 < len(s) && s[i+1] == '}' {
					return i
				}
				continue
			}
			depth--
		}
	}
	return -1
}

// HasTemplate reports whether s contains `{{`: a string without it is a
// plain literal.
func HasTemplate(s string) bool { return strings.Contains(s, "{{") }

// IsSingle reports whether the template is exactly one expression (its value
// keeps its type).
func (t *Template) IsSingle() bool { return t.single }

// IsLiteral reports whether the template holds no expression at all.
func (t *Template) IsLiteral() bool {
	for _, p := range t.parts {
		if p.prog != nil {
			return false
		}
	}
	return true
}

// Eval evaluates the template.
func (t *Template) Eval(ctx context.Context, s Scope) (any, error) {
	if t.IsLiteral() {
		return t.src, nil
	}
	return t.evalWith(newRunState(ctx, s))
}

// Source returns the template text.
func (t *Template) Source() string { return t.src }

// References returns the step ids the template reads as steps.<id> (or
// steps["<id>"]), in order of appearance, without duplicates, each with the
// byte offset of the reference inside the source. Workflow validation uses it
// to check that a step only reads its ancestors.
func (t *Template) References() []Reference {
	var refs []Reference
	seen := map[string]bool{}
	for _, p := range t.parts {
		if p.prog == nil {
			continue
		}
		node := p.prog.Node()
		code := p.prog.Source().String()
		ast.Walk(&node, refVisitor(func(id string, from int) {
			if seen[id] {
				return
			}
			seen[id] = true
			refs = append(refs, Reference{Step: id, Offset: p.offset + runeToByte(code, from)})
		}))
	}
	return refs
}

// Reference is a use of steps.<Step> at byte Offset of a template.
type Reference struct {
	Step   string
	Offset int
}

type refVisitor func(id string, from int)

func (f refVisitor) Visit(n *ast.Node) {
	m, ok := (*n).(*ast.MemberNode)
	if !ok {
		return
	}
	base, ok := m.Node.(*ast.IdentifierNode)
	if !ok || base.Value != "steps" {
		return
	}
	if prop, ok := m.Property.(*ast.StringNode); ok {
		f(prop.Value, base.Location().From)
	}
}

func (p part) run(rs *runState) (any, error) {
	if err := rs.ctx.Err(); err != nil {
		return nil, &Error{Offset: p.offset, Message: "evaluation stopped: " + err.Error(), Err: err}
	}
	// The scope, not the VM's copy: a path never names the run state
	// (Compile rejects stateName).
	out, ok := p.lookup(rs.scope)
	if !ok {
		machine := vmPool.Get().(*vm.VM)
		machine.MemoryBudget = MemoryBudget
		var err error
		out, err = machine.Run(p.prog, rs.vmEnv())
		vmPool.Put(machine)
		if err != nil {
			return nil, wrapErr(err, p.prog.Source().String(), p.offset)
		}
	}
	switch out.(type) {
	case map[string]any, []any:
		// normalize copies what it changes, and a value may share its
		// parts (a few input bytes can describe 2^40 nodes): measure
		// before copying, as the output budget will.
		if err := rs.checkOutput(out); err != nil {
			return nil, &Error{Offset: p.offset, Message: err.Error(), Err: err}
		}
	}
	return normalize(out), nil
}

// lookup evaluates a member path over the values JSON decodes into without
// the VM, which fetches every member through reflect. It gives what the
// program gives: member access is optional (sandbox), so a nil on the way
// is the result. Anything but objects and nil on the way (an array, a
// time, a typed value) is left to the VM, and so is an expression that is
// not a path: ok is false.
func (p part) lookup(env map[string]any) (v any, ok bool) {
	if p.path == nil {
		return nil, false
	}
	v = env[p.path[0]]
	if len(p.path) == 1 {
		return v, true // a bare name is no member chain: a typed nil stays
	}
	for _, k := range p.path[1:] {
		switch m := v.(type) {
		case nil:
			return nil, true
		case map[string]any:
			v = m[k]
		default:
			return nil, false
		}
	}
	switch v.(type) {
	case string, float64, bool, map[string]any:
		if m, ok := v.(map[string]any); ok && m == nil {
			return nil, true
		}
		return v, true
	}
	// A chain ends in an untyped nil when it met a typed one.
	if runtime.IsNil(v) {
		return nil, true
	}
	return v, true
}

// memberPath returns the scope name and member names of a compiled
// expression that is only a scope name followed by .name or ["name"]
// members, as the sandbox leaves it (each member optional, in a chain).
func memberPath(n ast.Node) ([]string, bool) {
	switch x := n.(type) {
	case *ast.ChainNode:
		return memberPath(x.Node)
	case *ast.MemberNode:
		key, ok := x.Property.(*ast.StringNode)
		if !ok || x.Method || !x.Optional {
			return nil, false
		}
		path, ok := memberPath(x.Node)
		if !ok {
			return nil, false
		}
		return append(path, key.Value), true
	case *ast.IdentifierNode:
		if slices.Contains(ScopeNames, x.Value) {
			return []string{x.Value}, true
		}
	}
	return nil, false
}

var vmPool = sync.Pool{New: func() any { return &vm.VM{} }}

// compileExpr compiles the code between `{{` and `}}`; offset is where code
// starts inside the template.
func compileExpr(code string, offset int) (*vm.Program, error) {
	if strings.TrimSpace(code) == "" {
		return nil, &Error{Offset: offset, Message: "empty expression {{ }}"}
	}
	if i := strings.Index(code, stateName); i >= 0 {
		return nil, &Error{Offset: offset + i, Message: fmt.Sprintf("%s is reserved", stateName)}
	}
	prog, err := expr.Compile(code, options...)
	if err != nil {
		return nil, wrapErr(err, code, offset)
	}
	return prog, nil
}

// wordOperators are expr's operators spelled as words, which people often
// write as functions.
var wordOperators = []string{"contains", "startsWith", "endsWith", "matches", "in", "not", "and", "or"}

// wrapErr turns an expr error into *Error with a template offset, and makes
// expr's messages speak Weft.
func wrapErr(err error, code string, offset int) *Error {
	e := &Error{Offset: offset, Message: err.Error(), Err: err}
	var fe *file.Error
	if errors.As(err, &fe) {
		e.Offset = offset + runeToByte(code, fe.From)
		e.Message = fe.Message
		if fe.Prev != nil {
			e.Err = fe.Prev
		}
	}
	for _, op := range wordOperators {
		if strings.Contains(e.Message, `unexpected token Operator("`+op+`")`) {
			// Written as a function: contains(a, "b"). Say it is an operator.
			e.Message += fmt.Sprintf(`: %s is an operator, not a function; write a %s b, e.g. trigger.body.text %s "urgent"`, op, op, op)
			break
		}
	}
	if strings.HasPrefix(e.Message, "unknown name ") {
		e.Message += " (an expression may use " + strings.Join(ScopeNames, ", ") + " and functions such as now())"
	}
	if e.Message == ErrMemoryBudget.Error() && !errors.Is(e.Err, ErrMemoryBudget) {
		// expr's VM panics with this text when ranges, lists or maps pass
		// MemoryBudget; give it the same cause as the helpers' refusals.
		e.Message += fmt.Sprintf(": ranges, lists and maps may hold at most %d elements per expression; reduce the data or move the work into a step", MemoryBudget)
		e.Err = ErrMemoryBudget
	}
	if nilArgument(e.Message) {
		e.Message = nilMessage(code, e.Offset-offset)
	}
	e.Message = strings.ReplaceAll(e.Message, stateName+", ", "")
	return e
}

func runeToByte(s string, runes int) int {
	if runes <= 0 {
		return 0
	}
	n := 0
	for i := range s {
		if n == runes {
			return i
		}
		n++
	}
	return len(s)
}

// Value is a compiled JSON-like tree (maps, lists, scalars) in which every
// string is a Template, as found under a step's `with:`.
type Value struct {
	root valueNode
}

type valueNode struct {
	kind  byte // 'l' literal, 't' template, 'm' map, 'a' array
	lit   any
	tmpl  *Template
	keys  []string
	elems []valueNode
}

// CompileValue compiles every string inside v (map[string]any, []any,
// scalars). Errors are *ValueError naming the path of the bad string.
func CompileValue(v any) (*Value, error) {
	root, err := compileNode(v, nil)
	if err != nil {
		return nil, err
	}
	return &Value{root: root}, nil
}

func compileNode(v any, path []any) (valueNode, error) {
	switch x := v.(type) {
	case string:
		if !HasTemplate(x) {
			return valueNode{kind: 'l', lit: x}, nil
		}
		t, err := Compile(x)
		if err != nil {
			var e *Error
			errors.As(err, &e)
			return valueNode{}, &ValueError{Path: append([]any(nil), path...), Err: e}
		}
		return valueNode{kind: 't', tmpl: t}, nil
	case map[string]any:
		n := valueNode{kind: 'm', keys: make([]string, 0, len(x)), elems: make([]valueNode, 0, len(x))}
		for _, k := range sortedKeys(x) {
			c, err := compileNode(x[k], append(path, k))
			if err != nil {
				return valueNode{}, err
			}
			n.keys = append(n.keys, k)
			n.elems = append(n.elems, c)
		}
		return n, nil
	case []any:
		n := valueNode{kind: 'a', elems: make([]valueNode, 0, len(x))}
		for i, e := range x {
			c, err := compileNode(e, append(path, i))
			if err != nil {
				return valueNode{}, err
			}
			n.elems = append(n.elems, c)
		}
		return n, nil
	default:
		return valueNode{kind: 'l', lit: normalize(v)}, nil
	}
}

// Eval evaluates every template in the tree and returns plain Go values
// (map[string]any, []any, string, float64, int, bool, nil).
func (v *Value) Eval(ctx context.Context, s Scope) (any, error) {
	if v == nil {
		return nil, nil
	}
	rs := newRunState(ctx, s)
	out, err := v.root.eval(rs)
	if ve, ok := err.(*ValueError); ok && len(ve.Path) > 0 {
		slices.Reverse(ve.Path)
	}
	return out, err
}

// Templates calls fn for every template in the tree with its path.
func (v *Value) Templates(fn func(path []any, t *Template)) {
	if v != nil {
		v.root.walk(nil, fn)
	}
}

func (n *valueNode) walk(path []any, fn func([]any, *Template)) {
	switch n.kind {
	case 't':
		fn(append([]any(nil), path...), n.tmpl)
	case 'm':
		for i := range n.elems {
			n.elems[i].walk(append(path, n.keys[i]), fn)
		}
	case 'a':
		for i := range n.elems {
			n.elems[i].walk(append(path, i), fn)
		}
	}
}

// eval evaluates the tree under n. The path of a failing template is built
// on the way out, innermost key first (Eval reverses it), so a value that
// evaluates builds no paths.
func (n *valueNode) eval(rs *runState) (any, error) {
	switch n.kind {
	case 't':
		out, err := n.tmpl.evalWith(rs)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				e = &Error{Offset: -1, Message: err.Error(), Err: err}
			}
			return nil, &ValueError{Err: e}
		}
		return out, nil
	case 'm':
		m := make(map[string]any, len(n.keys))
		for i := range n.elems {
			v, err := n.elems[i].eval(rs)
			if err != nil {
				if ve, ok := err.(*ValueError); ok {
					ve.Path = append(ve.Path, n.keys[i])
				}
				return nil, err
			}
			m[n.keys[i]] = v
		}
		return m, nil
	case 'a':
		a := make([]any, len(n.elems))
		for i := range n.elems {
			v, err := n.elems[i].eval(rs)
			if err != nil {
				if ve, ok := err.(*ValueError); ok {
					ve.Path = append(ve.Path, i)
				}
				return nil, err
			}
			a[i] = v
		}
		return a, nil
	default:
		return deepCopy(n.lit), nil
	}
}

// evalWith is Eval with a run state shared by a whole Value, so the
// iteration budget covers all of a step's inputs together.
//
// The result counts against the evaluation's output budget, and an
// interpolated string is bounded by MaxStringLen part by part, before each
// part is written.
func (t *Template) evalWith(rs *runState) (any, error) {
	if t.single {
		v, err := t.parts[0].run(rs)
		if err != nil {
			return nil, err
		}
		if err := rs.output(v); err != nil {
			return nil, &Error{Offset: t.parts[0].offset, Message: err.Error(), Err: err}
		}
		return v, nil
	}
	var b strings.Builder
	for _, p := range t.parts {
		if p.prog == nil {
			if b.Len()+len(p.text) > MaxStringLen {
				err := budgetError("the template", -1, "bytes of text", MaxStringLen)
				return nil, &Error{Offset: p.offset, Message: err.Error(), Err: err}
			}
			b.WriteString(p.text)
			continue
		}
		v, err := p.run(rs)
		if err != nil {
			return nil, err
		}
		if err := interpolate(&b, v, MaxStringLen); err != nil {
			return nil, &Error{Offset: p.offset, Message: err.Error(), Err: err}
		}
	}
	out := b.String()
	if err := rs.output(out); err != nil {
		return nil, &Error{Offset: 0, Message: err.Error(), Err: err}
	}
	return out, nil
}

// Error is a compile or evaluation error with the byte offset inside the
// template source where it was found (-1 if unknown), so callers can turn it
// into file:line:col.
type Error struct {
	Offset  int
	Message string
	// Err is the underlying cause, if any (context.Canceled, a helper's
	// error).
	Err error
}

func (e *Error) Error() string { return e.Message }

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// ValueError is an Error found at Path inside a Value (keys as string, list
// indexes as int).
type ValueError struct {
	Path []any
	Err  *Error
}

func (e *ValueError) Error() string {
	if len(e.Path) == 0 {
		return e.Err.Error()
	}
	return PathString(e.Path) + ": " + e.Err.Error()
}
func (e *ValueError) Unwrap() error { return e.Err }

// PathString renders a Value path as with.a.b[2].
func PathString(path []any) string {
	var b strings.Builder
	for _, p := range path {
		switch x := p.(type) {
		case int:
			fmt.Fprintf(&b, "[%d]", x)
		default:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			fmt.Fprint(&b, x)
		}
	}
	return b.String()
}
