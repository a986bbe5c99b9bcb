package engine

import "strings"

// Redacted replaces a sensitive value in recorded step inputs.
const Redacted = "[redacted]"

// sensitiveKey reports whether a map key names a credential: its value is
// handed to the step but never written to the execution record.
func sensitiveKey(k string) bool {
	k = strings.ToLower(k)
	switch k {
	case "authorization", "proxy-authorization", "cookie", "set-cookie", "password", "passwd":
		return true
	}
	// Does k contain token, secret, api-key, api_key, apikey, private_key,
	// private-key or signature? One pass over k, looking further only
	// where one of them could start, rather than eight searches of every
	// key of every step input.
	for i := 0; i < len(k); i++ {
		var found bool
		switch rest := k[i:]; k[i] {
		case 't':
			found = strings.HasPrefix(rest, "token")
		case 's':
			found = strings.HasPrefix(rest, "secret") || strings.HasPrefix(rest, "signature")
		case 'a':
			found = strings.HasPrefix(rest, "api-key") || strings.HasPrefix(rest, "api_key") || strings.HasPrefix(rest, "apikey")
		case 'p':
			found = strings.HasPrefix(rest, "private_key") || strings.HasPrefix(rest, "private-key")
		}
		if found {
			return true
		}
	}
	return false
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
