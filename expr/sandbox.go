package expr

import (
	"context"
	"fmt"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/types"
	"github.com/expr-lang/expr/vm/runtime"
)

// stateName is the hidden variable through which the rewritten program
// reaches its run state (context, clock, iteration count). Users cannot
// write it: Compile rejects any expression that mentions it.
const stateName = "__weft"

// runState is one evaluation's context: the caller's ctx, the clock now()
// returns, and the iteration count checked against MaxIterations.
type runState struct {
	ctx context.Context
	// scope is the caller's; env is the VM's copy of it with the run state
	// added, made when a program first runs (a template that only reads
	// paths needs none).
	scope      Scope
	env        map[string]any
	now        time.Time
	iterations int
	// built counts the bytes helpers built in this evaluation and out the
	// encoded size of its results, both against MaxEvalBytes.
	built, out int
}

func newRunState(ctx context.Context, s Scope) *runState {
	if ctx == nil {
		ctx = context.Background()
	}
	rs := &runState{ctx: ctx, scope: s}
	if t, ok := s["now"].(time.Time); ok {
		rs.now = t
	}
	return rs
}

// vmEnv returns the environment programs run with: the scope and the run
// state, copied once per evaluation.
func (rs *runState) vmEnv() map[string]any {
	if rs.env == nil {
		// Sized for what the scope holds, not for every scope name: up to
		// eight entries fit a map's first group, one allocation instead of
		// a table.
		rs.env = make(map[string]any, len(rs.scope)+1)
		for k, v := range rs.scope {
			rs.env[k] = v
		}
		rs.env[stateName] = rs
	}
	return rs.env
}

// errIterations is returned when an expression loops more than MaxIterations.
var errIterations = fmt.Errorf("expression stopped after %d loop iterations: simplify it or move the work into a step", MaxIterations)

// tick counts one predicate call; it checks the context every 1024 calls,
// which makes long loops cancelable without paying for ctx.Err on every item.
func (rs *runState) tick() error {
	rs.iterations++
	if rs.iterations > MaxIterations {
		return errIterations
	}
	if rs.iterations&1023 == 0 {
		if err := rs.ctx.Err(); err != nil {
			return fmt.Errorf("evaluation stopped: %w", err)
		}
	}
	return nil
}

func (rs *runState) clock() time.Time {
	if rs.now.IsZero() {
		return time.Now().UTC()
	}
	return rs.now
}

// options is the configuration every expression compiles with. It is built
// once and never changed.
var options = buildOptions()

func buildOptions() []expr.Option {
	env := types.Map{stateName: types.TypeOf((*runState)(nil))}
	for _, n := range ScopeNames {
		env[n] = types.Any
	}
	opts := []expr.Option{
		expr.Env(env),
		expr.MaxNodes(MaxNodes),
		expr.Patch(sandbox{}),
		expr.Function("__tick", func(args ...any) (any, error) {
			return nil, args[0].(*runState).tick()
		}, new(func(*runState) any)),
		expr.Function("__add", func(args ...any) (any, error) {
			return add(args[0].(*runState), args[1], args[2])
		}),
		expr.Function("now", func(args ...any) (any, error) {
			return args[0].(*runState).clock(), nil
		}, new(func(*runState) time.Time)),
	}
	opts = append(opts, helperOptions()...)
	return append(opts, guardedOptions()...)
}

// add is `+` with a bound on the length of strings it builds: without it,
// `let a = "x" + "x"; let b = a + a; …` doubles memory with every step.
func add(rs *runState, a, b any) (v any, err error) {
	if sa, ok := a.(string); ok {
		if sb, ok := b.(string); ok {
			if err := rs.str("+", len(sa)+len(sb)); err != nil {
				return nil, err
			}
			return sa + sb, nil
		}
	}
	if a == nil || b == nil {
		return nil, fmt.Errorf("cannot add %s and %s: one side is nil (use default(x, 0))", typeName(a), typeName(b))
	}
	defer func() {
		if r := recover(); r != nil {
			v, err = nil, fmt.Errorf("cannot add %s and %s", typeName(a), typeName(b))
		}
	}()
	return runtime.Add(a, b), nil
}

