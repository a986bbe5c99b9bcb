package tracing

import (
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	collectorpb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"
)

func envOf(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestEnabled(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		env  map[string]string
		want bool
	}{
		{nil, false},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318"}, true},
		{map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://c:4318/v1/traces"}, true},
		{map[string]string{"OTEL_TRACES_EXPORTER": "otlp"}, true},
		{map[string]string{"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318"}, false},
		{map[string]string{"OTEL_SDK_DISABLED": "true", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318"}, false},
	} {
		if got := Enabled(envOf(tc.env)); got != tc.want {
			t.Errorf("Enabled(%v) = %v, want %v", tc.env, got, tc.want)
		}
	}
}

func TestOffStartsNothing(t *testing.T) {
	t.Parallel()
	p, err := New(context.Background(), envOf(nil), "test", nil)
	if err != nil {
		t.Fatal(err)
	}
	if p.Tracer() != nil {
		t.Fatal("tracing is off but a tracer was built")
	}
	if err := p.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestConfigErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}, "http/protobuf"},
		{map[string]string{"OTEL_TRACES_EXPORTER": "zipkin", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318"}, "otlp"},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "c:4318"}, "http(s) URL"},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_EXPORTER_OTLP_TIMEOUT": "soon"}, "milliseconds"},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_EXPORTER_OTLP_HEADERS": "novalue"}, "key=value"},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_EXPORTER_OTLP_COMPRESSION": "br"}, "gzip or none"},
	} {
		_, err := New(context.Background(), envOf(tc.env), "test", nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New(%v) = %v, want an error naming %q", tc.env, err, tc.want)
		}
	}
}

// TestExportDecodesAsOTLP: what the exporter posts is a valid
// ExportTraceServiceRequest (decoded with the collector's own types), sent
// to <endpoint>/v1/traces with the configured headers, gzip-compressed.
func TestExportDecodesAsOTLP(t *testing.T) {
	t.Parallel()
	var (
		mu   sync.Mutex
		got  []*collectorpb.ExportTraceServiceRequest
		hdrs []http.Header
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/traces" || r.Header.Get("Content-Type") != "application/x-protobuf" {
			http.Error(w, "wrong path or type", http.StatusBadRequest)
			return
		}
		body, err := readBody(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		var req collectorpb.ExportTraceServiceRequest
		if err := proto.Unmarshal(body, &req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		mu.Lock()
		got, hdrs = append(got, &req), append(hdrs, r.Header.Clone())
		mu.Unlock()
	}))
	t.Cleanup(srv.Close)
	p, err := New(context.Background(), envOf(map[string]string{
		"OTEL_EXPORTER_OTLP_ENDPOINT":    srv.URL + "/",
		"OTEL_EXPORTER_OTLP_HEADERS":     "authorization=Bearer%20abc,x-team=ops",
		"OTEL_EXPORTER_OTLP_COMPRESSION": "gzip",
	}), "v9", nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, parent := p.Tracer().Start(context.Background(), "parent", trace.WithAttributes(attribute.Int("n", 7)))
	_, child := p.Tracer().Start(ctx, "child", trace.WithAttributes(attribute.StringSlice("tags", []string{"a", "b"})))
	child.End()
	parent.End()
	if err := p.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) == 0 {
		t.Fatal("the receiver got no export")
	}
	if h := hdrs[0]; h.Get("Authorization") != "Bearer abc" || h.Get("X-Team") != "ops" || h.Get("Content-Encoding") != "gzip" {
		t.Errorf("headers = %v", h)
	}
	spans := map[string]string{} // name -> parent span id (hex)
	ids := map[string]string{}
	var service string
	for _, req := range got {
		for _, rs := range req.ResourceSpans {
			for _, kv := range rs.Resource.Attributes {
				if kv.Key == "service.name" {
					service = kv.Value.GetStringValue()
				}
			}
			for _, ss := range rs.ScopeSpans {
				for _, s := range ss.Spans {
					spans[s.Name] = string(s.ParentSpanId)
					ids[s.Name] = string(s.SpanId)
				}
			}
		}
	}
	if service != "weft" {
		t.Errorf("service.name = %q, want weft", service)
	}
	if spans["child"] != ids["parent"] || spans["parent"] != "" {
		t.Errorf("parent/child structure lost: %v / %v", spans, ids)
	}
}

func TestExportRetriesThenReports(t *testing.T) {
	t.Parallel()
	var calls int
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		calls++
		n := calls
		mu.Unlock()
		if n == 1 {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		http.Error(w, "bad", http.StatusBadRequest)
	}))
	t.Cleanup(srv.Close)
	cfg, err := exporterConfigFromEnv(envOf(map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": srv.URL + "/x"}))
	if err != nil {
		t.Fatal(err)
	}
	tp := sdktrace.NewTracerProvider()
	_, s := tp.Tracer("t").Start(context.Background(), "s")
	s.End()
	ro := s.(sdktrace.ReadOnlySpan)
	err = newExporter(cfg).ExportSpans(context.Background(), []sdktrace.ReadOnlySpan{ro})
	if err == nil || !strings.Contains(err.Error(), "400") {
		t.Fatalf("ExportSpans = %v, want the 400 reported", err)
	}
	if calls != 2 {
		t.Errorf("calls = %d, want a retry after 503 and none after 400", calls)
	}
}

func TestTransportAddsTraceparent(t *testing.T) {
	t.Parallel()
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = append(seen, r.Header.Get("traceparent"))
	}))
	t.Cleanup(srv.Close)
	c := Client(srv.Client())
	tp := sdktrace.NewTracerProvider()
	ctx, span := tp.Tracer("t").Start(context.Background(), "attempt")
	defer span.End()
	for _, ctx := range []context.Context{ctx, context.Background()} {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if req.Header.Get("traceparent") != "" {
			t.Error("the caller's request was changed")
		}
	}
	sc := span.SpanContext()
	want := "00-" + sc.TraceID().String() + "-" + sc.SpanID().String() + "-01"
	if len(seen) != 2 || seen[0] != want || seen[1] != "" {
		t.Errorf("traceparent sent = %q, want [%q, \"\"]", seen, want)
	}
}

func readBody(r *http.Request) ([]byte, error) {
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzipReader(r.Body)
		if err != nil {
			return nil, err
		}
		return io.ReadAll(zr)
	}
	return io.ReadAll(r.Body)
}

func gzipReader(r io.Reader) (io.Reader, error) { return gzip.NewReader(r) }
