package policy

import (
	"fmt"
	"strings"

	"github.com/weftworks/weft"
)

// Error is one problem in a policy.
type Error struct {
	// Path leads from on.webhook to the offending key: map keys as
	// string, list indexes as int, like ["verify", 1, "scheme"]. When the
	// key is missing, Path ends at the mapping that should hold it.
	Path []any
	// Key: the key at Path is itself the problem (unknown), not its value.
	Key bool
	// Message says what is wrong, Fix how to fix it (may be empty).
	Message string
	Fix     string
	// Choices are the values (or, with Key, the keys) allowed at Path, for
	// a "did you mean".
	Choices []string
	// Err is the cause, if any; an *expr.Error for a dedupe expression
	// carries the byte offset of the problem inside the string.
	Err error
}

// PathString renders Path as verify[1].scheme.
func (e *Error) PathString() string {
	var b strings.Builder
	for _, p := range e.Path {
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

func (e *Error) Error() string {
	s := e.Message
	if p := e.PathString(); p != "" {
		s = p + ": " + s
	}
	if e.Fix != "" {
		s += "; " + e.Fix
	}
	return s
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Errors is every problem Parse found, in key order. It wraps
// weft.ErrInvalid.
type Errors []*Error

func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap lets errors.Is(err, weft.ErrInvalid) and errors.As(err, **Error)
// hold.
func (es Errors) Unwrap() []error {
	out := make([]error, 0, len(es)+1)
	out = append(out, weft.ErrInvalid)
	for _, e := range es {
		out = append(out, e)
	}
	return out
}

// describe names the kind of a decoded YAML/JSON value for messages.
func describe(v any) string {
	switch t := v.(type) {
	case nil:
		return "empty"
	case map[string]any:
		return "a mapping"
	case []any:
		return "a list"
	case string:
		return fmt.Sprintf("a string (%q)", t)
	case bool:
		return fmt.Sprintf("a boolean (%v)", t)
	case int, int64, uint64, float64:
		return fmt.Sprintf("a number (%v)", t)
	}
	return fmt.Sprintf("%T", v)
}

func quote(s string) string { return fmt.Sprintf("%q", s) }
