// Package queuetest holds what every broker's tests share: a Starter that
// records executions with the store's dedupe semantics, a TCP proxy whose
// connections a test can cut (a broker connection lost mid-stream, without
// touching the broker), and a harness that runs a Manager on one binding.
package queuetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/netguard"
	"github.com/weftworks/weft/step"
	"github.com/weftworks/weft/trigger/queue"
)

// Suffix returns a random suffix for queue, stream and topic names, so
// parallel tests and CI runs never collide.
func Suffix() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Starter records starts like the store does: one execution per dedupe key.
type Starter struct {
	mu     sync.Mutex
	byKey  map[string]string
	inputs []json.RawMessage
	fail   error
}

// SetFail makes Start fail with err (nil: succeed again).
func (s *Starter) SetFail(err error) {
	s.mu.Lock()
	s.fail = err
	s.mu.Unlock()
}

var _ queue.Starter = (*Starter)(nil)

// NewStarter returns an empty Starter.
func NewStarter() *Starter { return &Starter{byKey: map[string]string{}} }

// Start implements queue.Starter.
func (s *Starter) Start(_ context.Context, req queue.StartRequest) (string, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return "", false, s.fail
	}
	k := req.DedupeScope + "\x00" + req.DedupeKey
	if id, ok := s.byKey[k]; ok {
		return id, true, nil
	}
	id := "ex-" + Suffix()
	s.byKey[k] = id
	s.inputs = append(s.inputs, req.Input)
	return id, false, nil
}

// Executions returns the inputs of the executions started so far.
func (s *Starter) Executions() []json.RawMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]json.RawMessage(nil), s.inputs...)
}

// Count returns how many executions were started.
func (s *Starter) Count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.inputs)
}

// Creds lends one credential to every workflow and dials its broker through
// the SSRF guard with Allow as the connection's allow_private_net: the zero
// value reaches no private address (the refusal tests), Loopback reaches
// the local test brokers.
type Creds struct {
	C     step.Credential
	Allow []netip.Prefix
}

// Loopback is the allow_private_net of the local test brokers.
var Loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}

var _ step.Connections = Creds{}

// Get implements step.Credentials.
func (c Creds) Get(_ context.Context, _, name string) (step.Credential, error) {
	out := c.C
	out.Name = name
	return out, nil
}

// Rotating is a connection whose credential changes when the test says so,
// as when a user updates it: its data holds "rotation", set by Rotate.
type Rotating struct {
	Creds
	mu sync.Mutex
	v  string
}

// Get implements step.Credentials.
func (r *Rotating) Get(ctx context.Context, workflow, name string) (step.Credential, error) {
	c, err := r.Creds.Get(ctx, workflow, name)
	data := map[string]string{}
	for k, v := range c.Data {
		data[k] = v
	}
	r.mu.Lock()
	data["rotation"] = r.v
	r.mu.Unlock()
	c.Data = data
	return c, err
}

// Rotate changes the credential.
func (r *Rotating) Rotate(v string) {
	r.mu.Lock()
	r.v = v
	r.mu.Unlock()
}

// Authorize implements step.Credentials.
func (Creds) Authorize(context.Context, string, string, *http.Request) error { return nil }

// Settings implements step.Connections.
func (Creds) Settings(context.Context, string, string) (step.ConnectionSettings, error) {
	return step.ConnectionSettings{}, nil
}

// Client implements step.Connections.
func (Creds) Client(_ context.Context, _, _ string, base *http.Client) (*http.Client, error) {
	return base, nil
}

// Invalidate implements step.Connections.
func (Creds) Invalidate(context.Context, string, string) {}

// Report implements step.Connections.
func (Creds) Report(string, error) {}

// Dialer implements step.Connections: the production SSRF guard.
func (c Creds) Dialer(context.Context, string, string) (step.DialFunc, error) {
	return netguard.New(netguard.Config{}).Dialer(c.Allow), nil
}

// Dial is a dialer that reaches the local test brokers through the guard.
func Dial() step.DialFunc { return netguard.New(netguard.Config{}).Dialer(Loopback) }

// Run starts a Manager with one workflow holding binding t, consuming from
// broker b with credential cred. It stops when the test ends.
func Run(t *testing.T, b queue.Broker, cred step.Credential, starter queue.Starter, wf queue.Workflow) *queue.Manager {
	t.Helper()
	return RunWith(t, b, Creds{C: cred, Allow: Loopback}, starter, wf)
}

// RunWith is Run with the given connections (an SSRF refusal test passes
// Creds without Allow).
func RunWith(t *testing.T, b queue.Broker, conns step.Connections, starter queue.Starter, wf queue.Workflow) *queue.Manager {
	t.Helper()
	m, err := queue.New(queue.Config{
		Starter:     starter,
		Workflows:   func(context.Context) ([]queue.Workflow, error) { return []queue.Workflow{wf}, nil },
		Connections: conns, Brokers: []queue.Broker{b},
		Refresh: time.Hour, MinBackoff: 20 * time.Millisecond, MaxBackoff: 200 * time.Millisecond,
		Owner: "test-" + Suffix(),
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = m.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return m
}

// Binding returns a workflow with one binding of broker kind on the
// connection "broker".
func Binding(name, broker string, opts map[string]any) queue.Workflow {
	t := weft.QueueTrigger{Broker: broker, Connection: "broker", Options: map[string]any{
		"prefetch": 16, "on_refusal": "dead_letter", "max_message_bytes": 1 << 20,
	}}
	for k, v := range opts {
		t.Options[k] = v
	}
	return queue.Workflow{Name: name, Version: 1, Queue: []weft.QueueTrigger{t}}
}

// Eventually polls cond every 20ms until it holds or d passes.
func Eventually(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Health returns the first binding's health.
func Health(m *queue.Manager) queue.Health {
	hs := m.Health()
	if len(hs) == 0 {
		return queue.Health{}
	}
	return hs[0]
}

// Proxy forwards TCP connections to a target; Cut closes every connection
// it carries, like a network failure between Weft and the broker.
type Proxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	conns  []net.Conn
	down   time.Time // connections are refused until then
}

// NewProxy listens on 127.0.0.1 and forwards to target until the test ends.
func NewProxy(t *testing.T, target string) *Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{ln: ln, target: target}
	go p.serve()
	t.Cleanup(func() { _ = ln.Close(); p.Cut() })
	return p
}

// Addr is the proxy's host:port.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

func (p *Proxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		down := time.Now().Before(p.down)
		p.mu.Unlock()
		if down {
			_ = c.Close()
			continue
		}
		up, err := net.DialTimeout("tcp", p.target, 5*time.Second)
		if err != nil {
			_ = c.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, c, up)
		p.mu.Unlock()
		go func() { _, _ = io.Copy(up, c); _ = up.Close() }()
		go func() { _, _ = io.Copy(c, up); _ = c.Close() }()
	}
}

// Restart cuts every connection and refuses new ones for d, like a broker
// that restarts: whatever the client does meanwhile fails.
func (p *Proxy) Restart(d time.Duration) {
	p.mu.Lock()
	p.down = time.Now().Add(d)
	p.mu.Unlock()
	p.Cut()
}

// Cut closes every open connection through the proxy.
func (p *Proxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		_ = c.Close()
	}
	p.conns = nil
}
