// Package mcpserver is Weft's Model Context Protocol server: a Streamable
// HTTP endpoint (/mcp) whose tools are the workflows marked `mcp: {tool:
// true}`, each named after its workflow with its `inputs:` schema as input
// schema. A tool call starts an execution like any trigger (trigger "mcp"),
// waits for it with progress notifications while it runs, and answers its
// output, or its id when it outlasts the wait; a cancelled call cancels the
// execution. Executions and their step runs are readable as resources
// (weft://executions/{id}, weft://executions/{id}/steps).
//
// Every request carries an API token (the same verifier as the REST API);
// Config.Allow decides per workflow which principal may call which tool.
// The number of tool calls running at once is bounded: past it a call is
// refused at once with a retryable error, never queued without limit.
package mcpserver
