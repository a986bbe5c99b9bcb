package expr

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"
)

// normalize turns what an expression returns into JSON-shaped values, so a
// step sees the same data whether its input came straight from an expression
// or back from the store: times become RFC 3339 strings, durations their
// string form, typed slices and maps []any and map[string]any. Values that are
// already plain are returned as they are, without copying.
func normalize(v any) any {
	out, _ := norm(v)
	return out
}

// norm returns the normalized value and whether it differs from v.
func norm(v any) (any, bool) {
	switch x := v.(type) {
	case nil, string, bool, int, float64:
		return v, false
	case int64:
		return int(x), true
	case int32:
		return int(x), true
	case float32:
		return float64(x), true
	case uint:
		return int(x), true
	case uint64:
		return int(x), true
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano), true
	case time.Duration:
		return x.String(), true
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return int(i), true
		}
		f, _ := x.Float64()
		return f, true
	case []byte:
		return string(x), true
	case map[string]any:
		var out map[string]any
		for k, e := range x {
			n, changed := norm(e)
			if changed && out == nil {
				out = make(map[string]any, len(x))
				for k2, e2 := range x {
					out[k2] = e2
				}
			}
			if out != nil {
				out[k] = n
			}
		}
		if out == nil {
			return x, false
		}
		return out, true
	case []any:
		var out []any
		for i, e := range x {
			n, changed := norm(e)
			if changed && out == nil {
				out = append([]any(nil), x...)
			}
			if out != nil {
				out[i] = n
			}
		}
		if out == nil {
			return x, false
		}
		return out, true
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Slice, reflect.Array:
		out := make([]any, rv.Len())
		for i := range out {
			out[i], _ = norm(rv.Index(i).Interface())
		}
		return out, true
	case reflect.Map:
		out := make(map[string]any, rv.Len())
		iter := rv.MapRange()
		for iter.Next() {
			k, _ := norm(iter.Key().Interface())
			out[fmt.Sprint(k)], _ = norm(iter.Value().Interface())
		}
		return out, true
	case reflect.Pointer:
		if rv.IsNil() {
			return nil, true
		}
		return norm(rv.Elem().Interface())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return int(rv.Int()), true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return int(rv.Uint()), true
	case reflect.Float32, reflect.Float64:
		return rv.Float(), true
	case reflect.String:
		return rv.String(), true
	case reflect.Bool:
		return rv.Bool(), true
	}
	return v, false
}

// interpolate writes v as it appears inside a string: nil is empty, strings
// are written as they are, numbers without exponent where possible, objects
// and arrays as compact JSON.
//
// The text written is refused before it is built when b would grow past
// limit bytes.
func interpolate(b *strings.Builder, v any, limit int) error {
	room := limit - b.Len()
	if n := interpolatedSize(v, room); n > room {
		return budgetError("the template", -1, "bytes of text", limit)
	}
	switch x := v.(type) {
	case nil:
		return nil
	case string:
		b.WriteString(x)
	case bool:
		b.WriteString(strconv.FormatBool(x))
	case int:
		b.WriteString(strconv.Itoa(x))
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1e15 {
			b.WriteString(strconv.FormatInt(int64(x), 10))
		} else {
			b.WriteString(strconv.FormatFloat(x, 'f', -1, 64))
		}
	default:
		out, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("cannot write %s into a string: %w", typeName(v), err)
		}
		b.Write(out)
	}
	return nil
}

// interpolatedSize bounds the length interpolate writes for v (above room
// when it does not fit).
func interpolatedSize(v any, room int) int {
	switch x := v.(type) {
	case nil:
		return 0
	case string:
		return len(x)
	case bool, int, float64:
		return 24
	}
	return encodedSize(v, room, false)
}

// deepCopy copies maps and slices so callers may change what Eval returned.
func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = deepCopy(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = deepCopy(e)
		}
		return out
	}
	return v
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
