// Package apps turns app connectors declared as data into step types.
//
// Each app lives in its own folder, connectors/apps/<app>/, whose app.yaml
// (embedded in the binary) declares the app's name, title, icon, docs link,
// base URL and how a connection overrides it, the credential kinds it
// accepts (OAuth endpoints and scopes pre-filled), a cheap test-connection
// call, default rate limits and retry manners, and its operations: method,
// path, inputs as JSON Schema split into path, query and body, output
// shaping, pagination style and idempotency. The folder also holds the app's
// fake (a local server speaking the provider's wire format) and its tests.
//
// The spec's Go types (App, Operation, Auth, Pagination, ...) and their
// validation (App.Validate) live in spec.go and validate.go, and nowhere
// else: an importer (OpenAPI) emits the same types, so what it produces is
// checked exactly like a bundled connector.
//
// Register adds one step type per operation, `<app>.<operation>`. Their
// handler builds one HTTP call per page and runs it through the registered
// http.request handler, so credentials, the SSRF guard, redirect rules,
// connection rate limits, retries and the circuit breaker apply exactly as
// they do to http.request. Pagination (`paginate: all | N`) checkpoints
// after every page (the step suspends with the cursor and the items so far,
// which the engine records), so a crash resumes at the next page; a server
// that never stops paging or repeats a cursor fails the step with a clear
// error at the max_pages cap.
package apps
