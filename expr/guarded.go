package expr

import (
	"fmt"
	"reflect"
	"strings"
	"unicode/utf8"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/builtin"
	"github.com/expr-lang/expr/conf"
	"github.com/expr-lang/expr/vm/runtime"
)

// expr's builtins allocate first and account afterwards (repeat builds its
// string, then reports its size to the VM), so one call can exhaust the
// process before the VM's budget sees it. Each builtin below is replaced by
// a function of the same name that computes the size of its result from its
// arguments, refuses with ErrMemoryBudget when it does not fit, and only
// then calls expr's own implementation: same semantics, same compile-time
// checks, no unbounded allocation.
//
// Builtins that only slice or read (trim, take, first, get, indexOf, …) and
// the predicate builtins (map, filter, groupBy, sortBy, …, bounded by
// MaxIterations and the VM's budget) are not replaced.

// guardedBuiltins maps a builtin's name to the check run before it. The
// charges include what the implementation allocates on the way (a []byte
// copy before a string, reflect's key lists, boxed values), so the budget
// tracks what the process really allocates, not only the result.
var guardedBuiltins = map[string]func(rs *runState, args []any) error{
	"repeat":     checkRepeat,
	"join":       checkJoin,
	"split":      func(rs *runState, a []any) error { return checkSplit(rs, "split", a) },
	"splitAfter": func(rs *runState, a []any) error { return checkSplit(rs, "splitAfter", a) },
	"replace":    checkReplace,
	"upper":      func(rs *runState, a []any) error { return checkCase(rs, "upper", a) },
	"lower":      func(rs *runState, a []any) error { return checkCase(rs, "lower", a) },
	"string":     func(rs *runState, a []any) error { return checkEncoded(rs, "string", a, false) },
	"toJSON":     func(rs *runState, a []any) error { return checkEncoded(rs, "toJSON", a, true) },
	"fromJSON":   checkFromJSON,
	"toBase64":   checkToBase64,
	"fromBase64": func(rs *runState, a []any) error { return checkStringArg(rs, "fromBase64", a, 1) },
	"keys":       func(rs *runState, a []any) error { return checkElems(rs, "keys", a, 4) },
	"values":     func(rs *runState, a []any) error { return checkElems(rs, "values", a, 4) },
	"toPairs":    func(rs *runState, a []any) error { return checkElems(rs, "toPairs", a, 6) },
	"fromPairs":  func(rs *runState, a []any) error { return checkElems(rs, "fromPairs", a, 6) },
	"reverse":    func(rs *runState, a []any) error { return checkElems(rs, "reverse", a, 2) },
	"uniq":       func(rs *runState, a []any) error { return checkElems(rs, "uniq", a, 8) },
	"sort":       func(rs *runState, a []any) error { return checkElems(rs, "sort", a, 2) },
	"median":     func(rs *runState, a []any) error { return checkElems(rs, "median", a, 3) },
	"concat":     checkConcat,
	"flatten":    checkFlatten,
}

// replacedBuiltins are builtins whose implementation Weft replaces, not
// only guards: expr's repeat refuses counts above 1,000,000 even for
// tiny strings but builds any string below that; expr's uniq compares every element with every kept one, so
// 100,000 distinct items from a webhook body cost 5·10⁹ comparisons.
var replacedBuiltins = map[string]func(rs *runState, args []any) (any, error){
	"uniq":   uniq,
	"repeat": repeat,
}

// stateType is the type of the hidden first argument guarded functions get.
var stateType = reflect.TypeOf((*runState)(nil))

// guardedOptions declares the replacements for guardedBuiltins.
func guardedOptions() []expr.Option {
	opts := make([]expr.Option, 0, len(guardedBuiltins))
	for name, check := range guardedBuiltins {
		opts = append(opts, guard(name, check))
	}
	return opts
}

