package webhook_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/weftworks/weft/trigger/webhook"
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
