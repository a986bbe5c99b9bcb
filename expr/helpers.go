package expr

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/expr-lang/expr"
)

// helperOptions declares Weft's helper functions. expr's own builtins
// (upper, lower, trim, keys, values, flatten, groupBy, sum, len, fromJSON,
// toJSON, …) stay available; docs/expressions.md lists both.
func helperOptions() []expr.Option {
	return []expr.Option{
		expr.Function("json", func(args ...any) (any, error) {
			if err := checkEncoded(args[0].(*runState), "json", args[1:], false); err != nil {
				return nil, err
			}
			b, err := json.Marshal(normalize(args[1]))
			if err != nil {
				return nil, fmt.Errorf("json: %w", err)
			}
			return string(b), nil
		}, new(func(*runState, any) string)),
		expr.Function("base64", func(args ...any) (any, error) {
			s, err := str("base64", args[1])
			if err != nil {
				return nil, err
			}
			if err := args[0].(*runState).strCopy("base64", base64.StdEncoding.EncodedLen(len(s))); err != nil {
				return nil, err
			}
			return base64.StdEncoding.EncodeToString([]byte(s)), nil
		}, new(func(*runState, any) string)),
		expr.Function("base64decode", func(args ...any) (any, error) {
			s, err := str("base64decode", args[1])
			if err != nil {
				return nil, err
			}
			if err := args[0].(*runState).strCopy("base64decode", base64.StdEncoding.DecodedLen(len(s))); err != nil {
				return nil, err
			}
			b, err := base64.StdEncoding.DecodeString(s)
			if err != nil {
				b, err = base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
			}
			if err != nil {
				return nil, fmt.Errorf("base64decode: input is not base64")
			}
			return string(b), nil
		}, new(func(*runState, any) string)),
		expr.Function("sha256", func(args ...any) (any, error) {
			s, err := str("sha256", args[0])
			if err != nil {
				return nil, err
			}
			sum := sha256.Sum256([]byte(s))
			return hex.EncodeToString(sum[:]), nil
		}, new(func(any) string)),
		expr.Function("formatDate", formatDate,
			new(func(*runState, any, string) string), new(func(*runState, any, string, string) string)),
		expr.Function("parseDate", parseDate,
			new(func(string) time.Time), new(func(string, string) time.Time), new(func(string, string, string) time.Time)),
		expr.Function("default", func(args ...any) (any, error) {
			if empty(args[0]) {
				return args[1], nil
			}
			return args[0], nil
		}, new(func(any, any) any)),
		expr.Function("coalesce", func(args ...any) (any, error) {
			for _, a := range args {
				if !empty(a) {
					return a, nil
				}
			}
			return nil, nil
		}),
		expr.Function("pick", func(args ...any) (any, error) { return pickOmit("pick", args, true) }),
		expr.Function("omit", func(args ...any) (any, error) { return pickOmit("omit", args, false) }),
		expr.Function("rename", rename),
	}
}

// statefulHelpers are Weft's helpers that allocate in proportion to their
// arguments: like guardedBuiltins they get the run state as a hidden first
// argument and charge what they build to its budget before building it.
var statefulHelpers = map[string]bool{
	"json": true, "base64": true, "base64decode": true, "formatDate": true,
	"pick": true, "omit": true, "rename": true,
}

// takesState reports whether calls to the function name get the run state
// as a hidden first argument.
func takesState(name string) bool {
	if statefulHelpers[name] {
		return true
	}
	_, ok := guardedBuiltins[name]
	return ok
}

// entries charges the map that pick, omit and rename build.
func entries(rs *runState, fn string, obj map[string]any) error {
	return rs.grow(fn, mulSize(len(obj), 4*elemSize))
}

// rename(obj, {old: new, …}) returns obj with keys renamed; keys not in the
// mapping are kept.
func rename(args ...any) (any, error) {
	rs, args := args[0].(*runState), args[1:]
	if len(args) != 2 {
		return nil, fmt.Errorf("rename: want rename(object, {old: 'new'}), got %d arguments", len(args))
	}
	obj, ok := normalize(args[0]).(map[string]any)
	if !ok {
		return nil, fmt.Errorf("rename: first argument must be an object, not %T", args[0])
	}
	names, ok := normalize(args[1]).(map[string]any)
	if !ok {
		return nil, fmt.Errorf("rename: second argument must map old names to new ones, not %T", args[1])
	}
	if err := entries(rs, "rename", obj); err != nil {
		return nil, err
	}
	out := make(map[string]any, len(obj))
	for k, v := range obj {
		if n, ok := names[k].(string); ok && n != "" {
			out[n] = v
			continue
		}
		if _, taken := out[k]; !taken {
			out[k] = v
		}
	}
	return out, nil
}

// empty is what default and coalesce skip: nil and the empty string.
func empty(v any) bool {
	if v == nil {
		return true
	}
	s, ok := v.(string)
	return ok && s == ""
}

