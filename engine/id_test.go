package engine

import (
	"bytes"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"
)

// NewID is a ULID of the given millisecond with random bits that differ
// from one id to the next.
func TestNewIDIsTimedULID(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 29, 6, 0, 0, 123456789, time.UTC)
	a, b := NewID(at), NewID(at)
	if a == b {
		t.Fatalf("two ids are both %s", a)
	}
	for _, s := range []string{a, b} {
		id, err := ulid.ParseStrict(s)
		if err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		if id.Time() != ulid.Timestamp(at) {
			t.Fatalf("%s: time %d, want %d", s, id.Time(), ulid.Timestamp(at))
		}
		if id.Entropy()[0] == 0 && bytes.Equal(id.Entropy(), make([]byte, 10)) {
			t.Fatalf("%s: no entropy", s)
		}
	}
}
