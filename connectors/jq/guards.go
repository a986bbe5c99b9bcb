package jq

import (
	"math"
	"math/big"
	"math/bits"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/itchyny/gojq"

	"github.com/weftworks/weft/expr"
)

// guardOptions registers the Go side of prelude.jq for one run: weft:check
// measures what a builtin is about to build, weft:index checks a computed
// index. Anything a check does not understand (a wrong type) passes through
// so that gojq's own builtin reports it with its usual message.
func guardOptions(b *budget) []gojq.CompilerOption {
	return []gojq.CompilerOption{
		gojq.WithFunction(hidden+"add", 2, 2, b.operator("+")),
		gojq.WithFunction(hidden+"sub", 2, 2, b.operator("-")),
		gojq.WithFunction(hidden+"mul", 2, 2, b.operator("*")),
		gojq.WithFunction(hidden+"div", 2, 2, b.operator("/")),
		gojq.WithFunction(hidden+"check", 1, 4, func(v any, args []any) any {
			name, _ := args[0].(string)
			if err := b.check(name, v, args[1:]); err != nil {
				return err
			}
			if name == "path" {
				return true
			}
			return v
		}),
		gojq.WithFunction(hidden+"index", 0, 0, func(v any, _ []any) any {
			if f, ok := gojq.ToFloat64(v); ok && f > MaxElements {
				return b.fail(refuse("index %.0f is more than the limit of %d elements", f, MaxElements))
			}
			return v
		}),
	}
}

// check measures builtin name applied to v with args before gojq runs it.
func (b *budget) check(name string, v any, args []any) error {
	switch name {
	case "+":
		return b.checkAdd(args[0], args[1])
	case "-":
		l, lok := args[0].([]any)
		r, rok := args[1].([]any)
		if lok && rok { // every element compared with every one
			return b.instr(scaled(mulSize(len(l), len(r)), 8))
		}
	case "*":
		return b.checkMul(args[0], args[1])
	case "/":
		if s, ok := args[0].(string); ok {
			if sep, ok := args[1].(string); ok {
				n := utf8.RuneCountInString(s)
				if sep != "" {
					n = strings.Count(s, sep) + 1
				}
				return b.elems("split", n)
			}
		}
	case "tostring":
		if _, ok := v.(string); ok {
			return nil
		}
		return b.str(name, expr.EncodedSize(v, MaxStringLen+1))
	case "tojson":
		return b.str(name, expr.EncodedSize(v, MaxStringLen+1))
	case "fromjson":
		if s, ok := v.(string); ok {
			return b.grow(name, mulSize(len(s), 12)) // decoded values cost more than their text
		}
	case "ascii_downcase", "ascii_upcase":
		if s, ok := v.(string); ok {
			return b.str(name, len(s))
		}
	case "implode":
		if a, ok := v.([]any); ok {
			return b.str(name, mulSize(len(a), utf8.UTFMax))
		}
	case "explode":
		if s, ok := v.(string); ok {
			return b.elems(name, utf8.RuneCountInString(s))
		}
	case "add":
		return b.checkAddAll(v)
	case "flatten":
		depth := 1 << 30
		if len(args) > 0 {
			if d, ok := gojq.ToFloat64(args[0]); ok && d >= 0 && d < float64(depth) {
				depth = int(d)
			}
		}
		if a, ok := v.([]any); ok {
			return b.elems(name, leaves(a, depth, MaxElements+1))
		}
	case "transpose":
		if a, ok := v.([]any); ok {
			longest := 0
			for _, e := range a {
				if e, ok := e.([]any); ok {
					longest = max(longest, len(e))
				}
			}
			return b.elems(name, mulSize(len(a), longest))
		}
	case "sort", "unique":
		a, ok := v.([]any)
		if len(args) > 0 {
			a, ok = args[0].([]any)
		}
		if ok {
			if err := b.instr(len(a) * bits.Len(uint(len(a))) / 8); err != nil {
				return err
			}
			return b.elems(name, len(a))
		}
	case "join":
		return b.checkJoin(v, args[0])
	case "format":
		f, _ := args[0].(string)
		return b.str("@"+f, mulSize(expr.EncodedSize(v, MaxStringLen+1), formatFactor(f)))
	case "strftime":
		if f, ok := args[0].(string); ok {
			return b.str(name, mulSize(len(f), 32))
		}
	case "setpath", "path":
		if p, ok := args[0].([]any); ok {
			for _, k := range p {
				if f, ok := gojq.ToFloat64(k); ok && f > MaxElements {
					return b.fail(refuse("%s: index %.0f is more than the limit of %d elements", name, f, MaxElements))
				}
			}
		}
	case "match":
		return b.checkMatch(v, args)
	}
	return nil
}

