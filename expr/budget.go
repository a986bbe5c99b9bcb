package expr

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"reflect"
	"time"
	"unicode/utf8"
)

// ErrMemoryBudget is the cause of every "memory budget exceeded" error: a
// helper that would build more than the limits allow refuses before it
// allocates, so a hostile expression or hostile data fails the step instead
// of exhausting the process's memory.
var ErrMemoryBudget = errors.New("memory budget exceeded")

// budgetError says which helper refused, how much it would have built and
// the limit, and wraps ErrMemoryBudget. want < 0 means "more than the limit"
// (the size was not computed to the end, or it overflowed).
func budgetError(fn string, want int, what string, limit int) error {
	if want < 0 {
		return fmt.Errorf("%w: %s would build more than %d %s (the limit); reduce the data or move the work into a step",
			ErrMemoryBudget, fn, limit, what)
	}
	return fmt.Errorf("%w: %s would build %d %s, more than the limit of %d; reduce the data or move the work into a step",
		ErrMemoryBudget, fn, want, what, limit)
}

// str checks that a string of n bytes may be built (at most MaxStringLen)
// and charges it to the evaluation's budget.
func (rs *runState) str(fn string, n int) error {
	if n < 0 || n > MaxStringLen {
		return budgetError(fn, n, "bytes of string", MaxStringLen)
	}
	return rs.grow(fn, n)
}

// strCopy is str for helpers that build their result in a buffer and then
// copy it into the string (encoders): n is the result, charged twice.
func (rs *runState) strCopy(fn string, n int) error {
	if n < 0 || n > MaxStringLen {
		return budgetError(fn, n, "bytes of string", MaxStringLen)
	}
	return rs.grow(fn, 2*n)
}

// grow charges n bytes to the evaluation's budget (MaxEvalBytes for
// everything that helpers build while one step's inputs are evaluated).
func (rs *runState) grow(fn string, n int) error {
	if n < 0 || n > MaxEvalBytes-rs.built {
		if n >= 0 {
			n += rs.built
		}
		return budgetError(fn, n, "bytes in this step's inputs", MaxEvalBytes)
	}
	rs.built += n
	return nil
}

// output charges the encoded size of an evaluation result to the output
// budget: values may share data (map(1..1000000, trigger.body) builds one
// list of references), and what a step receives is stored and encoded as
// JSON, so the bound is on the encoded form, not on what was allocated.
func (rs *runState) output(v any) error {
	limit := MaxEvalBytes - rs.out
	n := encodedSize(v, limit, false)
	if n > limit {
		return errOutputTooLarge()
	}
	rs.out += n
	return nil
}

// checkOutput fails when v alone would overflow what is left of the output
// budget, without charging it.
func (rs *runState) checkOutput(v any) error {
	if limit := MaxEvalBytes - rs.out; encodedSize(v, limit, false) > limit {
		return errOutputTooLarge()
	}
	return nil
}

func errOutputTooLarge() error {
	return fmt.Errorf("%w: the evaluated value would be more than %d bytes as JSON (the limit); reduce the data or move the work into a step",
		ErrMemoryBudget, MaxEvalBytes)
}

// mulSize returns a*b, or -1 when it overflows.
func mulSize(a, b int) int {
	if a < 0 || b < 0 {
		return -1
	}
	if a == 0 || b == 0 {
		return 0
	}
	if a > math.MaxInt/b {
		return -1
	}
	return a * b
}

// elemSize is what one element of a built list or map costs in the budget:
// an interface slot plus its share of bookkeeping.
const elemSize = 16

// EncodedSize estimates the length of v encoded as compact JSON, stopping
// as soon as the estimate passes limit (it then returns a value above
// limit): measuring a huge value, or a small one that shares its parts many
// times over, costs no more than measuring limit bytes. Other packages that
// run user programs (the jq step) bound their values with it.
func EncodedSize(v any, limit int) int { return encodedSize(v, limit, false) }

