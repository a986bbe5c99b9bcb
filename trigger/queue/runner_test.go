package queue

import (
	"strings"
	"testing"
	"time"
)

// Reconnect delays stay within [min, max] and grow with the attempt.
func TestBackoffBoundsAndGrowth(t *testing.T) {
	t.Parallel()
	lo, hi := 250*time.Millisecond, 30*time.Second
	for attempt := range 40 {
		for range 50 {
			d := backoff(lo, hi, attempt)
			if d < lo || d > hi {
				t.Fatalf("attempt %d: %s outside [%s, %s]", attempt, d, lo, hi)
			}
			if ceil := lo << attempt; attempt < 7 && d > ceil {
				t.Fatalf("attempt %d: %s above %s", attempt, d, ceil)
			}
		}
	}
}

// prefetch never exceeds the workflow's concurrency.
func TestPrefetchBoundedByConcurrency(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ prefetch, concurrency, want int }{{32, 0, 32}, {32, 4, 4}, {2, 4, 2}, {0, 0, 32}} {
		got := prefetch(Workflow{Concurrency: c.concurrency}, map[string]any{"prefetch": c.prefetch})
		if got != c.want {
			t.Errorf("prefetch %d, concurrency %d: got %d, want %d", c.prefetch, c.concurrency, got, c.want)
		}
	}
}

// The execution input carries the body decoded (JSON), as text, or base64.
func TestMessageInputEncodings(t *testing.T) {
	t.Parallel()
	for body, want := range map[string]string{
		`{"a":1}`:  `"body":{"a":1}`,
		"plain":    `"body":"plain"`,
		"\xff\xfe": `"body_encoding":"base64"`,
	} {
		in, err := messageInput("rabbitmq", "id-1", Message{Body: []byte(body), Meta: map[string]any{"queue": "q"}})
		if err != nil {
			t.Fatal(err)
		}
		if s := string(in); !strings.Contains(s, want) || !strings.Contains(s, `"message_id":"id-1"`) || !strings.Contains(s, `"queue":"q"`) {
			t.Errorf("%q → %s", body, s)
		}
	}
}
