package mcp

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/weftworks/weft/step"
)

// call runs mcp.call.
type call struct {
	s    *Service
	spec step.Spec
}

var _ step.Handler = call{}

func (h call) Run(ctx context.Context, req *step.Request) (step.Result, error) {
	connection, _ := req.With["connection"].(string)
	tool, _ := req.With["tool"].(string)
	if tool == "" {
		return step.Result{}, step.Errorf("validation", "mcp.call: tool is empty: name a tool of %q", connection)
	}
	args, ok := req.With["arguments"].(map[string]any)
	if !ok && req.With["arguments"] != nil {
		return step.Result{}, step.Errorf("validation", "mcp.call: arguments must be an object")
	}
	out, err := h.s.Call(ctx, h.s.callerOf(req), connection, tool, args)
	if err != nil {
		return step.Result{}, step.WithConnectionRetry(ctx, req, connection, err)
	}
	return step.Result{Output: out}, nil
}

// Call calls tool of connection's server with args, validated against the
// tool's input schema, and returns its output.
func (s *Service) Call(ctx context.Context, c caller, connection, tool string, args map[string]any) (any, error) {
	cs, err := s.open(ctx, c, connection)
	if err != nil {
		return nil, err
	}
	defer cs.Close()
	if err := s.checkArgs(ctx, c, cs, connection, tool, args); err != nil {
		return nil, err
	}
	if args == nil {
		args = map[string]any{}
	}
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: tool, Arguments: args})
	if err != nil {
		c.conns.Report(connection, err)
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, step.Retryable(fmt.Errorf("MCP server %q: calling tool %q: %w", connection, tool, err), 0)
	}
	c.conns.Report(connection, nil)
	return s.output(connection, tool, res)
}

// checkArgs validates args against the tool's listed input schema. A tool
// the (cached) list does not know is looked up once more afresh.
func (s *Service) checkArgs(ctx context.Context, c caller, cs *mcp.ClientSession, connection, tool string, args map[string]any) error {
	find := func() (*ToolInfo, error) {
		tools, err := s.tools(ctx, c, connection, cs)
		if err != nil {
			return nil, err
		}
		for i := range tools {
			if tools[i].Name == tool {
				return &tools[i], nil
			}
		}
		return nil, nil
	}
	t, err := find()
	if err == nil && t == nil {
		s.forget(c, connection)
		t, err = find()
	}
	if err != nil {
		return err
	}
	if t == nil {
		tools, _ := s.tools(ctx, c, connection, cs)
		names := make([]string, 0, len(tools))
		for _, x := range tools {
			names = append(names, x.Name)
		}
		return step.Errorf("validation", "MCP server %q has no tool %q; it lists: %s", connection, tool, truncate(strings.Join(names, ", "), 2000))
	}
	if t.InputSchema == nil {
		return nil
	}
	sch, err := compile(t.InputSchema)
	if err != nil {
		return nil // a schema Weft cannot read is the server's to check
	}
	var v any = args
	if args == nil {
		v = map[string]any{}
	}
	b, _ := json.Marshal(v)
	inst, _ := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err := sch.Validate(inst); err != nil {
		return step.Errorf("validation", "mcp.call: arguments of tool %q do not match its input schema: %s", tool, schemaErr(err))
	}
	return nil
}

func compile(schema map[string]any) (*jsonschema.Schema, error) {
	b, err := json.Marshal(schema)
	if err != nil {
		return nil, err
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	const url = "https://weft.dev/schema/mcp-tool-input.json"
	if err := c.AddResource(url, doc); err != nil {
		return nil, err
	}
	return c.Compile(url)
}

var enPrinter = message.NewPrinter(language.English)

// schemaErr flattens a validation error to one line per failed rule.
func schemaErr(err error) string {
	ve, ok := err.(*jsonschema.ValidationError)
	if !ok {
		return err.Error()
	}
	var parts []string
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) == 0 {
			loc := "/" + strings.Join(e.InstanceLocation, "/")
			parts = append(parts, fmt.Sprintf("at %s: %s", loc, e.ErrorKind.LocalizedString(enPrinter)))
			return
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	walk(ve)
	return strings.Join(parts, "; ")
}

// output turns a tool result into the step's output, bounded in size.
func (s *Service) output(connection, tool string, res *mcp.CallToolResult) (any, error) {
	var text []string
	content := make([]any, 0, len(res.Content))
	for _, c := range res.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			text = append(text, tc.Text)
		}
		b, err := json.Marshal(c)
		if err != nil {
			return nil, fmt.Errorf("MCP server %q: tool %q: reading its content: %w", connection, tool, err)
		}
		var v any
		_ = json.Unmarshal(b, &v)
		content = append(content, v)
	}
	joined := strings.Join(text, "\n")
	if res.IsError {
		if joined == "" {
			joined = "the tool reported an error without text"
		}
		return nil, step.Errorf("mcp_tool_error", "MCP tool %q of %q failed: %s", tool, connection, truncate(joined, 4000))
	}
	var out any = map[string]any{"content": content, "text": joined}
	if res.StructuredContent != nil {
		out = res.StructuredContent
	}
	b, err := json.Marshal(out)
	if err != nil {
		return nil, fmt.Errorf("MCP server %q: tool %q: encoding its output: %w", connection, tool, err)
	}
	if len(b) > s.cfg.MaxOutput {
		return nil, step.Errorf("mcp_limit", "MCP tool %q of %q returned %d bytes of output; the limit is %d", tool, connection, len(b), s.cfg.MaxOutput)
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, fmt.Errorf("MCP server %q: tool %q: %w", connection, tool, err)
	}
	return v, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
