package outbound_test

import (
	"runtime"
	"testing"

	"github.com/weftworks/weft/outbound"
)

// The service keeps no large buffer for its life: everything it holds live
// raises the GC's heap goal by GOGC percent on top (docs/benchmarks.md,
// "Issue 14: peak RSS"). Its event queue used to be 1.3 MB of values.
func TestNewKeepsNoLargeBuffer(t *testing.T) { // not parallel: it reads the process's allocation counter
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	svc, err := outbound.New(outbound.Config{Engine: struct{ outbound.Engine }{}, Store: struct{ outbound.Store }{}})
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	runtime.KeepAlive(svc)
	if got := after.TotalAlloc - before.TotalAlloc; got > 256<<10 {
		t.Fatalf("outbound.New allocated %d bytes; want under 256 KiB", got)
	}
}
