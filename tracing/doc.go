// Package tracing builds the OpenTelemetry tracer provider of a Weft process
// from the standard OTEL_* environment variables, and the HTTP transport
// that carries the W3C traceparent header on outbound requests.
//
// Tracing is off unless an OTLP endpoint is configured (or
// OTEL_TRACES_EXPORTER=otlp): then New returns a Provider whose Tracer is
// nil, no exporter goroutine runs and the engine skips every span. When on,
// spans are batched and sent with OTLP over HTTP/protobuf (the gRPC
// exporter is not linked; see docs/adr/0013-traces-and-alerts.md).
//
// The engine itself only speaks the OpenTelemetry API (go.opentelemetry.io/otel/trace):
// one span marks the start of an execution, one span covers each time a
// process runs it, one span covers each step attempt. The execution's trace
// context is stored with the execution, so a resumed run (after a crash, a
// wait or an approval) and a child started by workflow.call continue the
// same trace in whichever process picks them up.
package tracing
