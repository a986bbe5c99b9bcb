package graphql_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/weftworks/weft/connectors/graphql"
	"github.com/weftworks/weft/step"
)

// fakeServer speaks GraphQL over HTTP: it decodes the request JSON
// ({query, variables, operationName}) and answers issues(first: 2, after)
// from a list of 5, or errors for an unknown operation.
type fakeServer struct {
	*httptest.Server
	calls    atomic.Int32
	lastBody atomic.Value
}

func newFake(t *testing.T, answer func(w http.ResponseWriter, in gqlRequest) bool) *fakeServer {
	f := &fakeServer{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.calls.Add(1)
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
			http.Error(w, "want POST application/json", http.StatusBadRequest)
			return
		}
		var in gqlRequest
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		f.lastBody.Store(in)
		if r.Header.Get("Authorization") != "" && r.Header.Get("Authorization") != "Bearer t0k" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		if answer != nil && answer(w, in) {
			return
		}
		w.Header().Set("Content-Type", "application/json")
		if in.OperationName != "" && in.OperationName != "Issues" {
			_ = json.NewEncoder(w).Encode(map[string]any{"data": nil, "errors": []any{
				map[string]any{"message": fmt.Sprintf("Unknown operation named %q.", in.OperationName)},
				map[string]any{"message": "Field 'x' doesn't exist", "path": []any{"repository", "x"}},
			}})
			return
		}
		start := 0
		if a, _ := in.Variables["after"].(string); a != "" {
			start, _ = strconv.Atoi(strings.TrimPrefix(a, "c"))
		}
		var nodes []any
		for i := start; i < min(start+2, 5); i++ {
			nodes = append(nodes, map[string]any{"number": i + 1})
		}
		end := min(start+2, 5)
		_ = json.NewEncoder(w).Encode(map[string]any{"data": map[string]any{"repository": map[string]any{"issues": map[string]any{
			"nodes":    nodes,
			"pageInfo": map[string]any{"endCursor": "c" + strconv.Itoa(end), "hasNextPage": end < 5},
		}}}})
	}))
	t.Cleanup(f.Close)
	return f
}

type gqlRequest struct {
	Query         string         `json:"query"`
	Variables     map[string]any `json:"variables"`
	OperationName string         `json:"operationName"`
}

type creds struct{}

func (creds) Get(context.Context, string, string) (step.Credential, error) {
	return step.Credential{Type: "bearer", Data: map[string]string{"token": "t0k"}}, nil
}
func (creds) Authorize(_ context.Context, _, _ string, r *http.Request) error {
	r.Header.Set("Authorization", "Bearer t0k")
	return nil
}

func run(t *testing.T, with map[string]any) (step.Result, error) {
	t.Helper()
	reg := step.NewRegistry()
	if err := graphql.Register(reg); err != nil {
		t.Fatal(err)
	}
	r, _ := reg.Lookup(graphql.Type)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return r.Handler.Run(ctx, &step.Request{Workflow: "wf", With: with, Attempt: 1,
		Env: &step.Env{HTTP: http.DefaultClient, Connections: step.CredentialsOnly(creds{})}})
}

const issuesQuery = `query Issues($after: String) { repository(owner: "w", name: "weft") { issues(first: 2, after: $after) { nodes { number } pageInfo { endCursor hasNextPage } } } }`

func TestQuerySendsVariablesAndOperation(t *testing.T) {
	t.Parallel()
	f := newFake(t, nil)
	res, err := run(t, map[string]any{"endpoint": f.URL, "query": issuesQuery, "operation_name": "Issues",
		"variables": map[string]any{"after": "c2"}, "connection": "gh"})
	if err != nil {
		t.Fatal(err)
	}
	got := f.lastBody.Load().(gqlRequest)
	if got.Query != issuesQuery || got.OperationName != "Issues" || got.Variables["after"] != "c2" {
		t.Fatalf("server received %+v", got)
	}
	out := res.Output.(map[string]any)
	b, _ := json.Marshal(out["data"])
	if !strings.Contains(string(b), `"nodes":[{"number":3},{"number":4}]`) || out["status"] != 200 {
		t.Fatalf("output = %s", b)
	}
}