// encodedSize estimates the length of v encoded as JSON (with toJSON's
// two-space indentation when indent is set). It stops as soon as the
// estimate passes limit and then returns a value above limit, so measuring
// a huge value costs no more than measuring limit bytes.
func encodedSize(v any, limit int, indent bool) int {
	s := sizer{limit: limit, indent: indent}
	s.walk(v, 0)
	return s.n
}

type sizer struct {
	n, limit int
	indent   bool
}

// add counts k bytes and reports whether the estimate is still within limit.
func (s *sizer) add(k int) bool {
	if k > s.limit-s.n {
		s.n = s.limit + 1
		return false
	}
	s.n += k
	return true
}

// sep is the cost of one element's separator and indentation at depth.
func (s *sizer) sep(depth int) int {
	if s.indent {
		return 2 + 2*depth
	}
	return 1
}

func (s *sizer) walk(v any, depth int) bool {
	switch x := v.(type) {
	case nil:
		return s.add(4)
	case bool:
		return s.add(5)
	case string:
		return s.add(quotedLen(x, s.limit-s.n))
	case int, int64, int32, float64, float32, uint, uint64, uint32, int8, int16, uint8, uint16:
		return s.add(24)
	case time.Time, time.Duration:
		return s.add(40)
	case *big.Int:
		// gojq keeps integers beyond int64 as big.Int: about 0.302 decimal
		// digits per bit, plus a sign.
		return s.add(2 + x.BitLen()*302/1000)
	case []any:
		if !s.add(2 + len(x)*s.sep(depth+1)) {
			return false
		}
		for _, e := range x {
			if !s.walk(e, depth+1) {
				return false
			}
		}
		return true
	case map[string]any:
		if !s.add(2 + len(x)*(2+s.sep(depth+1))) {
			return false
		}
		for k, e := range x {
			if !s.add(quotedLen(k, s.limit-s.n)) || !s.walk(e, depth+1) {
				return false
			}
		}
		return true
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Slice, reflect.Array:
		if !s.add(2 + rv.Len()*s.sep(depth+1)) {
			return false
		}
		for i := 0; i < rv.Len(); i++ {
			if !s.walk(rv.Index(i).Interface(), depth+1) {
				return false
			}
		}
		return true
	case reflect.Map:
		if !s.add(2 + rv.Len()*(4+s.sep(depth+1))) {
			return false
		}
		it := rv.MapRange()
		for it.Next() {
			if !s.walk(it.Key().Interface(), depth+1) || !s.walk(it.Value().Interface(), depth+1) {
				return false
			}
		}
		return true
	case reflect.Pointer, reflect.Interface:
		if rv.IsNil() {
			return s.add(4)
		}
		return s.walk(rv.Elem().Interface(), depth)
	case reflect.String:
		return s.add(quotedLen(rv.String(), s.limit-s.n))
	}
	return s.add(24)
}

// quotedExtra is, by ASCII byte, how many bytes its JSON escape adds: 5 for
// \u00XX (control characters, <, >, &), 1 for \" and \\, else 0. A table
// lookup instead of six comparisons per byte.
var quotedExtra = func() (t [utf8.RuneSelf]int8) {
	for c := range t {
		switch {
		case c < 0x20, c == '<', c == '>', c == '&':
			t[c] = 5
		case c == '"', c == '\\':
			t[c] = 1
		}
	}
	return t
}()

// quotedLen is the length of s as a JSON string (json.Marshal escapes
// control characters and <, >, & as \u00XX). A string longer than limit
// returns at once without being scanned.
func quotedLen(s string, limit int) int {
	n := len(s) + 2
	if n > limit {
		return n
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < utf8.RuneSelf {
			n += int(quotedExtra[c])
			continue
		}
		// Invalid UTF-8 becomes \ufffd; valid text is written as it is.
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			n += 5
		}
		i += size - 1
	}
	return n
}
