package tracing

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"google.golang.org/protobuf/proto"
)

// exporter sends spans with OTLP over HTTP/protobuf: POST
// application/x-protobuf to <endpoint>/v1/traces.
type exporter struct {
	cfg    exporterConfig
	client *http.Client
	closed atomic.Bool
}

var _ sdktrace.SpanExporter = (*exporter)(nil)

type exporterConfig struct {
	URL     string
	Headers map[string]string
	Timeout time.Duration
	Gzip    bool
}

// exporterConfigFromEnv reads the OTLP exporter settings; the signal
// specific OTEL_EXPORTER_OTLP_TRACES_* variables win over the general ones.
func exporterConfigFromEnv(getenv func(string) string) (exporterConfig, error) {
	pick := func(name string) (string, string) {
		if v := strings.TrimSpace(getenv("OTEL_EXPORTER_OTLP_TRACES_" + name)); v != "" {
			return v, "OTEL_EXPORTER_OTLP_TRACES_" + name
		}
		return strings.TrimSpace(getenv("OTEL_EXPORTER_OTLP_" + name)), "OTEL_EXPORTER_OTLP_" + name
	}
	cfg := exporterConfig{Timeout: 10 * time.Second, Headers: map[string]string{}}
	if v := strings.TrimSpace(getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")); v != "" {
		cfg.URL = v // used as is
	} else if v := strings.TrimSpace(getenv("OTEL_EXPORTER_OTLP_ENDPOINT")); v != "" {
		cfg.URL = strings.TrimRight(v, "/") + "/v1/traces"
	} else {
		cfg.URL = "http://localhost:4318/v1/traces"
	}
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return cfg, fmt.Errorf("OTLP trace endpoint %q is not an http(s) URL: set OTEL_EXPORTER_OTLP_ENDPOINT like http://collector:4318", cfg.URL)
	}
	for _, suffix := range []string{"CERTIFICATE", "CLIENT_CERTIFICATE", "CLIENT_KEY"} {
		if v, name := pick(suffix); v != "" {
			return cfg, fmt.Errorf("%s is not supported: Weft trusts the system's CA certificates for OTLP; "+
				"run an OpenTelemetry Collector next to Weft for mutual TLS", name)
		}
	}
	if v, name := pick("HEADERS"); v != "" {
		for _, kv := range strings.Split(v, ",") {
			k, val, ok := strings.Cut(kv, "=")
			k = strings.TrimSpace(k)
			if !ok || k == "" {
				return cfg, fmt.Errorf("%s: entry %d is not key=value (use key1=value1,key2=value2)", name, len(cfg.Headers)+1)
			}
			if dec, err := url.QueryUnescape(strings.TrimSpace(val)); err == nil {
				val = dec
			}
			cfg.Headers[k] = val
		}
	}
	if v, name := pick("TIMEOUT"); v != "" {
		ms, err := strconv.Atoi(v)
		if err != nil || ms <= 0 {
			return cfg, fmt.Errorf("%s=%q: give a positive number of milliseconds", name, v)
		}
		cfg.Timeout = time.Duration(ms) * time.Millisecond
	}
	if v, name := pick("COMPRESSION"); v != "" {
		switch v {
		case "gzip":
			cfg.Gzip = true
		case "none":
		default:
			return cfg, fmt.Errorf("%s=%q: use gzip or none", name, v)
		}
	}
	return cfg, nil
}

func newExporter(cfg exporterConfig) *exporter {
	return &exporter{cfg: cfg, client: &http.Client{Timeout: cfg.Timeout}}
}

// ExportSpans sends one batch; a 429 or 5xx (and a failed connection) is
// tried again with backoff within the export timeout.
func (e *exporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	if e.closed.Load() || len(spans) == 0 {
		return nil
	}
	body, err := proto.Marshal(tracesData(spans))
	if err != nil {
		return fmt.Errorf("encoding %d spans: %w", len(spans), err)
	}
	if e.cfg.Gzip {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		_, _ = zw.Write(body)
		if err := zw.Close(); err != nil {
			return fmt.Errorf("compressing spans: %w", err)
		}
		body = b.Bytes()
	}
	ctx, cancel := context.WithTimeout(ctx, e.cfg.Timeout)
	defer cancel()
	wait := 100 * time.Millisecond
	for try := 1; ; try++ {
		retry, err := e.post(ctx, body)
		if err == nil || !retry || try == 5 {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("exporting spans: %w (last error: %w)", ctx.Err(), err)
		case <-time.After(wait):
		}
		wait *= 2
	}
}

func (e *exporter) post(ctx context.Context, body []byte) (retry bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.cfg.URL, bytes.NewReader(body))
	if err != nil {
		return false, fmt.Errorf("building the OTLP request: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-protobuf")
	if e.cfg.Gzip {
		req.Header.Set("Content-Encoding", "gzip")
	}
	for k, v := range e.cfg.Headers {
		req.Header.Set(k, v)
	}
	resp, err := e.client.Do(req)
	if err != nil {
		return true, fmt.Errorf("sending spans to %s: %w", e.cfg.URL, err)
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode/100 == 2 {
		return false, nil
	}
	retry = resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusBadGateway ||
		resp.StatusCode == http.StatusServiceUnavailable || resp.StatusCode == http.StatusGatewayTimeout
	return retry, fmt.Errorf("sending spans to %s: %s: %q", e.cfg.URL, resp.Status, msg)
}

// Shutdown stops further exports; the batcher flushed before calling it.
func (e *exporter) Shutdown(ctx context.Context) error {
	e.closed.Store(true)
	e.client.CloseIdleConnections()
	return nil
}
