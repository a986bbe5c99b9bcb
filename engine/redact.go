package engine

import (
	"strings"
	"unicode/utf8"
)

// Redacted replaces a sensitive value in recorded step inputs.
const Redacted = "[redacted]"

// sensitiveKey reports whether a map key names a credential: its value is
// handed to the step but never written to the execution record. It runs
// for every key of every step input, so an ASCII key (nearly all) is
// compared lower-cased byte by byte in place; any other goes through
// strings.ToLower, whose Unicode case mapping can turn a non-ASCII letter
// into an ASCII one.
func sensitiveKey(k string) bool {
	for i := 0; i < len(k); i++ {
		if k[i] >= utf8.RuneSelf {
			return sensitiveLower(strings.ToLower(k))
		}
	}
	return sensitiveLower(k)
}

// sensitiveLower is sensitiveKey of k, which is lower-case or ASCII.
func sensitiveLower(k string) bool {
	for _, name := range [...]string{"authorization", "proxy-authorization", "cookie", "set-cookie", "password", "passwd"} {
		if len(k) == len(name) && hasPrefixLower(k, name) {
			return true
		}
	}
	// Does k contain token, secret, api-key, api_key, apikey, private_key,
	// private-key or signature? One pass over k, looking further only
	// where one of them could start, rather than eight searches.
	for i := 0; i < len(k); i++ {
		var found bool
		switch rest := k[i:]; lower(k[i]) {
		case 't':
			found = hasPrefixLower(rest, "token")
		case 's':
			found = hasPrefixLower(rest, "secret") || hasPrefixLower(rest, "signature")
		case 'a':
			found = hasPrefixLower(rest, "api-key") || hasPrefixLower(rest, "api_key") || hasPrefixLower(rest, "apikey")
		case 'p':
			found = hasPrefixLower(rest, "private_key") || hasPrefixLower(rest, "private-key")
		}
		if found {
			return true
		}
	}
	return false
}

// hasPrefixLower reports whether s, lower-cased in ASCII, starts with
// prefix, which is lower-case ASCII.
func hasPrefixLower(s, prefix string) bool {
	if len(s) < len(prefix) {
		return false
	}
	for i := 0; i < len(prefix); i++ {
		if lower(s[i]) != prefix[i] {
			return false
		}
	}
	return true
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// redactForRecord returns v with the values of sensitive keys replaced, at
// any depth. It copies only the maps and lists on the way to a replacement,
// so the common case allocates nothing.
func redactForRecord(v any) (any, bool) {
	switch x := v.(type) {
	case map[string]any:
		var out map[string]any
		for k, val := range x {
			var nv any
			changed := false
			if sensitiveKey(k) {
				if s, ok := val.(string); ok && s == "" {
					continue
				}
				nv, changed = Redacted, true
			} else {
				nv, changed = redactForRecord(val)
			}
			if changed {
				if out == nil {
					out = make(map[string]any, len(x))
					for k2, v2 := range x {
						out[k2] = v2
					}
				}
				out[k] = nv
			}
		}
		if out != nil {
			return out, true
		}
	case []any:
		var out []any
		for i, val := range x {
			if nv, changed := redactForRecord(val); changed {
				if out == nil {
					out = append([]any(nil), x...)
				}
				out[i] = nv
			}
		}
		if out != nil {
			return out, true
		}
	}
	return v, false
}