func (b *budget) checkAdd(l, r any) error {
	switch l := l.(type) {
	case string:
		if r, ok := r.(string); ok {
			return b.str("+", len(l)+len(r))
		}
	case []any:
		if r, ok := r.([]any); ok && len(l) > 0 && len(r) > 0 {
			return b.elems("+", len(l)+len(r))
		}
	case map[string]any:
		if r, ok := r.(map[string]any); ok && len(l) > 0 && len(r) > 0 {
			return b.elems("+", len(l)+len(r))
		}
	case *big.Int:
		return b.checkBig("+", l, r, 1)
	}
	if r, ok := r.(*big.Int); ok {
		return b.checkBig("+", r, l, 1)
	}
	return nil
}

func (b *budget) checkMul(l, r any) error {
	if s, ok := l.(string); ok {
		if n, ok := gojq.ToFloat64(r); ok {
			return b.checkRepeat(s, n)
		}
	}
	if s, ok := r.(string); ok {
		if n, ok := gojq.ToFloat64(l); ok {
			return b.checkRepeat(s, n)
		}
	}
	if lm, ok := l.(map[string]any); ok {
		if rm, ok := r.(map[string]any); ok {
			return b.elems("*", mergeSize(lm, rm, MaxElements+1))
		}
	}
	if x, ok := l.(*big.Int); ok {
		return b.checkBig("*", x, r, 0)
	}
	if x, ok := r.(*big.Int); ok {
		return b.checkBig("*", x, l, 0)
	}
	return nil
}

// checkRepeat measures s * n: gojq repeats int(n) times, none below zero
// (NaN counts as below).
func (b *budget) checkRepeat(s string, n float64) error {
	if math.IsNaN(n) || n < 0 {
		return nil
	}
	if float64(len(s))*math.Floor(n) > MaxStringLen {
		return b.fail(refuse("* would build a string of %.0f bytes, more than the limit of %d", float64(len(s))*math.Floor(n), MaxStringLen))
	}
	return b.str("*", len(s)*int(n))
}

// checkBig bounds arithmetic on integers beyond int64: a product has as many
// bits as its factors together (extra 0), a sum one more than the larger
// (extra 1).
func (b *budget) checkBig(op string, x *big.Int, other any, extra int) error {
	n := x.BitLen()
	switch y := other.(type) {
	case *big.Int:
		if extra == 0 {
			n += y.BitLen()
		} else {
			n = max(n, y.BitLen()) + extra
		}
	case int:
		if extra == 0 {
			n += 64
		} else {
			n = max(n, 64) + extra
		}
	default:
		return nil // floats and the rest do not grow
	}
	if n > maxIntBits {
		return b.fail(refuse("%s would build an integer of %d bits, more than the limit of %d", op, n, maxIntBits))
	}
	return b.grow(op, n/8)
}

// mergeSize counts the entries a deep merge of l and r copies, stopping
// past limit (objects may share parts, so the count is not a tree walk to
// the end).
func mergeSize(l, r map[string]any, limit int) int {
	n := len(l) + len(r)
	for k, rv := range r {
		if n > limit {
			return n
		}
		lm, ok := l[k].(map[string]any)
		if !ok {
			continue
		}
		if rm, ok := rv.(map[string]any); ok {
			n += mergeSize(lm, rm, limit-n)
		}
	}
	return n
}

