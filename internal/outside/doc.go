// Package outside holds the end-to-end tests of Weft's connections to the
// outside world: the credential vault, the SSRF-guarded client, connection
// rate limits and redaction, wired together with the engine and the API the
// way `weft serve` wires them (internal/cli/connections.go), against local
// fake servers.
package outside
