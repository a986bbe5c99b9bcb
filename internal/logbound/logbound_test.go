package logbound_test

import (
	"strings"
	"testing"
	"time"

	"github.com/weftworks/weft/internal/logbound"
)

func TestClip(t *testing.T) {
	t.Parallel()
	if got := logbound.Clip("short", 10); got != "short" {
		t.Fatalf("Clip(short) = %q", got)
	}
	long := strings.Repeat("a", 1<<20)
	got := logbound.Clip(long, 256)
	if len(got) > 300 || !strings.HasPrefix(got, strings.Repeat("a", 256)) || !strings.Contains(got, "1048320 more bytes") {
		t.Fatalf("Clip(1 MiB) = %d bytes: %q", len(got), got[len(got)-30:])
	}
	// A multi-byte rune is never split.
	got = logbound.Clip(strings.Repeat("é", 200), 255)
	if !strings.HasPrefix(got, strings.Repeat("é", 127)+"…[") {
		t.Fatalf("Clip split a rune: %q", got[250:])
	}
}

func TestLimiterPerKeyGlobalAndSummary(t *testing.T) {
	t.Parallel()
	l := logbound.NewLimiter(logbound.LimiterConfig{Rate: 1, Burst: 5, GlobalRate: 10, GlobalBurst: 8, SummaryEvery: 10 * time.Second})
	now := time.Unix(1_700_000_000, 0)
	allowed := 0
	for range 100 {
		if ok, _ := l.Allow("198.51.100.1", now); ok {
			allowed++
		}
	}
	if allowed != 5 {
		t.Fatalf("one source got %d lines through at once, want its burst of 5", allowed)
	}
	// Other sources share the global burst (8): only 3 more get through.
	allowed = 0
	var reported int64
	for i := range 50 {
		ok, n := l.Allow("198.51.100."+string(rune('a'+i%26)), now)
		if ok {
			allowed++
		}
		reported += n
	}
	if allowed != 3 {
		t.Fatalf("many sources got %d lines through, want the 3 left of the global burst", allowed)
	}
	// The first line let through reports the 95 dropped before it; the
	// next report waits SummaryEvery.
	if reported != 95 {
		t.Fatalf("reported %d suppressed lines, want 95", reported)
	}
	ok, suppressed := l.Allow("198.51.100.1", now.Add(11*time.Second))
	if !ok || suppressed != 47 {
		t.Fatalf("after 11s: ok=%v suppressed=%d, want true and 47", ok, suppressed)
	}
	if _, again := l.Allow("198.51.100.1", now.Add(11*time.Second)); again != 0 {
		t.Fatalf("the summary was handed out twice: %d", again)
	}
	var nilLimiter *logbound.Limiter
	if ok, _ := nilLimiter.Allow("x", now); !ok {
		t.Fatal("a nil limiter refused")
	}
}
