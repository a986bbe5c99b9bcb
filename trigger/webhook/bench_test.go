package webhook_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/weftworks/weft/signature"
	"github.com/weftworks/weft/trigger/webhook"
	"github.com/weftworks/weft/trigger/webhook/verify"
	"github.com/weftworks/weft/trigger/webhook/verifyspec"
)

// BenchmarkSyncBench measures the whole /hooks/bench path in process:
// parse the request, store the execution (group commit), run transform and
// respond, store the result, answer. Run with -cpu 1 for the per-core figure.
func BenchmarkSyncBench(b *testing.B) {
	bd := setup(b, webhook.Config{}, benchDoc)
	h := bd.srv.Config.Handler
	body := `{"customer":"c1","text":"hello world","amount":42}`
	b.SetParallelism(64) // like 64 concurrent webhook callers
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req := httptest.NewRequest(http.MethodPost, "/hooks/bench", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != 200 {
				b.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
		}
	})
}

// BenchmarkSyncBenchSerial is BenchmarkSyncBench with one caller at a time,
// like wrk at c=1: every request is its own group commit, so it shows what
// one request costs end to end (allocs/op; -cpuprofile for where).
func BenchmarkSyncBenchSerial(b *testing.B) {
	bd := setup(b, webhook.Config{}, benchDoc)
	h := bd.srv.Config.Handler
	body := `{"customer":"c1","text":"hello world","amount":42}`
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, "/hooks/bench", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	}
}

const verifiedBenchDoc = `
name: verified
on:
  webhook:
    path: verified
    verify: { scheme: standard-webhooks, credential: orders-hook }
    dedupe: auto
steps:
  - { id: keep, uses: transform, with: { n: "{{ trigger.body.n }}" } }
`

// BenchmarkVerifiedDedupe measures the async webhook path with Standard
// Webhooks verification and dedupe on webhook-id: verify, claim the
// dedupe key and store the execution in one group-committed write, answer
// 202. Every request is a new delivery.
func BenchmarkVerifiedDedupe(b *testing.B) {
	bd := setup(b, webhook.Config{Secrets: fakeSecrets{"orders-hook": {{ID: "k1", Value: []byte(loadSecret)}}}}, verifiedBenchDoc)
	h := bd.srv.Config.Handler
	var seq atomic.Int64
	b.SetParallelism(64)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			id := "msg_" + strconv.FormatInt(seq.Add(1), 10)
			body := []byte(`{"n":1}`)
			now := time.Now()
			req := httptest.NewRequest(http.MethodPost, "/hooks/verified", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("webhook-id", id)
			req.Header.Set("webhook-timestamp", strconv.FormatInt(now.Unix(), 10))
			req.Header.Set("webhook-signature", signature.Sign([]byte(loadSecret), id, now, body))
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != 202 {
				b.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
		}
	})
}

// BenchmarkVerifyOnly is the cost of checking one signature.
func BenchmarkVerifyOnly(b *testing.B) {
	v, _ := verify.New(verifyspec.Config{Scheme: "standard-webhooks", Credential: "c"}, verify.Options{})
	body := []byte(`{"id":"evt_1","type":"invoice.paid","data":{"object":{"amount":4200}}}`)
	now := time.Now()
	h := http.Header{}
	h.Set("webhook-id", "msg_1")
	h.Set("webhook-timestamp", strconv.FormatInt(now.Unix(), 10))
	h.Set("webhook-signature", signature.Sign([]byte(loadSecret), "msg_1", now, body))
	secrets := []verify.Secret{{ID: "k1", Value: []byte(loadSecret)}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(context.Background(), &verify.Request{Header: h, Body: body, Now: now}, secrets); err != nil {
			b.Fatal(err)
		}
	}
}
