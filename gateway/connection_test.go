package gateway_test

import (
	"context"
	"crypto/sha256"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/weftworks/weft/api"
	"github.com/weftworks/weft/connectors/ai"
	"github.com/weftworks/weft/gateway"
	"github.com/weftworks/weft/internal/fakes/aifake"
	"github.com/weftworks/weft/step"
)

// reportingConns records which connections the gateway's calls asked a
// client of, invalidated and reported.
type reportingConns struct {
	step.Connections
	mu                             sync.Mutex
	clients, invalidated, failures []string
	successes                      []string
}

var _ step.Connections = (*reportingConns)(nil)

func (r *reportingConns) Client(ctx context.Context, workflow, name string, base *http.Client) (*http.Client, error) {
	r.mu.Lock()
	r.clients = append(r.clients, name)
	r.mu.Unlock()
	return r.Connections.Client(ctx, workflow, name, base)
}

func (r *reportingConns) Invalidate(_ context.Context, _, name string) {
	r.mu.Lock()
	r.invalidated = append(r.invalidated, name)
	r.mu.Unlock()
}

func (r *reportingConns) Report(name string, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		r.failures = append(r.failures, name)
		return
	}
	r.successes = append(r.successes, name)
}

// TestGatewayUsesTheConnection: the gateway calls providers through the
// route credential's connection like the ai.* steps: its client, token
// invalidation after a 401, and its status.
func TestGatewayUsesTheConnection(t *testing.T) {
	t.Parallel()
	fake := aifake.New("sk-provider", func(*aifake.Call) aifake.Reply { return aifake.Reply{Text: "hi"} })
	t.Cleanup(fake.Close)
	svc, err := ai.NewService(ai.Config{})
	if err != nil {
		t.Fatal(err)
	}
	conns := &reportingConns{Connections: step.CredentialsOnly(fake.CredentialsFor("sk-provider"))}
	h, err := gateway.New(gateway.Config{Service: svc, Tokens: api.StaticToken(sha256.Sum256([]byte(token))), Connections: conns})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	chat := func() int {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/v1/chat/completions",
			strings.NewReader(`{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}`))
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := chat(); code != http.StatusOK {
		t.Fatalf("chat: %d", code)
	}
	fake.SetRespond(func(*aifake.Call) aifake.Reply { return aifake.Reply{Status: http.StatusUnauthorized} })
	if code := chat(); code == http.StatusOK {
		t.Fatal("chat against a 401 answered 200")
	}
	conns.mu.Lock()
	defer conns.mu.Unlock()
	if len(conns.clients) != 2 || conns.clients[0] != "openai" {
		t.Fatalf("clients asked for %v, want the openai connection twice", conns.clients)
	}
	if len(conns.successes) != 1 || len(conns.failures) != 1 || len(conns.invalidated) != 1 || conns.invalidated[0] != "openai" {
		t.Fatalf("successes %v failures %v invalidated %v", conns.successes, conns.failures, conns.invalidated)
	}
}