// guard returns an option that replaces builtin name by a function taking
// the run state first (the sandbox adds it to every call), running check
// before expr's implementation.
func guard(name string, check func(*runState, []any) error) expr.Option {
	orig := builtin.Builtins[builtin.Index[name]]
	if orig == nil || orig.Name != name {
		panic("expr: no builtin " + name)
	}
	fn := &builtin.Function{
		Name: name,
		Func: func(args ...any) (any, error) {
			rs := args[0].(*runState)
			if err := check(rs, args[1:]); err != nil {
				return nil, err
			}
			if impl := replacedBuiltins[name]; impl != nil {
				return impl(rs, args[1:])
			}
			return callBuiltin(orig, args[1:])
		},
	}
	for _, t := range orig.Types {
		fn.Types = append(fn.Types, withState(t))
	}
	if orig.Validate != nil {
		fn.Validate = func(args []reflect.Type) (reflect.Type, error) { return orig.Validate(args[1:]) }
	}
	return func(c *conf.Config) { c.Functions[name] = fn }
}

// withState prepends *runState to a function type's parameters.
func withState(t reflect.Type) reflect.Type {
	in := []reflect.Type{stateType}
	for i := 0; i < t.NumIn(); i++ {
		in = append(in, t.In(i))
	}
	out := make([]reflect.Type, t.NumOut())
	for i := range out {
		out[i] = t.Out(i)
	}
	return reflect.FuncOf(in, out, t.IsVariadic())
}

// callBuiltin calls expr's implementation, whichever form it has.
func callBuiltin(f *builtin.Function, args []any) (any, error) {
	switch {
	case f.Func != nil:
		return f.Func(args...)
	case f.Safe != nil:
		out, _, err := f.Safe(args...)
		return out, err
	case f.Fast != nil:
		if len(args) != 1 {
			return nil, fmt.Errorf("%s: want 1 argument, got %d", f.Name, len(args))
		}
		return f.Fast(args[0]), nil
	}
	return nil, fmt.Errorf("%s: not callable", f.Name)
}

func checkRepeat(rs *runState, a []any) error {
	if len(a) != 2 {
		return nil // expr's implementation reports the mistake
	}
	s, ok := a[0].(string)
	if !ok {
		return nil
	}
	n, err := toInt(a[1])
	if err != nil || n < 0 {
		return nil
	}
	return rs.str("repeat", mulSize(len(s), n))
}

// toInt converts a count the way expr does, without panicking on
// non-numbers (expr's implementation then reports them).
func toInt(v any) (n int, err error) {
	defer func() {
		if recover() != nil {
			err = fmt.Errorf("not a number")
		}
	}()
	return runtime.ToInt(v), nil
}

// repeat is strings.Repeat once checkRepeat has bounded the result.
func repeat(_ *runState, a []any) (any, error) {
	if len(a) != 2 {
		return nil, fmt.Errorf("invalid number of arguments for repeat (expected 2, got %d)", len(a))
	}
	s, ok := a[0].(string)
	if !ok {
		return nil, fmt.Errorf("repeat: first argument must be a string, not %s", typeName(a[0]))
	}
	n, err := toInt(a[1])
	if err != nil {
		return nil, fmt.Errorf("repeat: count must be a number, not %s", typeName(a[1]))
	}
	if n < 0 {
		return nil, fmt.Errorf("invalid argument for repeat (expected positive integer, got %d)", n)
	}
	return strings.Repeat(s, n), nil
}

func checkJoin(rs *runState, a []any) error {
	if len(a) == 0 {
		return nil
	}
	glue := 0
	if len(a) == 2 {
		if g, ok := a[1].(string); ok {
			glue = len(g)
		}
	}
	total := length(a[0]) * elemSize // join copies a list of any into []string first
	add := func(s string) bool {
		total += len(s) + glue
		return total <= MaxStringLen
	}
	switch list := a[0].(type) {
	case []string:
		for _, s := range list {
			if !add(s) {
				return rs.str("join", -1)
			}
		}
	case []any:
		for _, e := range list {
			if s, ok := e.(string); ok && !add(s) {
				return rs.str("join", -1)
			}
		}
	}
	return rs.str("join", total)
}

