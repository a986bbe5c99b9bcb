package workflow

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/weftworks/weft"
)

// mcpKeys are the keys of the `mcp:` block.
var mcpKeys = []string{"tool", "name", "description"}

// toolName is what MCP allows in a tool's name (1 to 128 of A-Z, a-z, 0-9,
// _, - and .); workflow names have no underscores, which many MCP tools
// and clients use.
var toolName = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,128}$`)

func (d *decoder) decodeMCP(n *yaml.Node) *weft.MCPTool {
	fields, ok := d.mapping(n, "mcp", mcpKeys)
	if !ok {
		return nil
	}
	m := &weft.MCPTool{}
	for _, f := range fields {
		switch f.key.Value {
		case "tool":
			m.Tool, _ = d.boolean(f.val, "mcp: tool")
		case "name":
			if m.Name, ok = d.str(f.val, "mcp: name"); ok && !toolName.MatchString(m.Name) {
				d.errorf(f.val, "mcp: name %q must be 1 to 128 letters, digits, _, - or . (an MCP tool name)", m.Name)
			}
		case "description":
			m.Description, _ = d.str(f.val, "mcp: description")
		}
	}
	return m
}

// compileInputs compiles the workflow's `inputs:` schema, reporting a bad
// schema at its position.
func (k *compiler) compileInputs() {
	if k.w.Inputs == nil || k.nodes.inputs == nil {
		return
	}
	sch, err := compileSchema(k.w.Inputs)
	if err != nil {
		k.errorf(k.nodes.inputs, "inputs is not a valid JSON Schema: %s", strings.ReplaceAll(err.Error(), "\n", " "))
		return
	}
	if t, _ := k.w.Inputs["type"].(string); t != "" && t != "object" {
		k.errorf(k.nodes.inputs, "inputs must describe an object (type: object), not %s: the input of an execution is a JSON object", t)
		return
	}
	k.c.inputs = sch
}

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
	const url = "https://weft.dev/schema/inputs.json"
	if err := c.AddResource(url, doc); err != nil {
		return nil, err
	}
	sch, err := c.Compile(url)
	if err != nil {
		var se *jsonschema.SchemaValidationError
		if errors.As(err, &se) {
			if ve, ok := se.Err.(*jsonschema.ValidationError); ok {
				return nil, errors.New(SchemaProblems(ve))
			}
		}
		return nil, err
	}
	return sch, nil
}

// CheckInput validates an execution's input (JSON) against the workflow's
// `inputs:` schema. The error wraps weft.ErrInvalid and lists every problem
// with its place in the input. A workflow without inputs accepts anything.
func (c *Compiled) CheckInput(input json.RawMessage) error {
	if c == nil || c.inputs == nil {
		return nil
	}
	if len(input) == 0 {
		input = json.RawMessage("{}")
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(input))
	if err != nil {
		return fmt.Errorf("the input is not valid JSON: %w", weft.ErrInvalid)
	}
	if err := c.inputs.Validate(inst); err != nil {
		return fmt.Errorf("the input does not match the inputs of workflow %s: %s: %w", c.Workflow.Name, SchemaProblems(err), weft.ErrInvalid)
	}
	return nil
}

var enPrinter = message.NewPrinter(language.English)

// SchemaProblems flattens a JSON Schema validation error to one clause per
// failed rule, each with its place in the instance ("/email: missing…").
func SchemaProblems(err error) string {
	ve, ok := err.(*jsonschema.ValidationError)
	if !ok {
		return err.Error()
	}
	var parts []string
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) == 0 {
			parts = append(parts, fmt.Sprintf("at /%s: %s", strings.Join(e.InstanceLocation, "/"), e.ErrorKind.LocalizedString(enPrinter)))
			return
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	walk(ve)
	return strings.Join(parts, "; ")
}
