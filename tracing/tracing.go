package tracing

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// Provider owns the tracer provider of a process. Its zero value (and a
// Provider built with tracing off) has a nil Tracer and a no-op Shutdown.
type Provider struct {
	tp *sdktrace.TracerProvider
}

// Enabled reports whether getenv configures trace export: an OTLP endpoint
// (OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) or
// OTEL_TRACES_EXPORTER=otlp, and neither OTEL_SDK_DISABLED=true nor
// OTEL_TRACES_EXPORTER=none.
func Enabled(getenv func(string) string) bool {
	if strings.EqualFold(getenv("OTEL_SDK_DISABLED"), "true") {
		return false
	}
	switch exp := strings.ToLower(strings.TrimSpace(getenv("OTEL_TRACES_EXPORTER"))); exp {
	case "none":
		return false
	case "otlp":
		return true
	}
	return getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != ""
}

// New builds the provider from the OTEL_* variables read with getenv. With
// tracing off it returns an empty Provider and starts nothing. The exporter
// reads its endpoint, headers, timeout and compression from the standard
// OTEL_EXPORTER_OTLP_* variables, the batcher from OTEL_BSP_*, the sampler
// from OTEL_TRACES_SAMPLER(_ARG) and the resource from OTEL_SERVICE_NAME
// and OTEL_RESOURCE_ATTRIBUTES (service.name defaults to "weft").
func New(ctx context.Context, getenv func(string) string, version string, log *slog.Logger) (*Provider, error) {
	if !Enabled(getenv) {
		return &Provider{}, nil
	}
	if exp := strings.ToLower(strings.TrimSpace(getenv("OTEL_TRACES_EXPORTER"))); exp != "" && exp != "otlp" && exp != "none" {
		return nil, fmt.Errorf("OTEL_TRACES_EXPORTER=%q is not supported: use otlp (OTLP over HTTP) or none", exp)
	}
	for _, name := range []string{"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"} {
		if p := strings.TrimSpace(getenv(name)); p != "" {
			if p != "http/protobuf" {
				return nil, fmt.Errorf("%s=%q is not supported: Weft exports traces with OTLP over HTTP only; set it to http/protobuf "+
					"(an OpenTelemetry Collector can forward to a gRPC backend)", name, p)
			}
			break
		}
	}
	cfg, err := exporterConfigFromEnv(getenv)
	if err != nil {
		return nil, err
	}
	exp := newExporter(cfg)
	res, err := resource.New(ctx,
		resource.WithAttributes(semconv.ServiceName("weft"), semconv.ServiceVersion(version)),
		resource.WithFromEnv(), resource.WithTelemetrySDK(), resource.WithHost())
	if err != nil && !errors.Is(err, resource.ErrPartialResource) {
		return nil, fmt.Errorf("building the trace resource from OTEL_RESOURCE_ATTRIBUTES/OTEL_SERVICE_NAME: %w", err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	if log != nil {
		log.Info("exporting traces with OTLP/HTTP", "endpoint", cfg.URL)
	}
	return &Provider{tp: tp}, nil
}

// Tracer is the tracer Weft's engine records with; nil when tracing is off.
func (p *Provider) Tracer() trace.Tracer {
	if p == nil || p.tp == nil {
		return nil
	}
	return p.tp.Tracer("github.com/weftworks/weft")
}

// Shutdown flushes the spans still queued and stops the exporter.
func (p *Provider) Shutdown(ctx context.Context) error {
	if p == nil || p.tp == nil {
		return nil
	}
	if err := p.tp.Shutdown(ctx); err != nil {
		return fmt.Errorf("flushing traces: %w", err)
	}
	return nil
}
