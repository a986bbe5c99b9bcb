package e2e

import (
	"compress/gzip"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	collectorpb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

// otlpReceiver is a local OTLP/HTTP trace endpoint: it decodes each export
// with the collector's own protobuf types, as a real collector would.
type otlpReceiver struct {
	*httptest.Server
	mu    sync.Mutex
	spans []*tracepb.Span
}

func newOTLPReceiver(t *testing.T) *otlpReceiver {
	r := &otlpReceiver{}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Method != http.MethodPost || req.URL.Path != "/v1/traces" || req.Header.Get("Content-Type") != "application/x-protobuf" {
			http.Error(w, "want POST application/x-protobuf to /v1/traces", http.StatusBadRequest)
			return
		}
		var body io.Reader = req.Body
		if req.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(req.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			body = zr
		}
		b, err := io.ReadAll(body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		var export collectorpb.ExportTraceServiceRequest
		if err := proto.Unmarshal(b, &export); err != nil {
			t.Errorf("undecodable OTLP export: %v", err)
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		r.mu.Lock()
		defer r.mu.Unlock()
		for _, rs := range export.ResourceSpans {
			for _, ss := range rs.ScopeSpans {
				r.spans = append(r.spans, ss.Spans...)
			}
		}
		w.Header().Set("Content-Type", "application/x-protobuf")
		out, _ := proto.Marshal(&collectorpb.ExportTraceServiceResponse{})
		_, _ = w.Write(out)
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *otlpReceiver) all() []*tracepb.Span {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*tracepb.Span(nil), r.spans...)
}

// waitSpan waits for a span with this name and attribute values.
func (r *otlpReceiver) waitSpan(t *testing.T, name string, attrs map[string]string, within time.Duration) *tracepb.Span {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		for _, s := range r.all() {
			if s.Name == name && hasAttrs(s, attrs) {
				return s
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no span %q %v within %s; received: %s", name, attrs, within, spanList(r.all()))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func hasAttrs(s *tracepb.Span, want map[string]string) bool {
	for k, v := range want {
		found := false
		for _, kv := range s.Attributes {
			if kv.Key == k {
				val := kv.Value.GetStringValue()
				switch kv.Value.Value.(type) {
				case *commonpb.AnyValue_IntValue:
					val = fmt.Sprint(kv.Value.GetIntValue())
				case *commonpb.AnyValue_BoolValue:
					val = fmt.Sprint(kv.Value.GetBoolValue())
				}
				found = val == v
			}
		}
		if !found {
			return false
		}
	}
	return true
}

func spanList(spans []*tracepb.Span) string {
	var b strings.Builder
	for _, s := range spans {
		fmt.Fprintf(&b, "\n  %s trace=%x span=%x parent=%x", s.Name, s.TraceId, s.SpanId, s.ParentSpanId)
	}
	return b.String()
}

const tracedParent = `
name: traced
on:
  webhook: { path: traced, method: POST }
steps:
  - id: call
    uses: workflow.call
    with: { workflow: traced-child }
  - id: after
    uses: http.request
    with: { method: POST, url: "%[1]s/after" }
`

const tracedChild = `
name: traced-child
steps:
  - id: out
    uses: http.request
    with: { method: POST, url: "%[1]s/out" }
  - id: slow
    uses: http.request
    with: { method: POST, url: "%[1]s/slow" }
    timeout: 60s
`

// TestTracesAcrossCrashAndChild: a webhook carrying a traceparent starts a
// parent that calls a child; the child's process is SIGKILLed mid-step and
// another process finishes it. Every span lands in the caller's trace with
// the right parents, and the outbound request carries its attempt's span.
func TestTracesAcrossCrashAndChild(t *testing.T) {
	t.Parallel()
	rcv := newOTLPReceiver(t)
	var (
		mu        sync.Mutex
		sent      = map[string]string{} // path -> traceparent received
		slowCalls int
	)
	slowStarted := make(chan struct{}, 1)
	fx := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		sent[r.URL.Path] = r.Header.Get("traceparent")
		first := r.URL.Path == "/slow" && slowCalls == 0
		if r.URL.Path == "/slow" {
			slowCalls++
		}
		mu.Unlock()
		if first {
			slowStarted <- struct{}{}
			select { // held until the process that sent it is killed
			case <-r.Context().Done():
			case <-time.After(30 * time.Second):
			}
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"ok": true}`))
	}))
	t.Cleanup(fx.Close)
	wfDir := t.TempDir()
	writeWorkflow(t, wfDir, "traced", fmt.Sprintf(tracedParent, fx.URL))
	writeWorkflow(t, wfDir, "traced-child", fmt.Sprintf(tracedChild, fx.URL))
	env := []string{"OTEL_EXPORTER_OTLP_ENDPOINT=" + rcv.URL, "OTEL_BSP_SCHEDULE_DELAY=50", "OTEL_SERVICE_NAME=weft-e2e"}
	args := []string{"--data", t.TempDir(), "--workflows", wfDir, "--lease", "2s"}
	srv := startServer(t, env, args...)

	const callerTrace, callerSpan = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
	req, _ := http.NewRequest(http.MethodPost, srv.url+"/hooks/traced", strings.NewReader(`{}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("traceparent", "00-"+callerTrace+"-"+callerSpan+"-01")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("webhook answered %d", resp.StatusCode)
	}
	select {
	case <-slowStarted:
	case <-time.After(30 * time.Second):
		t.Fatal("the child's slow step never started")
	}
	// What finished before the crash is exported (50 ms batches) before
	// the kill.
	out := rcv.waitSpan(t, "step out", map[string]string{"weft.step.type": "http.request"}, 10*time.Second)
	callSpan := rcv.waitSpan(t, "step call", nil, 10*time.Second)
	srv.kill()

	srv = startServer(t, env, args...)
	after := rcv.waitSpan(t, "step after", nil, 60*time.Second)
	slow := rcv.waitSpan(t, "step slow", nil, 10*time.Second) // the attempt the crash cut short, run again
	recovered := rcv.waitSpan(t, "run traced-child", map[string]string{"weft.recovered": "true"}, 10*time.Second)
	resumed := rcv.waitSpan(t, "run traced", map[string]string{"weft.resumed": "true"}, 10*time.Second)
	parentStart := rcv.waitSpan(t, "execution traced", map[string]string{"weft.trigger": "webhook"}, 10*time.Second)
	childStart := rcv.waitSpan(t, "execution traced-child", map[string]string{"weft.trigger": "workflow"}, 10*time.Second)

	for _, s := range rcv.all() {
		if hex.EncodeToString(s.TraceId) != callerTrace {
			t.Errorf("span %q is in trace %x, want the caller's %s", s.Name, s.TraceId, callerTrace)
		}
	}
	parentOf := func(child, parent *tracepb.Span) {
		t.Helper()
		if string(child.ParentSpanId) != string(parent.SpanId) {
			t.Errorf("span %q has parent %x, want %q (%x)", child.Name, child.ParentSpanId, parent.Name, parent.SpanId)
		}
	}
	if got := hex.EncodeToString(parentStart.ParentSpanId); got != callerSpan {
		t.Errorf("the execution's start span has parent %s, want the webhook caller's %s", got, callerSpan)
	}
	parentOf(childStart, callSpan) // workflow.call links the child under the calling attempt
	parentOf(recovered, childStart)
	parentOf(slow, recovered)
	parentOf(resumed, parentStart)
	parentOf(after, resumed)
	mu.Lock()
	got := sent["/out"]
	mu.Unlock()
	if want := "00-" + callerTrace + "-" + hex.EncodeToString(out.SpanId) + "-01"; got != want {
		t.Errorf("the outbound request carried traceparent %q, want its attempt's %q", got, want)
	}
	if t.Failed() {
		t.Logf("spans: %s", spanList(rcv.all()))
	}
}
