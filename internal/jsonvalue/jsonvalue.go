// Package jsonvalue encodes the values JSON decodes into (map[string]any,
// []any, string, float64, bool, nil, json.Number), and map[string]string,
// byte for byte as encoding/json.Marshal does, without reflection.
//
// Every step's input and output is such a value and is encoded on each
// request; encoding/json walks maps through reflect, which allocates for
// every key and value. Anything else (structs, typed maps, raw messages)
// goes to encoding/json unchanged.
package jsonvalue

import (
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxDepth is where encoding/json starts looking for cycles; past it the
// value is handed to encoding/json, which reports a cycle as an error
// instead of recursing until the stack runs out.
const maxDepth = 1000

// Marshal returns what json.Marshal(v) returns.
func Marshal(v any) ([]byte, error) {
	b, ok := appendValue(make([]byte, 0, 128), v, 0)
	if !ok {
		return json.Marshal(v)
	}
	return b, nil
}

// Append appends what json.Marshal(v) returns to b.
func Append(b []byte, v any) ([]byte, error) {
	n := len(b)
	out, ok := appendValue(b, v, 0)
	if ok {
		return out, nil
	}
	enc, err := json.Marshal(v)
	if err != nil {
		return b[:n], err
	}
	return append(out[:n], enc...), nil
}

// AppendString appends s as json.Marshal encodes a string.
func AppendString(b []byte, s string) []byte { return appendString(b, s) }

// appendValue appends v's encoding; ok is false when v holds something this
// package leaves to encoding/json (the caller then encodes the whole value
// there, so errors read exactly as encoding/json's).
func appendValue(b []byte, v any, depth int) ([]byte, bool) {
	if depth > maxDepth {
		return b, false
	}
	switch x := v.(type) {
	case nil:
		return append(b, "null"...), true
	case string:
		return appendString(b, x), true
	case bool:
		return strconv.AppendBool(b, x), true
	case float64:
		return appendFloat(b, x)
	case int:
		return strconv.AppendInt(b, int64(x), 10), true
	case int64:
		return strconv.AppendInt(b, x, 10), true
	case json.Number:
		if x == "" {
			return append(b, '0'), true
		}
		return b, false // encoding/json validates the literal
	case map[string]any:
		return appendObject(b, x, depth, appendValue)
	case map[string]string:
		// The respond step's headers: typed, but as plain as a string.
		return appendObject(b, x, depth, appendStringValue)
	case []any:
		if x == nil {
			return append(b, "null"...), true
		}
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			var ok bool
			if b, ok = appendValue(b, e, depth+1); !ok {
				return b, false
			}
		}
		return append(b, ']'), true
	}
	return b, false
}

// appendFloat is encoding/json's float64 encoder.
func appendFloat(b []byte, f float64) ([]byte, bool) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return b, false
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// Clean up e-09 to e-9, as encoding/json does.
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b, true
}

const hex = "0123456789abcdef"

// htmlSafe[c] is true for the ASCII bytes a string holds as they are: not a
// control character, quote, backslash, <, > or &. A table lookup instead of
// six comparisons per byte.
var htmlSafe = func() (t [utf8.RuneSelf]bool) {
	for c := byte(0x20); c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()

// appendString is encoding/json's string encoder with HTML escaping on (the
// default of json.Marshal).
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if htmlSafe[c] {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// appendObject writes m as a JSON object with sorted keys, as
// encoding/json does, each value written by appendV at depth+1.
func appendObject[V any](b []byte, m map[string]V, depth int, appendV func([]byte, V, int) ([]byte, bool)) ([]byte, bool) {
	if m == nil {
		return append(b, "null"...), true
	}
	// The entries are sorted with their values, so no key is looked up
	// again; a small object's in an array on the stack, by insertion.
	var small [8]entry[V]
	es := small[:0]
	if len(m) > len(small) {
		es = make([]entry[V], 0, len(m))
	}
	for k, v := range m {
		es = append(es, entry[V]{k, v})
	}
	if len(es) <= len(small) {
		for i := 1; i < len(es); i++ {
			for j := i; j > 0 && es[j].k < es[j-1].k; j-- {
				es[j], es[j-1] = es[j-1], es[j]
			}
		}
	} else {
		slices.SortFunc(es, func(x, y entry[V]) int { return strings.Compare(x.k, y.k) })
	}
	b = append(b, '{')
	for i := range es {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, es[i].k)
		b = append(b, ':')
		var ok bool
		if b, ok = appendV(b, es[i].v, depth+1); !ok {
			return b, false
		}
	}
	return append(b, '}'), true
}

// entry is one member of an object being written.
type entry[V any] struct {
	k string
	v V
}

func appendStringValue(b []byte, s string, _ int) ([]byte, bool) { return appendString(b, s), true }
