package webhook_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/connectors/standard"
	"github.com/weftworks/weft/credential"
	"github.com/weftworks/weft/engine"
	"github.com/weftworks/weft/signature"
	"github.com/weftworks/weft/step"
	"github.com/weftworks/weft/store"
	"github.com/weftworks/weft/store/storepg"
	"github.com/weftworks/weft/trigger/webhook"
	"github.com/weftworks/weft/workflow"
)

const loadDoc = `
name: orders
on:
  webhook:
    path: orders
    verify: { scheme: standard-webhooks, credential: orders-hook }
    dedupe: auto
steps:
  - { id: keep, uses: transform, with: { n: "{{ trigger.body.n }}" } }
`

var loadSecret = "whsec_" + base64.StdEncoding.EncodeToString([]byte("load-test-secret-0123456789abcd"))

// loadRun sends total signed deliveries, 10% of them repeats of earlier
// ones, from 64 concurrent clients spread over the servers, and checks
// that every unique delivery has exactly one execution and that every
// repeat answers with the first execution's id.
func loadRun(t *testing.T, urls []string, total int, count func() int) {
	t.Helper()
	unique := total - total/10
	type msg struct {
		id   string
		body []byte
	}
	msgs := make([]msg, 0, total)
	for i := 0; i < unique; i++ {
		msgs = append(msgs, msg{id: fmt.Sprintf("msg_%06d", i), body: []byte(fmt.Sprintf(`{"n":%d}`, i))})
	}
	for i := 0; i < total-unique; i++ {
		msgs = append(msgs, msgs[(i*7919)%unique]) // a repeat, sent interleaved below
	}
	// Interleave: repeats land between originals so some race them.
	order := make([]int, total)
	for i := range order {
		order[i] = i
	}
	for i := len(order) - 1; i > 0; i-- {
		var b [2]byte
		_, _ = rand.Read(b[:])
		j := int(uint16(b[0])<<8|uint16(b[1])) % (i + 1)
		order[i], order[j] = order[j], order[i]
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}, Timeout: 30 * time.Second}
	var mu sync.Mutex
	first := map[string]string{}
	var bad []string
	work := make(chan int)
	var wg sync.WaitGroup
	for c := 0; c < 64; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			for i := range work {
				m := msgs[order[i]]
				now := time.Now()
				req, _ := http.NewRequest(http.MethodPost, urls[c%len(urls)]+"/hooks/orders", bytes.NewReader(m.body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("webhook-id", m.id)
				req.Header.Set("webhook-timestamp", strconv.FormatInt(now.Unix(), 10))
				req.Header.Set("webhook-signature", signature.Sign([]byte(loadSecret), m.id, now, m.body))
				resp, err := client.Do(req)
				if err != nil {
					mu.Lock()
					bad = append(bad, err.Error())
					mu.Unlock()
					continue
				}
				var out struct {
					ID string `json:"execution_id"`
				}
				_ = json.NewDecoder(resp.Body).Decode(&out)
				resp.Body.Close()
				mu.Lock()
				switch {
				case resp.StatusCode != 202 && resp.StatusCode != 200:
					bad = append(bad, fmt.Sprintf("%s: status %d", m.id, resp.StatusCode))
				case first[m.id] == "":
					first[m.id] = out.ID
				case first[m.id] != out.ID:
					bad = append(bad, fmt.Sprintf("%s: two executions %s and %s", m.id, first[m.id], out.ID))
				}
				mu.Unlock()
			}
		}(c)
	}
	start := time.Now()
	for i := 0; i < total; i++ {
		work <- i
	}
	close(work)
	wg.Wait()
	if len(bad) > 0 {
		t.Fatalf("%d bad answers, first: %v", len(bad), bad[:min(5, len(bad))])
	}
	if len(first) != unique {
		t.Fatalf("%d unique deliveries acknowledged, want %d", len(first), unique)
	}
	t.Logf("load: %d deliveries (%d unique) from 64 clients in %s (%.0f/s)", total, unique, time.Since(start).Round(time.Millisecond), float64(total)/time.Since(start).Seconds())
	if n := count(); n != unique {
		t.Fatalf("%d executions stored for %d unique deliveries (%d sent)", n, unique, total)
	}
}

// loadTotal is 3,000 in CI; bench/webhook-load.sh sets WEFT_WEBHOOK_LOAD=50000.
func loadTotal() int {
	if n, err := strconv.Atoi(os.Getenv("WEFT_WEBHOOK_LOAD")); err == nil && n > 0 && n <= 200000 {
		return n
	}
	return 3000
}

// TestLoadDedupeSQLite is the CI-sized version of bench/webhookload: 3,000
// deliveries, 10% repeats, 64 clients → one execution per unique delivery.
func TestLoadDedupeSQLite(t *testing.T) {
	t.Parallel()
	b := setup(t, webhook.Config{Secrets: fakeSecrets{"orders-hook": {{ID: "k1", Value: []byte(loadSecret)}}}}, loadDoc)
	loadRun(t, []string{b.srv.URL}, loadTotal(), func() int { return countExecutions(t, b, "orders") })
}

// TestIntegrationLoadDedupePostgresTwoProcesses runs two engines and two
// webhook handlers (two "processes") on one PostgreSQL schema; clients
// alternate between them, so repeats race across processes.
func TestIntegrationLoadDedupePostgresTwoProcesses(t *testing.T) {
	url := os.Getenv("WEFT_TEST_POSTGRES_URL")
	if url == "" {
		t.Skip("set WEFT_TEST_POSTGRES_URL to a PostgreSQL URL to run the two-process load test")
	}
	t.Parallel()
	ctx := context.Background()
	rb := make([]byte, 6)
	_, _ = rand.Read(rb)
	schema := "weft_test_" + hex.EncodeToString(rb)
	t.Cleanup(func() {
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			return
		}
		defer conn.Close(ctx)
		_, _ = conn.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE")
	})
	reg := step.NewRegistry()
	if err := standard.Register(reg); err != nil {
		t.Fatal(err)
	}
	var urls []string
	var first store.Store
	for i := 0; i < 2; i++ {
		st, err := storepg.Open(ctx, url, storepg.Options{Schema: schema, MaxConns: 16})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		if i == 0 {
			first = st
			c, err := workflow.Parse("orders.yaml", []byte(loadDoc), reg)
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := st.PutWorkflow(ctx, weft.WorkflowRecord{Name: "orders", Source: loadDoc, Enabled: true, WebhookPath: c.Workflow.On.Webhook.Path}); err != nil {
				t.Fatal(err)
			}
		}
		eng, err := engine.New(engine.Config{Store: st, Registry: reg, PollInterval: 50 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		h, err := webhook.New(webhook.Config{Engine: eng, Store: st, Secrets: fakeSecrets{"orders-hook": []credential.Secret{{ID: "k1", Value: []byte(loadSecret)}}}})
		if err != nil {
			t.Fatal(err)
		}
		runCtx, stop := context.WithCancel(ctx)
		var wg sync.WaitGroup
		wg.Add(2)
		go func() { defer wg.Done(); _ = eng.Run(runCtx) }()
		go func() { defer wg.Done(); _ = h.Run(runCtx) }()
		srv := httptest.NewServer(h)
		t.Cleanup(func() { srv.Close(); stop(); wg.Wait() })
		urls = append(urls, srv.URL)
	}
	loadRun(t, urls, loadTotal(), func() int {
		n, err := first.CountExecutions(ctx, "orders")
		if err != nil {
			t.Fatal(err)
		}
		return n
	})
}
