package mcp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/step"
)

// version is what Weft tells servers it is.
var impl = &mcp.Implementation{Name: "weft", Version: "1"}

// caller is who makes a call: the workflow (for the vault's checks) and the
// services of its step.
type caller struct {
	workflow string
	conns    step.Connections
	http     *http.Client
}

func (s *Service) callerOf(req *step.Request) caller {
	c := caller{workflow: req.Workflow, http: s.cfg.HTTP}
	if req.Env != nil {
		c.conns = req.Env.Connections
		if req.Env.HTTP != nil {
			c.http = req.Env.HTTP
		}
	}
	return c
}

// open starts a session with the server of connection. The caller closes it.
func (s *Service) open(ctx context.Context, c caller, connection string) (*mcp.ClientSession, error) {
	if connection == "" {
		return nil, step.Errorf("validation", "connection is empty: name an mcp connection")
	}
	if c.conns == nil {
		return nil, step.Errorf("credential", "connection %q: no credential vault is configured in this process", connection)
	}
	cred, err := c.conns.Get(ctx, c.workflow, connection)
	if err != nil {
		return nil, step.Errorf("credential", "connection %q: %v", connection, err)
	}
	if cred.Type != "mcp" {
		return nil, step.Errorf("credential", "connection %q is of type %s; mcp.call and agent MCP tools need a connection of type mcp", connection, cred.Type)
	}
	var t mcp.Transport
	switch {
	case cred.Data["url"] != "":
		client, err := c.conns.Client(ctx, c.workflow, connection, c.http)
		if err != nil {
			return nil, step.Errorf("credential", "connection %q: %v", connection, err)
		}
		hc := *client
		next := hc.Transport
		if next == nil {
			next = http.DefaultTransport
		}
		bare := cred.Data["token"] == "" && cred.Data["auth"] == "" && cred.Data["oauth"] != "true"
		hc.Transport = &authTransport{next: next, conns: c.conns, workflow: c.workflow, connection: connection, max: int64(s.cfg.MaxMessage), bare: bare}
		t = &mcp.StreamableClientTransport{Endpoint: cred.Data["url"], HTTPClient: &hc, MaxRetries: -1,
			DisableStandaloneSSE: true, MaxEventSize: s.cfg.MaxMessage}
	case cred.Data["stdio"] != "":
		argv, ok := s.cfg.Stdio[cred.Data["stdio"]]
		if !ok {
			return nil, step.Errorf("credential", "connection %q: the stdio server it names is not allowlisted on this Weft; the operator starts weft serve with --mcp-stdio-allow NAME=COMMAND for the connection's stdio name", connection)
		}
		t = &stdioTransport{argv: argv, env: s.stdioEnv(), max: s.cfg.MaxMessage}
	default:
		return nil, step.Errorf("credential", "connection %q has neither url nor stdio", connection)
	}
	cl := mcp.NewClient(impl, nil)
	cs, err := cl.Connect(ctx, t, nil)
	if err != nil {
		c.conns.Report(connection, err)
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if errors.Is(err, weft.ErrInvalid) {
			// The connection needs a person (Connect again, a fixed
			// setting): another attempt would fail the same way.
			return nil, step.Errorf("credential", "connecting to MCP server %q: %v", connection, err)
		}
		return nil, step.Retryable(fmt.Errorf("connecting to MCP server %q: %w", connection, err), 0)
	}
	return cs, nil
}

func (s *Service) stdioEnv() []string {
	if s.cfg.StdioEnv != nil {
		return s.cfg.StdioEnv
	}
	var env []string
	for _, k := range []string{"PATH", "HOME"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return env
}

// authTransport adds the connection's authentication to every request (the
// vault checks the host against the connection's allowed hosts) and bounds
// each response body.
type authTransport struct {
	next       http.RoundTripper
	conns      step.Connections
	workflow   string
	connection string
	max        int64
	// bare: the connection sends no authentication, so a 401 asking for
	// OAuth means it should have oauth: true.
	bare bool
}

var _ http.RoundTripper = (*authTransport)(nil)

func (a *authTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	r := req.Clone(req.Context())
	if err := a.conns.Authorize(req.Context(), a.workflow, a.connection, r); err != nil {
		return nil, fmt.Errorf("connection %q: %w", a.connection, err)
	}
	resp, err := a.next.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode == http.StatusUnauthorized && a.bare && strings.Contains(strings.ToLower(resp.Header.Get("WWW-Authenticate")), "bearer") {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
		resp.Body.Close()
		return nil, fmt.Errorf("connection %q: the MCP server requires OAuth (401, WWW-Authenticate: Bearer): give the connection oauth: true and redirect_url (Weft's /oauth/callback), then press Connect: %w", a.connection, weft.ErrInvalid)
	}
	if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
		a.conns.Invalidate(context.WithoutCancel(req.Context()), a.workflow, a.connection)
	}
	resp.Body = &boundedBody{r: resp.Body, left: a.max}
	return resp, nil
}

// errTooLarge ends a read past the message bound.
var errTooLarge = errors.New("the MCP server sent a message larger than the limit")

type boundedBody struct {
	r    io.ReadCloser
	left int64
}

func (b *boundedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		return 0, errTooLarge
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.r.Read(p)
	b.left -= int64(n)
	return n, err
}

func (b *boundedBody) Close() error { return b.r.Close() }

// stdioTransport runs an allowlisted command and speaks MCP over its stdin
// and stdout, with each message bounded. The process ends with the session.
type stdioTransport struct {
	argv []string
	env  []string
	max  int
}

func (t *stdioTransport) Connect(ctx context.Context) (mcp.Connection, error) {
	cmd := exec.Command(t.argv[0], t.argv[1:]...)
	cmd.Env = t.env
	cmd.Stderr = io.Discard
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", t.argv[0], err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	w := &procCloser{WriteCloser: stdin, cmd: cmd, done: done}
	return (&mcp.IOTransport{Reader: io.NopCloser(stdout), Writer: w, MaxLineLength: t.max}).Connect(ctx)
}

// procCloser closes stdin, then waits briefly for the process to exit
// before killing it.
type procCloser struct {
	io.WriteCloser
	cmd  *exec.Cmd
	done chan struct{}
}

func (p *procCloser) Close() error {
	err := p.WriteCloser.Close()
	select {
	case <-p.done:
	case <-time.After(2 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
	return err
}
