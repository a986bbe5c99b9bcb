package webhook_test

import (
	"runtime"
	"testing"

	"github.com/weftworks/weft/trigger/webhook"
)

// A handler keeps no large buffer for its life: everything it holds live
// raises the GC's heap goal by GOGC percent on top (docs/benchmarks.md,
// "Issue 14: peak RSS"). The delivery-log queue used to be 3.6 MB of values.
func TestNewKeepsNoLargeBuffer(t *testing.T) { // not parallel: it reads the process's allocation counter
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	h, err := webhook.New(webhook.Config{Engine: struct{ webhook.Engine }{}, Store: struct{ webhook.Store }{}})
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	runtime.KeepAlive(h)
	if got := after.TotalAlloc - before.TotalAlloc; got > 512<<10 {
		t.Fatalf("webhook.New allocated %d bytes; want under 512 KiB", got)
	}
}
