package policy

import (
	"strings"

	"github.com/weftworks/weft/trigger/webhook/verifyspec"
)

// JSONSchema returns the JSON Schema of each key in Keys, for the workflow
// file's schema. It is built from the same lists Parse checks against.
func JSONSchema() map[string]any {
	str := map[string]any{"type": "string"}
	strs := func(enum []string) []any {
		out := make([]any, len(enum))
		for i, s := range enum {
			out[i] = s
		}
		return out
	}
	positive := map[string]any{"type": "number", "exclusiveMinimum": 0}

	props := map[string]any{}
	for _, k := range verifyspec.ConfigKeys() {
		props[k] = str
	}
	props["scheme"] = map[string]any{"enum": strs(verifyspec.Schemes), "description": "how requests are verified; see docs/webhooks.md"}
	props["credential"] = map[string]any{"type": "string", "description": "the webhook_secret credential holding the secrets (never the secret itself)"}
	props["tolerance"] = map[string]any{"type": "string", "description": "how far a signed timestamp may be from now, like 5m (default)"}
	props["algorithm"] = map[string]any{"enum": strs(verifyspec.HMACAlgorithms), "default": "sha256"}
	props["encoding"] = map[string]any{"enum": strs(verifyspec.HMACEncodings), "default": "hex"}
	props["algorithms"] = map[string]any{"type": "array", "items": map[string]any{"enum": strs(verifyspec.JWTAlgorithms)}}
	props["subjects"] = map[string]any{"oneOf": []any{str, map[string]any{"type": "array", "items": str}}}
	props["jwks_url"] = map[string]any{"type": "string", "pattern": "^https?://"}
	// The keys each scheme requires, as one if/then branch per set of keys.
	var branches []any
	var groups []string // in the order of verifyspec.Schemes
	byKeys := map[string][]any{}
	for _, s := range verifyspec.Schemes {
		k := strings.Join(verifyspec.Requires(s), ",")
		if _, ok := byKeys[k]; !ok {
			groups = append(groups, k)
		}
		byKeys[k] = append(byKeys[k], s)
	}
	for _, k := range groups {
		var then map[string]any
		if k == "" { // jwt: any one key source
			then = map[string]any{"anyOf": []any{
				map[string]any{"required": []any{"credential"}},
				map[string]any{"required": []any{"public_key"}},
				map[string]any{"required": []any{"jwks_url"}},
			}}
		} else {
			then = map[string]any{"required": strs(strings.Split(k, ","))}
		}
		branches = append(branches, map[string]any{
			"if":   map[string]any{"properties": map[string]any{"scheme": map[string]any{"enum": byKeys[k]}}, "required": []any{"scheme"}},
			"then": then,
		})
	}
	entry := map[string]any{"type": "object", "properties": props, "additionalProperties": false,
		"required": []any{"scheme"}, "allOf": branches}

	return map[string]any{
		"verify": map[string]any{
			"description": "verify each request; a list accepts any one of its entries",
			"oneOf":       []any{entry, map[string]any{"type": "array", "minItems": 1, "items": entry}},
		},
		"dedupe": map[string]any{
			"description": `auto (the provider's delivery id), off, or an expression like "{{ trigger.body.id }}"`,
			"oneOf": []any{
				map[string]any{"enum": []any{DedupeAuto, DedupeOff, false}},
				map[string]any{"type": "string", "pattern": `\{\{`},
				map[string]any{"type": "object", "additionalProperties": false, "required": []any{"key"},
					"properties": map[string]any{
						"key":    map[string]any{"type": []any{"string", "boolean"}},
						"window": map[string]any{"type": "string", "description": "how long a key is remembered, like 24h (default 7d)"},
					}},
			},
		},
		"allow_ips": map[string]any{
			"description": "CIDRs or addresses allowed to call, IPv4 and IPv6",
			"oneOf":       []any{str, map[string]any{"type": "array", "items": str}},
		},
		"preset": map[string]any{
			"description": "an app's webhooks: its verification scheme, dedupe by its delivery id and where events: reads the event type; the signing secret is the webhook_secret credential <app>-webhook unless given",
			"oneOf": []any{
				map[string]any{"enum": strs(Presets)},
				map[string]any{"type": "object", "additionalProperties": false, "required": []any{"app"},
					"properties": map[string]any{"app": map[string]any{"enum": strs(Presets)}, "credential": str}},
			},
		},
		"events": map[string]any{
			"description": `with preset: the event types that start an execution, like payment_intent.succeeded, "invoice.*" or "*"; others are acknowledged (200) and dropped`,
			"type":        "array", "minItems": 1, "items": str,
		},
		"register": map[string]any{
			"description": "with preset: stripe or github: Weft creates and keeps the webhook subscription at the provider (needs --public-url) and stores the signing secret it gets",
			"type":        "object", "additionalProperties": false, "required": []any{"connection", "events"},
			"properties": map[string]any{
				"connection": map[string]any{"type": "string", "description": "the credential Weft calls the provider's API with"},
				"events":     map[string]any{"type": "array", "minItems": 1, "items": str},
				"repo":       map[string]any{"type": "string", "description": "GitHub: the repository owner/name"},
			},
		},
		"rate_limit": map[string]any{
			"type": "object", "additionalProperties": false,
			"properties": map[string]any{
				"per_second": positive,
				"per_minute": positive,
				"burst":      map[string]any{"type": "integer", "minimum": 1},
			},
			"oneOf": []any{
				map[string]any{"required": []any{"per_second"}},
				map[string]any{"required": []any{"per_minute"}},
			},
		},
	}
}
