package workflow

import (
	"encoding/json"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/step"
	"github.com/weftworks/weft/trigger/queue/spec"
	"github.com/weftworks/weft/trigger/webhook/policy"
)

// JSONSchema returns the JSON Schema (draft 2020-12) of workflow files for
// the step types in reg, so editors can autocomplete and check keys and each
// step type's `with:` inputs. The key lists are the ones Parse enforces.
func JSONSchema(reg *step.Registry) ([]byte, error) {
	if reg == nil {
		reg = step.NewRegistry()
	}
	str := map[string]any{"type": "string"}
	duration := map[string]any{"type": "string", "description": "a duration like 30s, 5m, 2h or 7d"}
	expression := map[string]any{"type": "string", "description": "an expression, with or without {{ }}; see docs/expressions.md"}

	var types []any
	var branches []any
	for _, spec := range reg.Specs() {
		types = append(types, spec.Type)
		branches = append(branches, map[string]any{
			"if":   map[string]any{"properties": map[string]any{"uses": map[string]any{"const": spec.Type}}, "required": []any{"uses"}},
			"then": map[string]any{"properties": map[string]any{"with": spec.JSONSchema()}},
		})
	}
	uses := map[string]any{"type": "string", "description": "the step type"}
	if len(types) > 0 {
		uses["enum"] = types
	}

	retry := object(retryKeys, map[string]any{
		"max_attempts": map[string]any{"type": "integer", "minimum": 1, "default": weft.DefaultRetry().MaxAttempts},
		"backoff":      map[string]any{"enum": []any{weft.BackoffExponential, weft.BackoffFixed}, "default": weft.BackoffExponential},
		"initial":      duration,
		"max":          duration,
	}, nil)
	stepSchema := object(stepKeys, map[string]any{
		"id":                map[string]any{"type": "string", "pattern": weft.StepIDPattern.String()},
		"uses":              uses,
		"name":              str,
		"with":              map[string]any{"type": "object"},
		"if":                map[string]any{"type": []any{"string", "boolean"}, "description": "run the step only when true; otherwise it is skipped"},
		"needs":             map[string]any{"oneOf": []any{str, map[string]any{"type": "array", "items": str, "uniqueItems": true}}},
		"for_each":          expression,
		"concurrency":       map[string]any{"type": "integer", "minimum": 1, "default": 4},
		"retry":             retry,
		"timeout":           duration,
		"continue_on_error": map[string]any{"type": "boolean", "default": false},
		"cache": object(cacheKeys, map[string]any{
			"ttl": duration,
			"key": map[string]any{"type": "string", "description": "cache key template; default: a hash of the step type and its resolved inputs"},
		}, []any{"ttl"}),
	}, []any{"id", "uses"})
	if len(branches) > 0 {
		stepSchema["allOf"] = branches
	}

	webhookProps := map[string]any{
		"path":     map[string]any{"type": "string", "pattern": "^/?" + WebhookPathPattern.String()[1:]},
		"method":   map[string]any{"type": "string", "default": "POST"},
		"respond":  map[string]any{"enum": []any{weft.RespondAsync, weft.RespondSync}, "default": weft.RespondAsync},
		"timeout":  duration,
		"max_body": map[string]any{"type": "integer", "minimum": 1},
	}
	for k, schema := range policy.JSONSchema() {
		webhookProps[k] = schema
	}
	webhook := object(append(append([]string(nil), webhookKeys...), webhookExtraKeys...), webhookProps, []any{"path"})
	schedule := object(scheduleKeys, map[string]any{
		"cron":     map[string]any{"type": "string", "description": "five fields (minute hour day-of-month month day-of-week) or @hourly, @daily, @every 10m"},
		"timezone": map[string]any{"type": "string", "description": "IANA name, like Europe/Copenhagen"},
		"input":    map[string]any{"type": "object"},
	}, []any{"cron"})

	queue := spec.JSONSchema()
	poll := object(pollKeys, map[string]any{
		"step":      map[string]any{"type": "string", "description": "step type that fetches items, like http.request"},
		"operation": map[string]any{"type": "string", "description": "another name for step (app operations)"},
		"with":      map[string]any{"type": "object", "description": "the step's inputs; may read poll.cursor"},
		"every":     duration,
		"items":     map[string]any{"type": "string", "description": "template selecting the list of items from poll.output (default: the output)"},
		"id":        map[string]any{"type": "string", "description": "template of an item's id, like {{ item.id }}"},
		"cursor":    map[string]any{"type": "string", "description": "template of the next cursor, from poll.output and poll.items"},
		"max_items": map[string]any{"type": "integer", "minimum": 1, "maximum": MaxPollMaxItems, "default": DefaultPollMaxItems},
	}, []any{"every", "id"})

	doc := object(workflowKeys, map[string]any{
		"name":        map[string]any{"type": "string", "pattern": weft.NamePattern.String()},
		"description": str,
		"on": object(triggersKeys, map[string]any{
			"webhook":  webhook,
			"schedule": map[string]any{"type": "array", "items": schedule},
			"queue":    map[string]any{"oneOf": []any{queue, map[string]any{"type": "array", "items": queue}}},
			"poll":     map[string]any{"oneOf": []any{poll, map[string]any{"type": "array", "items": poll}}},
			"imap":     map[string]any{"oneOf": []any{imapSchema(duration), map[string]any{"type": "array", "items": imapSchema(duration)}}},
		}, nil),
		"steps":       map[string]any{"type": "array", "minItems": 1, "items": stepSchema},
		"on_error":    map[string]any{"type": "string", "pattern": weft.NamePattern.String()},
		"timeout":     duration,
		"concurrency": map[string]any{"type": "integer", "minimum": 1},
		"enabled":     map[string]any{"type": "boolean", "default": true},
		"ui":          map[string]any{"type": "object", "description": "editor layout; kept, ignored by the engine"},
		"inputs": map[string]any{"type": "object", "description": "JSON Schema (type: object) of the input a manual, API or MCP start must give; " +
			"checked when the workflow is saved and on every such start, and shown as a form in the console's Test run dialog"},
		"mcp": object(mcpKeys, map[string]any{
			"tool":        map[string]any{"type": "boolean", "description": "expose the workflow as a tool of Weft's MCP server (/mcp), named after the workflow, with `inputs` as its input schema"},
			"name":        map[string]any{"type": "string", "pattern": "^[A-Za-z0-9_.-]{1,128}$", "description": "the tool's name (default: the workflow's name), e.g. lookup_customer"},
			"description": map[string]any{"type": "string", "description": "what the tool does, for the model (default: the workflow's description)"},
		}, nil),
	}, []any{"name", "steps"})
	doc["$schema"] = "https://json-schema.org/draft/2020-12/schema"
	doc["$id"] = "https://weft.dev/schema/workflow.json"
	doc["title"] = "Weft workflow"
	return json.MarshalIndent(doc, "", "  ")
}

// object is a closed JSON Schema object whose properties are exactly keys.
func object(keys []string, props map[string]any, required []any) map[string]any {
	ordered := make(map[string]any, len(keys))
	for _, k := range keys {
		if p, ok := props[k]; ok {
			ordered[k] = p
		} else {
			ordered[k] = map[string]any{}
		}
	}
	out := map[string]any{"type": "object", "properties": ordered, "additionalProperties": false}
	if len(required) > 0 {
		out["required"] = required
	}
	return out
}