func TestErrorsArrayFailsTheStep(t *testing.T) {
	t.Parallel()
	f := newFake(t, nil)
	_, err := run(t, map[string]any{"endpoint": f.URL, "query": issuesQuery, "operation_name": "Nope"})
	var ce *step.CodedError
	if err == nil || !asCoded(err, &ce) || ce.Code != "graphql_errors" {
		t.Fatalf("err = %v, want code graphql_errors", err)
	}
	for _, want := range []string{`2 error(s)`, `Unknown operation named "Nope".`, `Field 'x' doesn't exist (at repository.x)`} {
		if !strings.Contains(err.Error(), want) {
			t.Fatalf("error %q lacks %q", err, want)
		}
	}
	if ok, _ := step.IsRetryable(err); ok {
		t.Fatal("GraphQL errors are retried")
	}
}

func TestPaginationCollectsEveryPage(t *testing.T) {
	t.Parallel()
	f := newFake(t, nil)
	res, err := run(t, map[string]any{"endpoint": f.URL, "query": issuesQuery,
		"paginate": map[string]any{"page_info": "data.repository.issues.pageInfo", "nodes": "data.repository.issues.nodes"}})
	if err != nil {
		t.Fatal(err)
	}
	out := res.Output.(map[string]any)
	if out["pages"] != 3 || len(out["items"].([]any)) != 5 || out["truncated"] != false {
		t.Fatalf("output = %v", out)
	}
	res, err = run(t, map[string]any{"endpoint": f.URL, "query": issuesQuery,
		"paginate": map[string]any{"page_info": "data.repository.issues.pageInfo", "nodes": "data.repository.issues.nodes", "max_pages": 2}})
	if err != nil {
		t.Fatal(err)
	}
	if out := res.Output.(map[string]any); out["pages"] != 2 || len(out["items"].([]any)) != 4 || out["truncated"] != true {
		t.Fatalf("output with max_pages 2 = %v", out)
	}
}

func TestRateLimitIsRetryableWithRetryAfter(t *testing.T) {
	t.Parallel()
	f := newFake(t, func(w http.ResponseWriter, _ gqlRequest) bool {
		w.Header().Set("Retry-After", "7")
		w.WriteHeader(http.StatusTooManyRequests)
		return true
	})
	_, err := run(t, map[string]any{"endpoint": f.URL, "query": "{ viewer { login } }"})
	if ok, after := step.IsRetryable(err); !ok || after != 7*time.Second {
		t.Fatalf("err = %v (retryable %v after %s), want retryable after 7s", err, ok, after)
	}
}

// A hostile server that always has a next page of 1 MB: the step stops at
// max_response_bytes summed over pages, with a clear error.
func TestHostileEndlessPagesAreBounded(t *testing.T) {
	t.Parallel()
	pad := strings.Repeat("x", 1<<20)
	var n atomic.Int32
	f := newFake(t, func(w http.ResponseWriter, _ gqlRequest) bool {
		i := n.Add(1)
		_ = json.NewEncoder(w).Encode(map[string]any{"data": map[string]any{"c": map[string]any{
			"nodes": []any{pad}, "pageInfo": map[string]any{"endCursor": fmt.Sprint("c", i), "hasNextPage": true}}}})
		return true
	})
	_, err := run(t, map[string]any{"endpoint": f.URL, "query": "{ c { nodes pageInfo { endCursor hasNextPage } } }",
		"max_response_bytes": 4 << 20, "paginate": map[string]any{"page_info": "data.c.pageInfo", "nodes": "data.c.nodes", "max_pages": 1000}})
	if err == nil || !strings.Contains(err.Error(), "max_response_bytes") {
		t.Fatalf("err = %v, want the max_response_bytes bound", err)
	}
	if c := f.calls.Load(); c > 5 {
		t.Fatalf("%d requests for a 4 MB budget of 1 MB pages", c)
	}
}

func TestBadInputs(t *testing.T) {
	t.Parallel()
	for _, with := range []map[string]any{
		{"endpoint": "ftp://x", "query": "{a}"},
		{"endpoint": "https://x.example", "query": "  "},
		{"endpoint": "https://x.example", "query": "{a}", "paginate": map[string]any{"nodes": "a"}},
	} {
		if _, err := run(t, with); err == nil {
			t.Fatalf("%v: no error", with)
		}
	}
}