func checkSplit(rs *runState, fn string, a []any) error {
	if len(a) < 2 {
		return nil
	}
	s, ok1 := a[0].(string)
	sep, ok2 := a[1].(string)
	if !ok1 || !ok2 {
		return nil
	}
	var parts int
	if sep == "" {
		parts = utf8.RuneCountInString(s)
	} else {
		parts = strings.Count(s, sep) + 1
	}
	if len(a) == 3 {
		if n, err := toInt(a[2]); err == nil && n >= 0 && n < parts {
			parts = n
		}
	}
	return rs.grow(fn, mulSize(parts, elemSize))
}

func checkReplace(rs *runState, a []any) error {
	if len(a) < 3 {
		return nil
	}
	s, ok1 := a[0].(string)
	old, ok2 := a[1].(string)
	repl, ok3 := a[2].(string)
	if !ok1 || !ok2 || !ok3 {
		return nil
	}
	var count int
	if old == "" {
		count = utf8.RuneCountInString(s) + 1
	} else {
		count = strings.Count(s, old)
	}
	if len(a) == 4 {
		if n, err := toInt(a[3]); err == nil && n >= 0 && n < count {
			count = n
		}
	}
	grow := len(repl) - len(old)
	if grow <= 0 {
		return rs.str("replace", len(s))
	}
	extra := mulSize(count, grow)
	if extra < 0 {
		return rs.str("replace", -1)
	}
	return rs.str("replace", len(s)+extra)
}

// checkCase bounds upper and lower: a case change can grow UTF-8 text by at
// most half (ɐ, 2 bytes, becomes Ɐ, 3 bytes).
func checkCase(rs *runState, fn string, a []any) error {
	if len(a) != 1 {
		return nil
	}
	s, ok := a[0].(string)
	if !ok {
		return nil
	}
	return rs.str(fn, len(s)+len(s)/2)
}

// checkEncoded bounds string(v) and toJSON(v) by the encoded size of v.
func checkEncoded(rs *runState, fn string, a []any, indent bool) error {
	if len(a) != 1 {
		return nil
	}
	n := encodedSize(a[0], MaxStringLen, indent)
	if n > MaxStringLen {
		return rs.str(fn, -1)
	}
	return rs.strCopy(fn, n)
}

// checkFromJSON bounds what decoding builds: the text's bytes plus a slot
// for each value (commas and brackets count the values; commas inside
// strings only make the estimate larger).
func checkFromJSON(rs *runState, a []any) error {
	if len(a) != 1 {
		return nil
	}
	s, ok := a[0].(string)
	if !ok {
		return nil
	}
	if len(s) > MaxStringLen {
		return rs.str("fromJSON", len(s))
	}
	values := 1
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ',', '[':
			values++
		case '{', ':':
			values += 3 // a map entry costs more than a list slot
		}
	}
	// The decoder copies the text, boxes each value and grows each list by
	// doubling: about three slots per value.
	return rs.grow("fromJSON", 2*len(s)+mulSize(values, 3*elemSize))
}

func checkToBase64(rs *runState, a []any) error {
	if len(a) != 1 {
		return nil
	}
	s, ok := a[0].(string)
	if !ok {
		return nil
	}
	if err := rs.strCopy("toBase64", (len(s)+2)/3*4); err != nil {
		return err
	}
	return rs.grow("toBase64", len(s)) // the []byte copy of the input
}

// checkStringArg charges a string argument's length (times factor) for
// helpers whose result is no longer than their input.
func checkStringArg(rs *runState, fn string, a []any, factor int) error {
	if len(a) < 1 {
		return nil
	}
	s, ok := a[0].(string)
	if !ok {
		return nil
	}
	if err := rs.str(fn, mulSize(len(s), factor)); err != nil {
		return err
	}
	return rs.grow(fn, len(s)) // the []byte copy of the input
}

// checkElems charges factor slots per element of the first argument (a
// list or a map) for helpers that copy it.
func checkElems(rs *runState, fn string, a []any, factor int) error {
	if len(a) < 1 {
		return nil
	}
	return rs.grow(fn, mulSize(length(a[0]), factor*elemSize))
}

