package tracing

import (
	"net/http"

	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// Transport wraps rt so each request whose context carries a recording
// span (a step attempt's) goes out with that span's traceparent and
// tracestate headers. A header the caller set itself is kept. Connectors
// need no OpenTelemetry code: they use the client lent in step.Env.
func Transport(rt http.RoundTripper) http.RoundTripper {
	if rt == nil {
		rt = http.DefaultTransport
	}
	return &transport{next: rt}
}

type transport struct{ next http.RoundTripper }

var _ http.RoundTripper = (*transport)(nil)

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	sc := trace.SpanContextFromContext(req.Context())
	if !sc.IsValid() || req.Header.Get("traceparent") != "" {
		return t.next.RoundTrip(req)
	}
	// RoundTrip must not change the caller's request.
	req = req.Clone(req.Context())
	propagation.TraceContext{}.Inject(req.Context(), propagation.HeaderCarrier(req.Header))
	return t.next.RoundTrip(req)
}

// Client returns a copy of c whose transport adds traceparent (see
// Transport); c itself is left as it is.
func Client(c *http.Client) *http.Client {
	cp := *c
	cp.Transport = Transport(c.Transport)
	return &cp
}