// leaves counts the elements flatten would produce, stopping past limit.
func leaves(a []any, depth, limit int) int {
	n := 0
	for _, e := range a {
		if n > limit {
			return n
		}
		if inner, ok := e.([]any); ok && depth > 0 {
			n += leaves(inner, depth-1, limit-n)
			continue
		}
		n++
	}
	return n
}

// checkAddAll measures add on an array (or an object's values): the sum of
// the strings' lengths, or of the arrays' or objects' sizes.
func (b *budget) checkAddAll(v any) error {
	var vs []any
	switch x := v.(type) {
	case []any:
		vs = x
	case map[string]any:
		for _, e := range x {
			vs = append(vs, e)
		}
	default:
		return nil
	}
	strs, elems := 0, 0
	for _, e := range vs {
		switch e := e.(type) {
		case string:
			strs += len(e)
		case []any:
			elems += len(e)
		case map[string]any:
			elems += len(e)
		}
		if strs > MaxStringLen || elems > MaxElements {
			break
		}
	}
	if err := b.str("add", strs); err != nil {
		return err
	}
	return b.elems("add", elems)
}

// checkJoin measures join: strings as they are, numbers and booleans as
// JSON, null as nothing, a separator between every two.
func (b *budget) checkJoin(v, sep any) error {
	a, ok := v.([]any)
	s, sok := sep.(string)
	if !ok || !sok {
		return nil
	}
	n := mulSize(len(s), max(len(a)-1, 0))
	for _, e := range a {
		if n > MaxStringLen {
			break
		}
		switch e := e.(type) {
		case string:
			n += len(e)
		case nil:
		default:
			n += expr.EncodedSize(e, MaxStringLen+1)
		}
	}
	return b.str("join", n)
}

// checkMatch bounds _match: gojq builds an object per match and converts
// the text before every match to runes to compute offsets, so a global
// match of a short pattern on a long string costs matches × length.
func (b *budget) checkMatch(v any, args []any) error {
	s, ok := v.(string)
	re, rok := args[0].(string)
	flags, _ := args[1].(string)
	if !ok || !rok || args[2] == true {
		return nil
	}
	count := 1
	if strings.ContainsRune(flags, 'g') {
		count = len(s) + 1
		if count > 1000 {
			count = countMatches(s, re, flags)
		}
	}
	if err := b.instr(scaled(mulSize(count, len(s)), 64)); err != nil {
		return err
	}
	return b.elems("match", mulSize(count, 8))
}

// countMatches counts the matches gojq would find (at most twice Go's: gojq
// adds empty matches next to others), capped so that counting itself stays
// small. An invalid pattern counts as one; gojq reports it.
func countMatches(s, re, flags string) int {
	if strings.ContainsRune(flags, 'i') {
		re = "(?i)" + re
	}
	if strings.ContainsRune(flags, 'm') {
		re = "(?s)" + re
	}
	r, err := regexp.Compile(re)
	if err != nil {
		return 1
	}
	const most = MaxElements/8 + 1
	return 2*len(r.FindAllStringIndex(s, most)) + 1
}

// formatFactor is how much larger than its input (as JSON) a format's
// output can be.
func formatFactor(f string) int {
	switch f {
	case "text", "json", "base64d", "base32d", "urid":
		return 1
	case "base64", "base32", "csv", "tsv":
		return 2
	case "uri":
		return 3
	case "sh":
		return 4
	}
	return 6 // html: '&' → "&amp;", '\'' → "&#39;"
}

// scaled returns n/d, keeping -1 (an overflowed size) as -1.
func scaled(n, d int) int {
	if n < 0 {
		return -1
	}
	return n / d
}

// mulSize returns a*b, or -1 when it overflows.
func mulSize(a, b int) int {
	if a < 0 || b < 0 {
		return -1
	}
	if a != 0 && b > math.MaxInt/a {
		return -1
	}
	return a * b
}