// length is len(v) for lists and maps, 0 for anything else.
func length(v any) int {
	switch x := v.(type) {
	case []any:
		return len(x)
	case map[string]any:
		return len(x)
	case nil:
		return 0
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Slice, reflect.Array, reflect.Map:
		return rv.Len()
	}
	return 0
}

func checkConcat(rs *runState, a []any) error {
	total := 0
	for _, e := range a {
		total += length(e)
		if total > MaxEvalBytes/(6*elemSize) {
			return rs.grow("concat", -1)
		}
	}
	return rs.grow("concat", total*6*elemSize)
}

// checkFlatten counts the leaves flatten would copy, stopping at the budget:
// nested lists may share data, so the count can be far larger than memory.
func checkFlatten(rs *runState, a []any) error {
	if len(a) != 1 {
		return nil
	}
	limit := (MaxEvalBytes - rs.built) / (2 * elemSize)
	n := countLeaves(reflect.ValueOf(a[0]), limit, 0)
	if n > limit {
		return rs.grow("flatten", -1)
	}
	return rs.grow("flatten", n*2*elemSize)
}

func countLeaves(v reflect.Value, limit, depth int) int {
	for v.Kind() == reflect.Interface || v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return 1
		}
		v = v.Elem()
	}
	if v.Kind() != reflect.Slice && v.Kind() != reflect.Array {
		return 1
	}
	if depth > builtin.MaxDepth {
		return 0 // expr's implementation reports the depth
	}
	n := 0
	for i := 0; i < v.Len(); i++ {
		n += countLeaves(v.Index(i), limit-n, depth+1)
		if n > limit {
			return n
		}
	}
	return n
}

// uniq is expr's uniq (first occurrences, in order, equal as == says) in
// linear time for scalars: numbers, strings, booleans and nil are looked up
// in a set; other values (lists, maps, times) are compared one by one, each
// comparison counted as a loop iteration.
func uniq(rs *runState, args []any) (any, error) {
	if len(args) != 1 {
		return nil, fmt.Errorf("invalid number of arguments (expected 1, got %d)", len(args))
	}
	v := reflect.ValueOf(args[0])
	if v.Kind() != reflect.Array && v.Kind() != reflect.Slice {
		return nil, fmt.Errorf("cannot uniq %s", v.Kind())
	}
	ret := []any{}
	seen := map[any]bool{}
	var others []any
	for i := 0; i < v.Len(); i++ {
		x := v.Index(i).Interface()
		if k, ok := uniqKey(x); ok {
			if seen[k] {
				continue
			}
			seen[k] = true
			ret = append(ret, x)
			continue
		}
		dup := false
		for _, o := range others {
			if err := rs.tick(); err != nil {
				return nil, err
			}
			if runtime.Equal(x, o) {
				dup = true
				break
			}
		}
		if !dup {
			others = append(others, x)
			ret = append(ret, x)
		}
	}
	return ret, nil
}

// numKey is the set key of a number: == compares 1 and 1.0 as equal, so
// integral values share the key of their int64.
type numKey struct {
	i     int64
	f     float64
	float bool
}

// uniqKey returns the set key of a scalar, or false for values compared one
// by one.
func uniqKey(x any) (any, bool) {
	switch v := x.(type) {
	case nil:
		return nil, true
	case string, bool:
		return v, true
	case int:
		return numKey{i: int64(v)}, true
	case int64:
		return numKey{i: v}, true
	case int32:
		return numKey{i: int64(v)}, true
	case float64:
		return floatKey(v)
	case float32:
		return floatKey(float64(v))
	}
	return nil, false
}

func floatKey(f float64) (any, bool) {
	if f != f {
		return nil, false // NaN equals nothing, itself included
	}
	if f >= -(1<<53) && f <= 1<<53 && f == float64(int64(f)) {
		return numKey{i: int64(f)}, true
	}
	return numKey{f: f, float: true}, true
}
