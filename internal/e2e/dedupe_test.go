package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
)

const dedupeWorkflow = `
name: deduped
on:
  webhook: { path: deduped, method: POST, dedupe: "{{ trigger.headers['x-delivery-id'] }}" }
steps:
  - id: keep
    uses: transform
    with: { order: "{{ trigger.body.order }}" }
`

// TestDedupeAcrossProcesses: the same delivery sent four times at once, to
// two weft serve processes on one PostgreSQL, starts one execution, and
// every answer names it.
func TestDedupeAcrossProcesses(t *testing.T) {
	t.Parallel()
	db := pgSchemaURL(t)
	wfDir := t.TempDir()
	writeWorkflow(t, wfDir, "deduped", dedupeWorkflow)
	a := startServer(t, nil, "--db", db, "--data", t.TempDir(), "--workflows", wfDir)
	b := startServer(t, nil, "--db", db, "--data", t.TempDir(), "--workflows", wfDir)

	const deliveries, copies = 40, 4
	type answer struct {
		code int
		id   string
	}
	answers := make([][]answer, deliveries)
	var wg sync.WaitGroup
	for d := 0; d < deliveries; d++ {
		answers[d] = make([]answer, copies)
		for c := 0; c < copies; c++ {
			srv := a
			if c%2 == 1 {
				srv = b
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				req, _ := http.NewRequest(http.MethodPost, srv.url+"/hooks/deduped", strings.NewReader(fmt.Sprintf(`{"order": %d}`, d)))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("X-Delivery-Id", fmt.Sprintf("delivery-%d", d))
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				defer resp.Body.Close()
				var out struct {
					ExecutionID string `json:"execution_id"`
				}
				_ = json.NewDecoder(resp.Body).Decode(&out)
				answers[d][c] = answer{resp.StatusCode, out.ExecutionID}
			}()
		}
	}
	wg.Wait()
	for d, as := range answers {
		accepted := 0
		for _, an := range as {
			if an.id == "" || an.id != as[0].id {
				t.Fatalf("delivery %d: answers name different executions: %+v", d, as)
			}
			switch an.code {
			case http.StatusAccepted:
				accepted++
			case http.StatusOK: // a duplicate, answered with the first execution's id
			default:
				t.Fatalf("delivery %d: status %d", d, an.code)
			}
		}
		if accepted != 1 {
			t.Fatalf("delivery %d: %d copies were accepted as new (want exactly 1): %+v", d, accepted, as)
		}
	}
	var list struct {
		Items []struct{ ID string } `json:"items"`
	}
	if code, err := b.api("GET", "/api/v1/executions?workflow=deduped&limit=500", nil, &list); err != nil || code != 200 {
		t.Fatalf("listing executions: %d %v", code, err)
	}
	if len(list.Items) != deliveries {
		t.Fatalf("%d executions for %d deliveries", len(list.Items), deliveries)
	}
}