func str(fn string, v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case nil:
		return "", fmt.Errorf("%s: argument is nil (the data may be missing; use default(x, \"\"))", fn)
	case []byte:
		return string(x), nil
	}
	return "", fmt.Errorf("%s: argument must be a string, not %s", fn, typeName(v))
}

func pickOmit(fn string, args []any, keep bool) (any, error) {
	rs, args := args[0].(*runState), args[1:]
	if len(args) == 0 {
		return nil, fmt.Errorf("%s: needs an object and key names", fn)
	}
	if args[0] == nil {
		return nil, nil
	}
	obj, ok := normalize(args[0]).(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s: first argument must be an object, not %s", fn, typeName(args[0]))
	}
	if err := entries(rs, fn, obj); err != nil {
		return nil, err
	}
	names := map[string]bool{}
	for _, a := range args[1:] {
		switch k := a.(type) {
		case string:
			names[k] = true
		case []any:
			for _, e := range k {
				if s, ok := e.(string); ok {
					names[s] = true
				}
			}
		case []string:
			for _, s := range k {
				names[s] = true
			}
		default:
			return nil, fmt.Errorf("%s: keys must be strings, not %s", fn, typeName(a))
		}
	}
	out := make(map[string]any, len(obj))
	for k, v := range obj {
		if names[k] == keep {
			out[k] = v
		}
	}
	return out, nil
}

// layouts are the friendly names formatDate and parseDate accept besides a
// Go reference layout ("2006-01-02 15:04").
var layouts = map[string]string{
	"RFC3339":     time.RFC3339,
	"RFC3339Nano": time.RFC3339Nano,
	"RFC1123":     time.RFC1123,
	"RFC1123Z":    time.RFC1123Z,
	"RFC822":      time.RFC822,
	"DateTime":    time.DateTime,
	"DateOnly":    time.DateOnly,
	"TimeOnly":    time.TimeOnly,
	"Kitchen":     time.Kitchen,
}

func layout(name string) string {
	if l, ok := layouts[name]; ok {
		return l
	}
	return name
}

func location(fn, name string) (*time.Location, error) {
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("%s: unknown timezone %q (use an IANA name like Europe/Copenhagen)", fn, name)
	}
	return loc, nil
}

// toTime accepts a time, an RFC 3339 string (or date-only string) or a Unix
// timestamp in seconds, because stored outputs hold times as strings.
func toTime(fn string, v any) (time.Time, error) {
	switch x := v.(type) {
	case time.Time:
		return x, nil
	case string:
		for _, l := range []string{time.RFC3339Nano, time.DateTime, time.DateOnly} {
			if t, err := time.Parse(l, x); err == nil {
				return t, nil
			}
		}
		return time.Time{}, fmt.Errorf("%s: %q is not an RFC 3339 time; use parseDate(s, layout) first", fn, x)
	case int:
		return time.Unix(int64(x), 0).UTC(), nil
	case int64:
		return time.Unix(x, 0).UTC(), nil
	case float64:
		sec := int64(x)
		return time.Unix(sec, int64((x-float64(sec))*1e9)).UTC(), nil
	case nil:
		return time.Time{}, fmt.Errorf("%s: time is nil (the data may be missing)", fn)
	}
	return time.Time{}, fmt.Errorf("%s: cannot use %s as a time", fn, typeName(v))
}

func formatDate(args ...any) (any, error) {
	rs, args := args[0].(*runState), args[1:]
	// A layout's elements print at most twice their length ("1" → "12",
	// "Monday" → "Wednesday"), plus room for zone names.
	if err := rs.str("formatDate", 2*len(args[1].(string))+64); err != nil {
		return nil, err
	}
	t, err := toTime("formatDate", args[0])
	if err != nil {
		return nil, err
	}
	if len(args) == 3 {
		loc, err := location("formatDate", args[2].(string))
		if err != nil {
			return nil, err
		}
		t = t.In(loc)
	}
	l := args[1].(string)
	if l == "unix" {
		return strconv.FormatInt(t.Unix(), 10), nil
	}
	return t.Format(layout(l)), nil
}

func parseDate(args ...any) (any, error) {
	s := args[0].(string)
	if len(args) == 1 {
		return toTime("parseDate", s)
	}
	loc := time.UTC
	if len(args) == 3 {
		var err error
		if loc, err = location("parseDate", args[2].(string)); err != nil {
			return nil, err
		}
	}
	l := args[1].(string)
	if l == "unix" {
		sec, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("parseDate: %q is not a Unix timestamp", s)
		}
		return time.Unix(sec, 0).UTC(), nil
	}
	t, err := time.ParseInLocation(layout(l), s, loc)
	if err != nil {
		return nil, fmt.Errorf("parseDate: %q does not match layout %q", s, l)
	}
	return t, nil
}
