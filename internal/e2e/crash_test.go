package e2e

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

const crashWorkflow = `
name: payments
on:
  webhook: { path: payments, method: POST }
steps:
  - id: reserve
    uses: http.request
    with: { method: POST, url: "%[1]s/reserve", json: { order: "{{ trigger.body.order }}" } }
  - id: charge
    uses: http.request
    with: { method: POST, url: "%[1]s/charge?slow=1", json: { order: "{{ trigger.body.order }}" } }
    timeout: 30s
  - id: notify
    uses: http.request
    with: { method: POST, url: "%[1]s/notify", json: { order: "{{ trigger.body.order }}" } }
`

// TestKill9DuringSlowStepLosesNothing: accepted executions all finish after a
// SIGKILL and a restart, and every completed step took effect exactly once.
func TestKill9DuringSlowStepLosesNothing(t *testing.T) {
	t.Parallel()
	fx := newEffects(1500 * time.Millisecond)
	defer fx.Close()
	data := t.TempDir()
	wfDir := t.TempDir()
	writeWorkflow(t, wfDir, "payments", fmt.Sprintf(crashWorkflow, fx.URL))
	args := []string{"--data", data, "--workflows", wfDir, "--lease", "2s"}
	srv := startServer(t, nil, args...)

	var (
		mu  sync.Mutex
		ids []string
	)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // 40 orders, 50 ms apart: some are mid-charge at the kill
		defer wg.Done()
		for i := 0; i < 40; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if id, err := srv.hook("payments", fmt.Sprintf(`{"order": %d}`, i)); err == nil {
				mu.Lock()
				ids = append(ids, id)
				mu.Unlock()
			}
			time.Sleep(50 * time.Millisecond)
		}
	}()
	// Kill 1.2 s into the burst, or later if by then fewer than 10 orders
	// are in or no charge is mid-call (a loaded machine accepts them
	// slower).
	began := time.Now()
	deadline := began.Add(30 * time.Second)
	for {
		mu.Lock()
		n := len(ids)
		mu.Unlock()
		if time.Since(began) >= 1200*time.Millisecond && n >= 10 && fx.inflightSteps("charge") > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 30 s: %d webhooks accepted, %d charges in flight", n, fx.inflightSteps("charge"))
		}
		time.Sleep(10 * time.Millisecond)
	}
	killedAt := time.Now()
	srv.kill()
	close(stop)
	wg.Wait()
	mu.Lock()
	accepted := append([]string(nil), ids...)
	mu.Unlock()
	if len(accepted) < 10 {
		t.Fatalf("only %d webhooks accepted before the kill", len(accepted))
	}
	t.Logf("killed with %d accepted executions", len(accepted))

	srv = startServer(t, nil, args...)
	done := waitFinished(t, srv, accepted, 60*time.Second)
	for id, ex := range done {
		if ex.Status != "succeeded" {
			t.Errorf("execution %s: %s %+v", id, ex.Status, ex.Error)
		}
	}
	repeats := checkOnce(t, fx, accepted, []string{"reserve", "charge", "notify"}, []time.Time{killedAt}, 300*time.Millisecond)
	if repeats["charge"] == 0 {
		t.Fatal("the kill interrupted no slow step; the test proves nothing")
	}
}
