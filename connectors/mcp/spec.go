package mcp

import "github.com/weftworks/weft/step"

func callSpec() step.Spec {
	return step.Spec{
		Type: TypeCall, Title: "Call an MCP tool", Category: step.CategoryAI,
		Description: "Calls one tool of a Model Context Protocol server, named by an mcp connection (Streamable HTTP or " +
			"an operator-allowlisted stdio server). The arguments are checked against the tool's input schema from the " +
			"server's tools/list (cached for a few minutes) before the call, and literal arguments already when the workflow is " +
			"saved, once the server's tools have been listed (a call, a connection test, or the console's refresh). " +
			"A tool answer marked isError fails the step " +
			"with code mcp_tool_error and the tool's text.",
		Fields: []step.Field{
			{Name: "connection", Type: step.String, Required: true, Description: "Name of an mcp connection.", Example: "everything"},
			{Name: "tool", Type: step.String, Required: true, Description: "Name of the tool, as the server lists it.", Example: "echo"},
			{Name: "arguments", Type: step.Object, Description: "The tool's arguments (default: none)."},
		},
		Auth:   []string{"mcp"},
		Output: "The tool's `structuredContent` when it gives one; otherwise `{content, text}`: `content` is the tool's content list as JSON (text, images, resources) and `text` joins its text parts.",
		Example: `- id: sum
  uses: mcp.call
  with:
    connection: calculator
    tool: add
    arguments: { a: 2, b: "{{ trigger.body.b }}" }
`,
	}
}
