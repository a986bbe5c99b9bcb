package apptest

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"testing"

	"github.com/weftworks/weft/connectors/apps"
	httpstep "github.com/weftworks/weft/connectors/http"
	"github.com/weftworks/weft/step"
)

// Conn is one connection: its credential type and fields, and the base URL
// that sends the app's calls to a fake.
type Conn struct {
	Type        string
	Data        map[string]string
	BaseURL     string
	TokenFields map[string]string
}

// Connections lends Conns by name; it implements step.Connections.
type Connections map[string]Conn

var _ step.Connections = Connections(nil)

// Get returns a connection's credential.
func (c Connections) Get(_ context.Context, _, name string) (step.Credential, error) {
	conn, ok := c[name]
	if !ok {
		return step.Credential{}, fmt.Errorf("no connection %q", name)
	}
	return step.Credential{Name: name, Type: conn.Type, Data: conn.Data}, nil
}

// Authorize adds bearer, basic or api_key authentication.
func (c Connections) Authorize(_ context.Context, _, name string, req *http.Request) error {
	conn, ok := c[name]
	if !ok {
		return fmt.Errorf("no connection %q", name)
	}
	switch conn.Type {
	case "bearer":
		req.Header.Set("Authorization", "Bearer "+conn.Data["token"])
	case "basic":
		req.SetBasicAuth(conn.Data["username"], conn.Data["password"])
	case "api_key":
		req.Header.Set(conn.Data["name"], conn.Data["prefix"]+conn.Data["api_key"])
	}
	return nil
}

// Settings returns the base URL and token fields.
func (c Connections) Settings(_ context.Context, _, name string) (step.ConnectionSettings, error) {
	conn, ok := c[name]
	if !ok {
		return step.ConnectionSettings{}, fmt.Errorf("no connection %q", name)
	}
	return step.ConnectionSettings{BaseURL: conn.BaseURL, TokenFields: conn.TokenFields}, nil
}

// Client returns base.
func (Connections) Client(_ context.Context, _, _ string, base *http.Client) (*http.Client, error) {
	return base, nil
}

// Invalidate does nothing.
func (Connections) Invalidate(context.Context, string, string) {}

// Report does nothing.
func (Connections) Report(string, error) {}

// Dialer refuses.
func (Connections) Dialer(context.Context, string, string) (step.DialFunc, error) {
	return func(context.Context, string, string) (net.Conn, error) { return nil, step.ErrNoDialer }, nil
}

// Registry returns a registry with http.request and every bundled app.
func Registry(t testing.TB) *step.Registry {
	t.Helper()
	reg := step.NewRegistry()
	if err := httpstep.Register(reg); err != nil {
		t.Fatal(err)
	}
	if err := apps.Register(reg); err != nil {
		t.Fatal(err)
	}
	return reg
}

// Result is what Run returns: the output, the error, and how many times the
// step was run (pages and waits).
type Result struct {
	Output any
	Err    error
	Runs   int
	// States are the states recorded at each suspension.
	States []json.RawMessage
}

// Run runs a step like the engine: defaults applied, suspensions resumed
// with their recorded state (at once: tests do not wait), at most 2000 runs.
func Run(t testing.TB, reg *step.Registry, conns step.Connections, typ string, with map[string]any) Result {
	t.Helper()
	r, ok := reg.Lookup(typ)
	if !ok {
		t.Fatalf("step type %s is not registered", typ)
	}
	w := map[string]any{}
	for _, f := range r.Spec.Fields {
		if f.Default != nil {
			w[f.Name] = f.Default
		}
	}
	for k, v := range with {
		w[k] = normalize(v)
	}
	req := &step.Request{Workflow: "wf", ExecutionID: "ex1", StepID: "s1", Type: typ, With: w, Attempt: 1,
		IdempotencyKey: "ex1:s1", Env: &step.Env{HTTP: http.DefaultClient, Connections: conns, Emit: func(string, any) {}}}
	var out Result
	for out.Runs < 2000 {
		out.Runs++
		res, err := r.Handler.Run(context.Background(), req)
		if err != nil || res.Suspend == nil {
			out.Output, out.Err = res.Output, err
			return out
		}
		raw, err := json.Marshal(res.Suspend.State)
		if err != nil {
			t.Fatalf("suspend state does not encode: %v", err)
		}
		out.States = append(out.States, raw)
		req.State = raw
	}
	t.Fatalf("%s suspended more than 2000 times", typ)
	return out
}

// normalize turns Go literals into what the engine hands a step (decoded
// JSON: float64, []any, map[string]any).
func normalize(v any) any {
	raw, err := json.Marshal(v)
	if err != nil {
		return v
	}
	var out any
	_ = json.Unmarshal(raw, &out)
	return out
}

// Seen is one request a fake received.
type Seen struct {
	Method, Path, Query string
	Header              http.Header
	Body                []byte
}
