package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestQueueBrokersPassTheSSRFGuard: a weft serve without
// --allow-private-net may not reach a broker on loopback through a
// connection without allow_private_net — the trigger reports the SSRF
// refusal in its health and queue.publish fails saying how to allow it, and
// nothing reaches the broker. With allow_private_net on the connection both
// work: the trigger connects, and a published message becomes an execution.
func TestQueueBrokersPassTheSSRFGuard(t *testing.T) {
	t.Parallel()
	r := newRedisStream(t)
	name := "queue-ssrf-" + randomSuffix()
	dir := t.TempDir()
	writeWorkflow(t, dir, name, fmt.Sprintf(queueWorkflow, name,
		fmt.Sprintf("{ broker: redis, connection: broker, stream: %s, group: weft }", r.stream)))
	writeWorkflow(t, dir, name+"-pub", fmt.Sprintf(`
name: %s-pub
on:
  webhook: { path: %[1]s-pub, method: POST }
steps:
  - id: send
    uses: queue.publish
    retry: { max_attempts: 1 }
    with: { connection: broker, stream: %s, body: { n: 7 } }
`, name, r.stream))
	s := startServerNoPrivateNet(t, "--data", t.TempDir(), "--workflows", dir)
	cred := r.credential()
	putCredential(t, s, "broker", cred)

	health := func() (status, lastError string) {
		var tl triggerList
		if code, err := s.api("GET", "/api/v1/triggers", nil, &tl); err != nil || code != 200 {
			t.Fatalf("GET /api/v1/triggers: %d %v", code, err)
		}
		for _, it := range tl.Items {
			if it.Workflow == name {
				return it.Status, it.LastError
			}
		}
		return "", ""
	}
	queueWaitFor(t, 30*time.Second, "the trigger's SSRF refusal", func() bool {
		_, e := health()
		return strings.Contains(e, "SSRF guard")
	})
	if st, e := health(); st != "error" {
		t.Errorf("trigger refused by the SSRF guard: status %q (%s), want error", st, e)
	}

	id, err := s.hook(name+"-pub", `{}`)
	if err != nil {
		t.Fatal(err)
	}
	ex := finished(t, s, id, 30*time.Second)
	if ex.Status != "failed" || len(ex.Steps) == 0 || ex.Steps[0].Error == nil ||
		!strings.Contains(ex.Steps[0].Error.Message, "SSRF guard") || !strings.Contains(ex.Steps[0].Error.Message, "allow_private_net") ||
		ex.Steps[0].Attempts != 1 {
		t.Fatalf("publish without allow_private_net: execution %s %+v, want failed once by the SSRF guard", ex.Status, ex.Steps)
	}
	if n, err := r.rc.XLen(context.Background(), r.stream).Result(); err != nil || n != 0 {
		t.Fatalf("the stream holds %d entries (%v) after a refused publish, want 0", n, err)
	}

	cred["allow_private_net"] = []string{"127.0.0.0/8"}
	putCredential(t, s, "broker", cred)
	// The consumer dials again after its backoff (at most 30s).
	queueWaitFor(t, 45*time.Second, "the trigger to connect once allowed", func() bool {
		st, _ := health()
		return st == "ok"
	})
	id, err = s.hook(name+"-pub", `{}`)
	if err != nil {
		t.Fatal(err)
	}
	if ex := finished(t, s, id, 30*time.Second); ex.Status != "succeeded" {
		t.Fatalf("publish with allow_private_net: execution %s %+v", ex.Status, ex.Steps)
	}
	queueWaitFor(t, 30*time.Second, "the published message to start an execution", func() bool {
		return executionInputs(t, s, name)[7] == 1
	})
}

// queueWaitFor polls cond every 100ms until it holds or d passes.
func queueWaitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
