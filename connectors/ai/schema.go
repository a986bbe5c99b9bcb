package ai

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// compileSchema compiles a JSON Schema given as a decoded value.
func compileSchema(schema map[string]any) (*jsonschema.Schema, error) {
	b, err := json.Marshal(schema)
	if err != nil {
		return nil, err
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("output_schema.json", doc); err != nil {
		return nil, err
	}
	return c.Compile("output_schema.json")
}

// parseAnswer reads a model's answer as JSON and validates it. It tolerates
// code fences and prose around one JSON object, which models without native
// structured output often add.
func parseAnswer(sch *jsonschema.Schema, text string) (any, error) {
	raw := strings.TrimSpace(text)
	if strings.HasPrefix(raw, "```") {
		raw = strings.TrimPrefix(raw, "```json")
		raw = strings.TrimPrefix(raw, "```")
		raw = strings.TrimSuffix(strings.TrimSpace(raw), "```")
	}
	var v any
	if err := json.Unmarshal([]byte(raw), &v); err != nil {
		i, j := strings.Index(raw, "{"), strings.LastIndex(raw, "}")
		if i < 0 || j <= i || json.Unmarshal([]byte(raw[i:j+1]), &v) != nil {
			return nil, fmt.Errorf("the answer is not JSON: %v", err)
		}
	}
	// Validate the value as decoded by the validator's own rules (numbers as json.Number).
	b, _ := json.Marshal(v)
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	if err := sch.Validate(inst); err != nil {
		return nil, fmt.Errorf("the answer does not match output_schema: %s", oneLine(err.Error()))
	}
	return v, nil
}

func oneLine(s string) string {
	s = strings.ReplaceAll(s, "\n", "; ")
	return strings.Join(strings.Fields(s), " ")
}