// keyedBuiltins take a predicate that may be written as a field name:
// groupBy(items, "status") means groupBy(items, .status).
var keyedBuiltins = map[string]bool{"groupBy": true, "sum": true, "sortBy": true}

// sandbox rewrites a parsed expression before type checking:
//   - member access is optional (a.b.c is nil when a or b is nil), the
//     JavaScript-like behaviour users expect from absent data;
//   - every predicate body (map, filter, all, …) first calls __tick, so
//     loops are counted and cancelable;
//   - `+` goes through __add, which bounds string growth;
//   - calls of helpers that allocate (takesState) get the run state as a
//     hidden first argument, so they charge the evaluation's budget;
//   - now() and the bare name now read the run state's clock;
//   - a string literal as the key of groupBy/sum/sortBy is a field name.
type sandbox struct{}

func (sandbox) Visit(node *ast.Node) {
	switch n := (*node).(type) {
	case *ast.MemberNode:
		if n.Method {
			return
		}
		n.Optional = true
		ast.Patch(node, &ast.ChainNode{Node: n})
	case *ast.PredicateNode:
		tick := &ast.CallNode{Callee: &ast.IdentifierNode{Value: "__tick"}, Arguments: []ast.Node{&ast.IdentifierNode{Value: stateName}}}
		n.Node = &ast.SequenceNode{Nodes: []ast.Node{tick, n.Node}}
	case *ast.BinaryNode:
		if n.Operator == "+" {
			ast.Patch(node, &ast.CallNode{Callee: &ast.IdentifierNode{Value: "__add"}, Arguments: []ast.Node{stateIdent(), n.Left, n.Right}})
		}
	case *ast.IdentifierNode:
		if n.Value == "now" {
			ast.Patch(node, &ast.CallNode{Callee: &ast.IdentifierNode{Value: "now"}, Arguments: []ast.Node{&ast.IdentifierNode{Value: stateName}}})
		}
	case *ast.CallNode:
		// now() became now(now(__weft)) through the identifier rule above.
		if inner, ok := n.Callee.(*ast.CallNode); ok && len(n.Arguments) == 0 {
			if id, ok := inner.Callee.(*ast.IdentifierNode); ok && id.Value == "now" {
				ast.Patch(node, inner)
			}
		}
		if id, ok := n.Callee.(*ast.IdentifierNode); ok && takesState(id.Value) && !hasState(n) {
			// A new node, not the old one changed: the checker keeps the
			// type it gave the old node and would not check the call again.
			args := append([]ast.Node{stateIdent()}, n.Arguments...)
			callee := &ast.IdentifierNode{Value: id.Value}
			callee.SetLocation(id.Location())
			ast.Patch(node, &ast.CallNode{Callee: callee, Arguments: args})
		}
	case *ast.BuiltinNode:
		if !keyedBuiltins[n.Name] || len(n.Arguments) < 2 {
			return
		}
		pred, ok := n.Arguments[1].(*ast.PredicateNode)
		if !ok {
			return
		}
		seq, ok := pred.Node.(*ast.SequenceNode)
		if !ok || len(seq.Nodes) != 2 {
			return
		}
		if key, ok := seq.Nodes[1].(*ast.StringNode); ok {
			member := &ast.MemberNode{Node: &ast.PointerNode{}, Property: &ast.StringNode{Value: key.Value}, Optional: true}
			member.SetLocation(key.Location())
			ast.Patch(&seq.Nodes[1], &ast.ChainNode{Node: member})
		}
	}
}

func stateIdent() ast.Node { return &ast.IdentifierNode{Value: stateName} }

// hasState reports whether a call already passes the run state first.
func hasState(n *ast.CallNode) bool {
	if len(n.Arguments) == 0 {
		return false
	}
	id, ok := n.Arguments[0].(*ast.IdentifierNode)
	return ok && id.Value == stateName
}

func typeName(v any) string {
	if v == nil {
		return "nil"
	}
	switch v.(type) {
	case string:
		return "string"
	case int, int64, float64, float32, int32, uint, uint64:
		return "number"
	case bool:
		return "bool"
	case map[string]any:
		return "object"
	case []any:
		return "array"
	case time.Time:
		return "time"
	}
	return fmt.Sprintf("%T", v)
}
