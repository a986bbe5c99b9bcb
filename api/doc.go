// Package api is Weft's REST API on net/http: workflows, executions, the step
// catalog, Server-Sent Events of execution progress, and the operational
// endpoints (/healthz, /readyz, /metrics, /api/v1/openapi.json).
//
// Read api.go first: New builds one http.Handler from Config, and the route
// table in routes.go is the single list of endpoints (openapi.json is checked
// against it by a test). Every error leaves through writeError in errors.go,
// the one place where sentinel errors become status codes.
//
// Decisions a client can rely on:
//
//   - PUT /api/v1/workflows/{name}: the document must carry `name:` and it
//     must equal {name}. The stored source is the request body byte-exact, so
//     a missing name is not filled in (that would change the file); the 422
//     says which line to add.
//   - enable/disable rewrite the document's top-level `enabled:` key in the
//     stored source (the YAML file stays the single source of truth, and a
//     later PUT of the same file keeps what the file says). Only the value's
//     bytes change, or one `enabled: false` line is inserted after `name:`;
//     a document where that is not possible is re-encoded by the YAML
//     library (comments kept, layout may change).
//   - /api/v1/openapi.json is public, like /healthz: it describes the API
//     and holds no data. Every other /api/ path needs the API token.
//   - The SSE stream ends with `event: end` after the final execution event,
//     so EventSource clients can close instead of reconnecting.
package api
