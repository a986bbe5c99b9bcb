package ai_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/weftworks/weft/circuit"
	"github.com/weftworks/weft/connectors/ai"
	"github.com/weftworks/weft/internal/fakes/aifake"
	"github.com/weftworks/weft/step"
	"github.com/weftworks/weft/step/steptest"
)

// recordingConns is a step.Connections that records what the AI steps ask
// of a connection: the client it lends counts the requests sent through it.
type recordingConns struct {
	aifake.Credentials
	settings step.ConnectionSettings

	mu          sync.Mutex
	clients     []string // connections whose client was asked for
	invalidated []string
	reports     []report
	authorized  int
	sent        atomic.Int64 // requests through the lent client
}

type report struct {
	name string
	err  error
}

var _ step.Connections = (*recordingConns)(nil)

func (r *recordingConns) Settings(context.Context, string, string) (step.ConnectionSettings, error) {
	return r.settings, nil
}

func (r *recordingConns) Client(_ context.Context, _, name string, base *http.Client) (*http.Client, error) {
	r.mu.Lock()
	r.clients = append(r.clients, name)
	r.mu.Unlock()
	c := *base
	next := base.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	c.Transport = roundTripFunc(func(req *http.Request) (*http.Response, error) {
		r.sent.Add(1)
		return next.RoundTrip(req)
	})
	return &c, nil
}

func (r *recordingConns) Authorize(ctx context.Context, workflow, name string, req *http.Request) error {
	r.mu.Lock()
	r.authorized++
	r.mu.Unlock()
	cr, err := r.Get(ctx, workflow, name)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+cr.Data["issued"])
	return nil
}

func (r *recordingConns) Dialer(context.Context, string, string) (step.DialFunc, error) {
	return nil, step.ErrNoDialer
}

func (r *recordingConns) Invalidate(_ context.Context, _, name string) {
	r.mu.Lock()
	r.invalidated = append(r.invalidated, name)
	r.mu.Unlock()
}

func (r *recordingConns) Report(name string, err error) {
	r.mu.Lock()
	r.reports = append(r.reports, report{name, err})
	r.mu.Unlock()
}

func (r *recordingConns) snapshot() (clients, invalidated []string, reports []report) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.clients...), append([]string(nil), r.invalidated...), append([]report(nil), r.reports...)
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func connSetup(t *testing.T, respond func(*aifake.Call) aifake.Reply, cfg ai.Config) (*testBundle, *recordingConns) {
	t.Helper()
	b := setup(t, respond, cfg)
	rc := &recordingConns{Credentials: b.fake.CredentialsFor("sk-test")}
	b.env.Connections = rc
	return b, rc
}

func TestAICallsUseTheConnectionClient(t *testing.T) {
	t.Parallel()
	for provider, model := range models() {
		t.Run(provider, func(t *testing.T) {
			t.Parallel()
			b, rc := connSetup(t, func(*aifake.Call) aifake.Reply { return aifake.Reply{Text: "hello"} }, ai.Config{})
			cred := credentialOf(provider)
			for _, stream := range []bool{false, true} {
				res, err := steptest.Run(t, b.reg, ai.TypeChat, steptest.NewRequestIn(b.env, map[string]any{
					"provider": provider, "model": model, "credential": cred, "prompt": "hi", "stream": stream}))
				if err != nil {
					t.Fatal(err)
				}
				if out := res.Output.(map[string]any); out["text"] != "hello" {
					t.Fatalf("stream %v: output %v", stream, out)
				}
			}
			clients, _, reports := rc.snapshot()
			if rc.sent.Load() != 2 || len(clients) != 2 || clients[0] != cred {
				t.Fatalf("sent %d through the connection's client, clients asked for %v; want 2 calls through %q", rc.sent.Load(), clients, cred)
			}
			if len(reports) != 2 || reports[0] != (report{cred, nil}) || reports[1] != (report{cred, nil}) {
				t.Fatalf("reports = %v, want two successes of %q", reports, cred)
			}
		})
	}
}

func TestAIEmbedUsesTheConnection(t *testing.T) {
	t.Parallel()
	b, rc := connSetup(t, nil, ai.Config{})
	if _, err := steptest.Run(t, b.reg, ai.TypeEmbed, steptest.NewRequestIn(b.env, map[string]any{
		"model": "text-embedding-3-small", "credential": "openai", "input": "hi"})); err != nil {
		t.Fatal(err)
	}
	_, _, reports := rc.snapshot()
	if rc.sent.Load() != 1 || len(reports) != 1 || reports[0] != (report{"openai", nil}) {
		t.Fatalf("sent %d, reports %v; want one call through the client and one success", rc.sent.Load(), reports)
	}
}

