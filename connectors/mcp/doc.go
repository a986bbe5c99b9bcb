// Package mcp is Weft's Model Context Protocol client: the mcp.call step and
// the tool lists ai.agent offers its model from `tools: [{mcp: CONNECTION}]`.
//
// An MCP server is a connection of type mcp in the vault. A Streamable HTTP
// server is reached with the step's HTTP client (the SSRF guard) through the
// connection's client and authentication (step.Connections); a stdio server
// is a command the operator allowlisted by name when starting Weft, never
// one a workflow file names. Every call opens a session, makes its requests
// and closes it again; tool lists are cached per connection for a short
// while, so an agent's turns do not list the tools again and again.
//
// Everything an MCP server sends is bounded: the size of one message, the
// number of tools and pages of tools/list, and the size of a tool's output.
package mcp
