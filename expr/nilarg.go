package expr

import (
	"regexp"
	"strings"
)

// expr's builtins report a nil argument (missing data) in their own words,
// some of them reflect's ("reflect: call of reflect.Value.Len on zero
// Value" from sum, map, filter, all, …). nilArgPatterns recognises those
// messages so that every one reads the same, documented way.
var nilArgPatterns = regexp.MustCompile(`interface conversion: interface \{\} is nil` +
	`|^reflect: call of reflect\.Value\.\w+ on zero Value` +
	`|^invalid argument for \w+ \(type (?:<nil>|%!s\(<nil>\))\)` +
	`|^cannot [\w ]+ invalid(?: to pairs)?$` +
	`|<invalid reflect\.Value>` +
	`|^invalid operation: \w+\(<nil>\)`)

// callName finds the function called at the start of s ("sum(" → "sum").
var callName = regexp.MustCompile(`^([A-Za-z_]\w*)\s*\(`)

func nilArgument(msg string) bool { return nilArgPatterns.MatchString(msg) }

// nilMessage is the message for a nil argument; it names the function when
// the error's offset (relative to code) points at a call.
func nilMessage(code string, at int) string {
	const rest = " got nil where it needs a value (the data may be missing; use default(x, fallback))"
	if at >= 0 && at < len(code) {
		if m := callName.FindStringSubmatch(code[at:]); m != nil && !strings.HasPrefix(m[1], "_") {
			return m[1] + "()" + rest
		}
	}
	return "a function" + rest
}
