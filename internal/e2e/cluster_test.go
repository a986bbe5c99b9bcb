package e2e

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// pgTests bounds how many tests use PostgreSQL at once. Each runs two
// weft serve processes whose pools hold up to 16 connections; more tests at
// once would exhaust the server's default max_connections (100), which other
// packages' tests share, and a process that cannot connect falls back to
// per-process behaviour (a rate limit, for one) that fails the test.
var pgTests = make(chan struct{}, 2)

// pgSchemaURL makes a fresh schema in the test database and returns a URL
// whose connections use it. The test holds one of pgTests until its
// cleanups (the processes are killed first) have run.
func pgSchemaURL(t *testing.T) string {
	t.Helper()
	base := os.Getenv("WEFT_TEST_POSTGRES_URL")
	if base == "" {
		t.Skip("set WEFT_TEST_POSTGRES_URL (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable) to run the multi-process PostgreSQL test")
	}
	pgTests <- struct{}{}
	t.Cleanup(func() { <-pgTests })
	ctx, cancel := ctxTimeout(10 * time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("connecting to WEFT_TEST_POSTGRES_URL: %v", err)
	}
	defer conn.Close(ctx)
	schema := fmt.Sprintf("e2e_%d_%s", time.Now().UnixNano(), randomSuffix()) // unique among parallel tests
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := ctxTimeout(10 * time.Second)
		defer cancel()
		if c, err := pgx.Connect(ctx, base); err == nil {
			_, _ = c.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE")
			c.Close(ctx)
		}
	})
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + "search_path=" + schema
}

const clusterWorkflows = `
name: orders
on:
  webhook: { path: orders, method: POST }
steps:
  - id: reserve
    uses: http.request
    with: { method: POST, url: "%[1]s/reserve", json: { order: "{{ trigger.body.order }}" } }
  - id: charge
    uses: http.request
    with: { method: POST, url: "%[1]s/charge?slow=1", json: { order: "{{ trigger.body.order }}" } }
  - id: ship
    uses: http.request
    with: { method: POST, url: "%[1]s/ship", json: { order: "{{ trigger.body.order }}" } }
`

const tickWorkflow = `
name: ticker
on:
  schedule: [{ cron: "@every 1s" }]
steps:
  - id: tick
    uses: transform
    with: { at: "{{ trigger.scheduled_at }}" }
`

// TestTwoProcessesShareOnePostgres: two weft serve processes on one
// database; one is killed mid-load; the other finishes everything, nothing
// runs twice, and each cron tick fires one execution.
func TestTwoProcessesShareOnePostgres(t *testing.T) {
	t.Parallel()
	db := pgSchemaURL(t)
	fx := newEffects(800 * time.Millisecond)
	defer fx.Close()
	wfDir := t.TempDir()
	writeWorkflow(t, wfDir, "orders", fmt.Sprintf(clusterWorkflows, fx.URL))
	writeWorkflow(t, wfDir, "ticker", tickWorkflow)
	args := func() []string {
		return []string{"--db", db, "--data", t.TempDir(), "--workflows", wfDir, "--lease", "2s"}
	}
	a := startServer(t, nil, args()...)
	b := startServer(t, nil, args()...)

	var (
		mu  sync.Mutex
		ids []string
	)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i, s := range []*server{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; n < 30; n++ {
				select {
				case <-stop:
					if s == a {
						return
					}
				default:
				}
				if id, err := s.hook("orders", fmt.Sprintf(`{"order": "%d-%d"}`, i, n)); err == nil {
					mu.Lock()
					ids = append(ids, id)
					mu.Unlock()
				}
				time.Sleep(40 * time.Millisecond)
			}
		}()
	}
	time.Sleep(700 * time.Millisecond)
	killedAt := time.Now()
	a.kill()
	close(stop)
	wg.Wait()
	mu.Lock()
	accepted := append([]string(nil), ids...)
	mu.Unlock()
	t.Logf("%d executions accepted by the two processes; process A killed", len(accepted))

	done := waitFinished(t, b, accepted, 90*time.Second)
	for id, ex := range done {
		if ex.Status != "succeeded" {
			t.Errorf("execution %s: %s %+v", id, ex.Status, ex.Error)
		}
	}
	checkOnce(t, fx, accepted, []string{"reserve", "charge", "ship"}, []time.Time{killedAt}, 300*time.Millisecond)

	// Cron: B has been running throughout, A for the first part. Every
	// tick has exactly one execution.
	time.Sleep(1500 * time.Millisecond)
	var list struct {
		Items []struct {
			ID    string `json:"id"`
			Input struct {
				ScheduledAt string `json:"scheduled_at"`
			} `json:"input"`
		} `json:"items"`
	}
	if code, err := b.api("GET", "/api/v1/executions?workflow=ticker&limit=500", nil, &list); err != nil || code != 200 {
		t.Fatalf("listing ticker executions: %d %v", code, err)
	}
	seen := map[string]string{}
	for _, ex := range list.Items {
		if prev, dup := seen[ex.Input.ScheduledAt]; dup {
			t.Errorf("tick %s fired twice: %s and %s", ex.Input.ScheduledAt, prev, ex.ID)
		}
		seen[ex.Input.ScheduledAt] = ex.ID
	}
	if len(seen) < 2 {
		t.Fatalf("only %d ticks fired; the schedule did not run", len(seen))
	}
	t.Logf("%d cron ticks, one execution each", len(seen))
	_ = context.Background
}
