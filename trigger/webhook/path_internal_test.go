package webhook

import (
	"testing"

	"github.com/weftworks/weft/workflow"
)

// TestWebhookPathMatchesPattern: the handler's path check accepts exactly
// what workflow.WebhookPathPattern accepts.
func TestWebhookPathMatchesPattern(t *testing.T) {
	t.Parallel()
	for _, p := range webhookPaths {
		if got, want := webhookPath(p), workflow.WebhookPathPattern.MatchString(p); got != want {
			t.Errorf("webhookPath(%q) = %v, the pattern says %v", p, got, want)
		}
	}
}

var webhookPaths = []string{"", "bench", "a/b", "a-b_c/D9", "/a", "a/", "a//b", "a b", "a.b", "ä", "a/b/c/d", "-", "_/_", "a\n", "a/\x00"}

func FuzzWebhookPath(f *testing.F) {
	for _, p := range webhookPaths {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, p string) {
		if got, want := webhookPath(p), workflow.WebhookPathPattern.MatchString(p); got != want {
			t.Errorf("webhookPath(%q) = %v, the pattern says %v", p, got, want)
		}
	})
}
