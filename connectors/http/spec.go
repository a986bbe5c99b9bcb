package http

import (
	"github.com/weftworks/weft/step"
)

// Defaults that the handler needs as numbers; the spec states them for users.
const (
	defaultMaxResponse = 10 << 20
	maxMaxResponse     = 100 << 20
)

func requestSpec() step.Spec {
	return step.Spec{
		Type:     "http.request",
		Title:    "HTTP request",
		Category: step.CategoryHTTP,
		Description: "Calls an HTTP API and returns its answer. A JSON response is decoded so later steps can " +
			"read its fields; other text is returned as a string and binary content as base64. Network " +
			"errors and the statuses 408, 425, 429, 500, 502, 503 and 504 are retried under the step's retry " +
			"policy (exponential backoff with full jitter), waiting as long as a Retry-After header (seconds or " +
			"HTTP date) or an exhausted RateLimit-Remaining / X-RateLimit-Remaining with its Reset asks; any other " +
			"status outside `accept_status` fails the step at once. Requests other than GET and HEAD carry an " +
			"Idempotency-Key header that stays the same across retries; POST and PATCH without one are never " +
			"retried. Outbound calls pass the SSRF guard: private, loopback, link-local and metadata addresses " +
			"are refused unless allowlisted.",
		Fields: []step.Field{
			{Name: "method", Type: step.String, Default: "GET",
				Enum:        []string{"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"},
				Description: "HTTP method."},
			{Name: "url", Type: step.String, Required: true, Example: "https://api.example.com/v1/orders",
				Description: "Absolute http:// or https:// URL. Parameters in `query` are added to any it already has."},
			{Name: "headers", Type: step.Object, Example: map[string]any{"Authorization": "Bearer {{ env.API_TOKEN }}"},
				Description: "Request headers, name to value. Read tokens from `env` (allowlisted environment variables) rather than writing them into the file; header values never appear in errors or outputs."},
			{Name: "query", Type: step.Object, Example: map[string]any{"limit": 50, "status": []any{"open", "paid"}},
				Description: "Query parameters, name to value; an array value repeats the parameter."},
			{Name: "json", Type: step.Any, Example: map[string]any{"amount": 1200, "currency": "eur"},
				Description: "Body sent as JSON, with Content-Type: application/json unless `headers` sets one. Use at most one of json, form and body."},
			{Name: "form", Type: step.Object, Example: map[string]any{"grant_type": "client_credentials"},
				Description: "Body sent URL-encoded (application/x-www-form-urlencoded); an array value repeats the key."},
			{Name: "body", Type: step.String, Example: "<ping/>",
				Description: "Raw body sent as it is; set Content-Type in `headers`."},
			{Name: "timeout", Type: step.Duration, Default: "30s",
				Description: "Limit for the whole exchange, from connecting to reading the last byte of the answer. Running out counts as a network error and is retried."},
			{Name: "accept_status", Type: step.Array, Default: []any{"2xx"}, Example: []any{"2xx", 404},
				Items:       &step.Field{Type: step.Any, Description: "A status code like 404, or a class like \"2xx\" or \"4xx\"."},
				Description: "Statuses that count as success. Any other status fails the step; 408, 429, 500, 502, 503 and 504 are retried first."},
			{Name: "follow_redirects", Type: step.Boolean, Default: true,
				Description: "Follow up to 10 redirects. When false a 3xx answer is returned as it is (add \"3xx\" to accept_status to accept it)."},
			{Name: "idempotency_header", Type: step.String, Example: "Idempotency-Key",
				Description: "Header that carries the step run's idempotency key on requests other than GET and HEAD. Default: the connection's `retry.idempotency_header`, else `Idempotency-Key`. An empty string sends none; a header of that name in `headers` wins."},
			{Name: "credential", Type: step.String, Example: "crm",
				Description: "Name of a credential (see docs/connections.md) whose authentication is added to the request: API key, bearer, basic, OAuth 2.0, signed JWT, mutual TLS or custom headers. The credential must allow this workflow and the URL's host. Its connection's limits, retry manners and private-network allowlist apply too."},
			{Name: "connection", Type: step.String,
				Description: "Name of the connection whose rate limits this call waits for, when it differs from `credential` (or when the API needs no credential). Over the limit, the step waits in line (the execution shows `waiting` and no worker is held); a 429 pauses every step of the connection for its Retry-After."},
			{Name: "circuit_breaker", Type: step.Integer, Default: 0,
				Description: "Open the circuit to this host after this many failures in a row (network errors, 429, 5xx): calls then fail fast and wait 30s for a single probe. 0 turns it off (the connection's retry.breaker may set it)."},
			{Name: "until", Type: step.Any, Deferred: true, Example: "{{ response.body.status == 'done' }}",
				Description: "Poll: repeat the request every `every` until this expression, evaluated against the answer as `response` ({status, headers, body}), is true; the last answer is the output. The execution is parked between polls (a row, no worker). Fails with code `poll_timeout` when `until_timeout` passes first."},
			{Name: "every", Type: step.Duration, Default: "30s", Example: "10s",
				Description: "With until: the pause between polls; shorter than 1s is raised to 1s."},
			{Name: "until_timeout", Type: step.Duration, Default: "1h", Example: "30m",
				Description: "With until: how long to poll at most, from the first request (at most 30d)."},
			{Name: "max_response_bytes", Type: step.Integer, Default: defaultMaxResponse,
				Description: "Largest response body read, in bytes (at most 100 MiB). A larger body fails the step with code response_too_large."},
		},
		Output: "`{status, headers, body, body_encoding}`: `status` is the numeric status; `headers` maps each " +
			"lower-case header name to its value (repeated headers joined with \", \"; credentials such as " +
			"Set-Cookie shown as \"[redacted]\"); `body` is the decoded JSON value, a string, or base64; " +
			"`body_encoding` says which: \"json\", \"text\", \"base64\" or \"none\" (empty body).",
		Auth: AuthKinds(),
		Example: `- id: charge
  uses: http.request
  with:
    method: POST
    url: https://api.example.com/v1/charges
    headers:
      Authorization: "Bearer {{ env.PAYMENTS_TOKEN }}"
    json:
      amount: "{{ steps.order.output.total_cents }}"
      currency: eur
    accept_status: ["2xx", 409]
    timeout: 10s
`,
	}
}

// AuthKinds are the credential types that can authenticate a request of
// http.request (its spec's Auth). It repeats credential.AuthKinds, which
// this package may not import; a test in credential keeps them equal.
func AuthKinds() []string {
	return []string{"api_key", "basic", "bearer", "custom", "jwt", "mtls", "none", "oauth2_client_credentials", "oauth2_code", "oauth2_jwt_bearer"}
}