func TestAIUnauthorizedInvalidatesAndReports(t *testing.T) {
	t.Parallel()
	for _, status := range []int{http.StatusUnauthorized, http.StatusForbidden} {
		b, rc := connSetup(t, func(*aifake.Call) aifake.Reply { return aifake.Reply{Status: status} }, ai.Config{})
		_, err := steptest.Run(t, b.reg, ai.TypeChat, steptest.NewRequestIn(b.env, map[string]any{
			"model": "claude-haiku-4-5", "provider": "anthropic", "credential": "anthropic", "prompt": "hi"}))
		if err == nil {
			t.Fatalf("%d: the step succeeded", status)
		}
		_, invalidated, reports := rc.snapshot()
		if len(invalidated) != 1 || invalidated[0] != "anthropic" {
			t.Fatalf("%d: invalidated %v, want [anthropic]", status, invalidated)
		}
		if len(reports) != 1 || reports[0].name != "anthropic" || reports[0].err == nil {
			t.Fatalf("%d: reports %v, want one failure of anthropic", status, reports)
		}
	}
	// Another failure keeps the token.
	b, rc := connSetup(t, func(*aifake.Call) aifake.Reply { return aifake.Reply{Status: 400} }, ai.Config{})
	_, _ = steptest.Run(t, b.reg, ai.TypeChat, steptest.NewRequestIn(b.env, map[string]any{"model": "gpt-4o-mini", "credential": "openai", "prompt": "hi"}))
	if _, invalidated, reports := rc.snapshot(); len(invalidated) != 0 || len(reports) != 1 || reports[0].err == nil {
		t.Fatalf("400: invalidated %v, reports %v", invalidated, reports)
	}
}

func TestAIIssuedTokenIsAuthorizedByTheVault(t *testing.T) {
	t.Parallel()
	b, rc := connSetup(t, func(*aifake.Call) aifake.Reply { return aifake.Reply{Text: "ok"} }, ai.Config{})
	rc.Credentials["oauth"] = step.Credential{Type: "oauth2_client_credentials",
		Data: map[string]string{"client_id": "c", "issued": "sk-test", "base_url": b.fake.OpenAIURL()}}
	if _, err := steptest.Run(t, b.reg, ai.TypeChat, steptest.NewRequestIn(b.env, map[string]any{
		"model": "gpt-4o-mini", "credential": "oauth", "prompt": "hi"})); err != nil {
		t.Fatal(err) // the fake refuses any key but sk-test
	}
	if rc.authorized != 1 {
		t.Fatalf("authorized %d times, want 1", rc.authorized)
	}
}

func TestAIBreakerOpensOnTheConnection(t *testing.T) {
	t.Parallel()
	breakers := circuit.New(circuit.Config{})
	b, rc := connSetup(t, func(*aifake.Call) aifake.Reply { return aifake.Reply{Status: 500} }, ai.Config{Breakers: breakers})
	rc.settings = step.ConnectionSettings{Breaker: 2}
	with := map[string]any{"model": "gpt-4o-mini", "credential": "openai", "prompt": "hi"}
	for range 3 {
		_, _ = steptest.Run(t, b.reg, ai.TypeChat, steptest.NewRequestIn(b.env, with))
	}
	if n := b.fake.Count(func(*aifake.Call) bool { return true }); n != 2 {
		t.Fatalf("the provider got %d calls, want 2 (the third refused by the open circuit)", n)
	}
	states := breakers.Connection("openai")
	if len(states) != 1 {
		t.Fatalf("breakers of openai = %v, want one host", states)
	}
	for host, s := range states {
		if s != circuit.Open {
			t.Fatalf("breaker of %s is %s, want open", host, s)
		}
	}
	_, _, reports := rc.snapshot()
	if len(reports) != 3 || !strings.Contains(reports[2].err.Error(), "circuit") {
		t.Fatalf("reports = %v, want 3 failures, the last naming the open circuit", reports)
	}
}

func TestAIRefusesRedirectToAnotherHost(t *testing.T) {
	t.Parallel()
	var leaked atomic.Int64
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("x-api-key") != "" {
			leaked.Add(1)
		}
		w.WriteHeader(http.StatusNotFound)
	}))
	t.Cleanup(other.Close)
	redirect := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, strings.Replace(other.URL, "127.0.0.1", "localhost", 1)+r.URL.Path, http.StatusTemporaryRedirect)
	}))
	t.Cleanup(redirect.Close)
	b, rc := connSetup(t, nil, ai.Config{})
	rc.Credentials["anthropic"] = step.Credential{Type: "api_key", Data: map[string]string{"api_key": "sk-test", "base_url": redirect.URL}}
	_, err := steptest.Run(t, b.reg, ai.TypeChat, steptest.NewRequestIn(b.env, map[string]any{
		"model": "claude-haiku-4-5", "provider": "anthropic", "credential": "anthropic", "prompt": "hi"}))
	if err == nil || !strings.Contains(err.Error(), "another host") || leaked.Load() != 0 {
		t.Fatalf("err %v, key sent to the other host %d times", err, leaked.Load())
	}
}
