package input

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/step"
)

// CodeValidation is the error code of every error this package returns.
const CodeValidation = "validation"

// Reader reads the fields of one request against its spec.
type Reader struct {
	spec *step.Spec
	with map[string]any
}

// New returns a Reader for with, applying the defaults declared in spec.
func New(spec *step.Spec, with map[string]any) Reader {
	return Reader{spec: spec, with: with}
}

// Invalid returns a validation error about field name.
func Invalid(name, format string, args ...any) error {
	return step.Errorf(CodeValidation, "field %q: %s", name, fmt.Sprintf(format, args...))
}

// Has reports whether the user gave field name a non-null value.
func (r Reader) Has(name string) bool {
	v, ok := r.with[name]
	return ok && v != nil
}

// Value returns the user's value of field name or its declared default, and
// whether there is one. A required field without a value is an error.
func (r Reader) Value(name string) (any, bool, error) {
	if v, ok := r.with[name]; ok && v != nil {
		return v, true, nil
	}
	f, declared := r.spec.Lookup(name)
	if !declared {
		return nil, false, nil
	}
	if f.Required {
		return nil, false, Invalid(name, "is required")
	}
	if f.Default != nil {
		return f.Default, true, nil
	}
	return nil, false, nil
}

// String reads a string field ("" when absent without a default). Numbers
// and booleans are accepted and formatted, since a `{{ }}` template inside a
// larger string always yields a string and users should not care.
func (r Reader) String(name string) (string, error) {
	v, ok, err := r.Value(name)
	if err != nil || !ok {
		return "", err
	}
	s, err := Scalar(v)
	if err != nil {
		return "", Invalid(name, "must be a string, got %s", kind(v))
	}
	if f, _ := r.spec.Lookup(name); f.Required && strings.TrimSpace(s) == "" {
		return "", Invalid(name, "is required and must not be empty")
	}
	if f, _ := r.spec.Lookup(name); len(f.Enum) > 0 {
		for _, e := range f.Enum {
			if s == e {
				return s, nil
			}
		}
		return "", Invalid(name, "must be one of %s", strings.Join(f.Enum, ", "))
	}
	return s, nil
}

// Int reads an integer field (0 when absent without a default). Integral
// floats and numeric strings are accepted.
func (r Reader) Int(name string) (int, error) {
	v, ok, err := r.Value(name)
	if err != nil || !ok {
		return 0, err
	}
	n, ok := ToInt(v)
	if !ok {
		return 0, Invalid(name, "must be an integer, got %s", kind(v))
	}
	return n, nil
}

// Bool reads a boolean field (false when absent without a default).
func (r Reader) Bool(name string) (bool, error) {
	v, ok, err := r.Value(name)
	if err != nil || !ok {
		return false, err
	}
	switch b := v.(type) {
	case bool:
		return b, nil
	case string:
		if p, perr := strconv.ParseBool(b); perr == nil {
			return p, nil
		}
	}
	return false, Invalid(name, "must be true or false, got %s", kind(v))
}

// Duration reads a duration field: a string like "30s", "5m" or "7d", or a
// number of seconds (0 when absent without a default).
func (r Reader) Duration(name string) (time.Duration, error) {
	v, ok, err := r.Value(name)
	if err != nil || !ok {
		return 0, err
	}
	switch d := v.(type) {
	case string:
		p, perr := weft.ParseDuration(d)
		if perr != nil {
			return 0, Invalid(name, "%v", perr)
		}
		return p.D(), nil
	case weft.Duration:
		return d.D(), nil
	case time.Duration:
		return d, nil
	}
	if f, isNum := ToFloat(v); isNum {
		if f < 0 || f > math.MaxInt64/float64(time.Second) {
			return 0, Invalid(name, "must be a non-negative number of seconds")
		}
		return time.Duration(f * float64(time.Second)), nil
	}
	return 0, Invalid(name, "must be a duration like 30s, 5m or 2h, got %s", kind(v))
}

// StringMap reads an object whose values are scalars (nil when absent).
// Null values are dropped.
func (r Reader) StringMap(name string) (map[string]string, error) {
	v, ok, err := r.Value(name)
	if err != nil || !ok {
		return nil, err
	}
	m, isMap := v.(map[string]any)
	if !isMap {
		return nil, Invalid(name, "must be an object, got %s", kind(v))
	}
	out := make(map[string]string, len(m))
	for _, k := range SortedKeys(m) {
		if m[k] == nil {
			continue
		}
		s, serr := Scalar(m[k])
		if serr != nil {
			return nil, Invalid(name, "key %q must be a string, number or boolean, got %s", k, kind(m[k]))
		}
		out[k] = s
	}
	return out, nil
}

// Scalar formats a string, number or boolean as a string. Whole floats are
// written without a fraction or exponent (1e6 → "1000000").
func Scalar(v any) (string, error) {
	switch s := v.(type) {
	case string:
		return s, nil
	case bool:
		return strconv.FormatBool(s), nil
	case json.Number:
		return s.String(), nil
	case float64:
		return strconv.FormatFloat(s, 'f', -1, 64), nil
	case float32:
		return strconv.FormatFloat(float64(s), 'f', -1, 32), nil
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return fmt.Sprint(s), nil
	}
	return "", fmt.Errorf("not a scalar: %s", kind(v))
}

// ToInt converts integers, integral floats and numeric strings to int.
func ToInt(v any) (int, bool) {
	switch n := v.(type) {
	case int:
		return n, true
	case int64:
		return int(n), true
	case int32:
		return int(n), true
	case uint32:
		return int(n), true
	case string:
		i, err := strconv.Atoi(strings.TrimSpace(n))
		return i, err == nil
	case json.Number:
		i, err := strconv.Atoi(n.String())
		return i, err == nil
	}
	f, ok := ToFloat(v)
	if !ok || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return 0, false
	}
	return int(f), true
}

// ToFloat converts a number (not a string) to float64.
func ToFloat(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case float32:
		return float64(n), true
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	case int32:
		return float64(n), true
	case uint32:
		return float64(n), true
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	}
	return 0, false
}

// SortedKeys returns the keys of m in order, so that loops over user maps
// produce stable requests and errors.
func SortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// kind names the JSON kind of v for error messages without showing v.
func kind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	case time.Time:
		return "a time"
	}
	if _, ok := ToFloat(v); ok {
		return "a number"
	}
	return fmt.Sprintf("a %T", v)
}
