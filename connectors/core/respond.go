package core

import (
	"context"
	"net/textproto"
	"strings"

	"github.com/weftworks/weft/connectors/internal/input"
	"github.com/weftworks/weft/step"
)

var _ step.Handler = respond{}

func respondSpec() step.Spec {
	return step.Spec{
		Type:     "respond",
		Title:    "Respond to webhook",
		Category: step.CategoryCore,
		Description: "Sets the HTTP response that a synchronous webhook (`on.webhook.respond: sync`) sends back " +
			"to its caller. The caller gets the answer as soon as this step finishes, while the rest of " +
			"the workflow goes on. In an asynchronous workflow the response is only recorded on the " +
			"execution.",
		Pure: true,
		Fields: []step.Field{
			{Name: "status", Type: step.Integer, Default: 200, Example: 201,
				Description: "HTTP status code of the response, from 100 to 599."},
			{Name: "headers", Type: step.Object, Example: map[string]any{"Content-Type": "text/plain"},
				Description: "Response headers, name to value. Values are written as strings; names are canonicalised (content-type → Content-Type)."},
			{Name: "body", Type: step.Any, Example: map[string]any{"ok": true},
				Description: "Response body. Objects and arrays are sent as JSON; strings are sent as they are."},
		},
		Output: "`{status, headers, body}`: the normalised response, with `headers` an object of canonical " +
			"header names to strings (empty when none) and `body` as given.",
		Example: `- id: reply
  uses: respond
  with:
    status: 201
    headers:
      Location: "/orders/{{ steps.order.output.id }}"
    body:
      id: "{{ steps.order.output.id }}"
`,
	}
}

// respond validates and normalises the response; the engine delivers it.
type respond struct{ spec step.Spec }

func (h respond) Run(_ context.Context, req *step.Request) (step.Result, error) {
	in := input.New(&h.spec, req.With)
	status, err := in.Int("status")
	if err != nil {
		return step.Result{}, err
	}
	if status < 100 || status > 599 {
		return step.Result{}, input.Invalid("status", "must be an HTTP status from 100 to 599, got %d", status)
	}
	raw, err := in.StringMap("headers")
	if err != nil {
		return step.Result{}, err
	}
	headers := make(map[string]string, len(raw))
	for _, name := range input.SortedKeys(raw) {
		if !validHeaderName(name) {
			return step.Result{}, input.Invalid("headers", "%q is not a valid header name", name)
		}
		if strings.ContainsAny(raw[name], "\r\n\x00") {
			// Say which header, never what it holds: it may be a secret.
			return step.Result{}, input.Invalid("headers", "value of %s holds a line break or NUL", name)
		}
		headers[textproto.CanonicalMIMEHeaderKey(name)] = raw[name]
	}
	body, _, err := in.Value("body")
	if err != nil {
		return step.Result{}, err
	}
	return step.Result{Output: map[string]any{"status": status, "headers": headers, "body": body}}, nil
}

// validHeaderName reports whether name is an RFC 9110 token.
func validHeaderName(name string) bool {
	if name == "" {
		return false
	}
	for _, c := range []byte(name) {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}
