package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// mailbox is a real SMTP server (emersion/go-smtp) that keeps the raw
// messages it receives.
type mailbox struct {
	addr string
	mu   sync.Mutex
	msgs []string
	rcpt [][]string
}

func newMailbox(t *testing.T) *mailbox {
	t.Helper()
	m := &mailbox{}
	s := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &mailSession{m: m}, nil }))
	s.Domain = "mx.test"
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	m.addr = ln.Addr().String()
	go func() { _ = s.Serve(ln) }()
	t.Cleanup(func() { _ = s.Close() })
	return m
}

type mailSession struct {
	m    *mailbox
	rcpt []string
}

func (s *mailSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *mailSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.rcpt = append(s.rcpt, to)
	return nil
}
func (s *mailSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.m.mu.Lock()
	s.m.msgs = append(s.m.msgs, string(b))
	s.m.rcpt = append(s.m.rcpt, s.rcpt)
	s.m.mu.Unlock()
	return nil
}
func (s *mailSession) Reset()        { s.rcpt = nil }
func (s *mailSession) Logout() error { return nil }

const protocolsWorkflow = `
name: protocols
steps:
  - id: issues
    uses: graphql.query
    with:
      endpoint: "%[1]s/graphql"
      connection: gh
      query: "query($after: String) { issues(after: $after) { nodes { title } pageInfo { endCursor hasNextPage } } }"
      paginate: { page_info: data.issues.pageInfo, nodes: data.issues.nodes }
  - id: quote
    uses: soap.call
    with:
      endpoint: "%[1]s/soap"
      action: urn:GetQuote
      namespace: urn:stock
      body: { GetQuote: { symbol: "{{ steps.issues.output.items[0].title }}" } }
      ws_security: { credential: soap-user, password_type: PasswordText }
      select: "//*[local-name()='Price']"
  - id: mail
    uses: email.send
    with:
      connection: mailer
      to: ops@example.com
      subject: "Quote {{ steps.quote.output.result }}"
      text: "{{ len(steps.issues.output.items) }} issues"
      attachments: [{ filename: issues.json, content: "{{ toJSON(steps.issues.output.items) }}" }]
`

// TestProtocolStepsThroughServe: graphql.query (with pagination and a
// bearer connection), soap.call (WS-Security from a basic credential) and
// email.send (an smtp connection dialled through the SSRF guard) run in
// one workflow through weft serve against fakes that check what they
// receive.
func TestProtocolStepsThroughServe(t *testing.T) {
	t.Parallel()
	var soapSeen string
	var mu sync.Mutex
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		switch r.URL.Path {
		case "/graphql":
			if r.Header.Get("Authorization") != "Bearer gql-token" {
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			var in struct {
				Variables map[string]any `json:"variables"`
			}
			_ = json.Unmarshal(body, &in)
			if in.Variables["after"] == "p2" {
				fmt.Fprint(w, `{"data":{"issues":{"nodes":[{"title":"WEFT"}],"pageInfo":{"endCursor":"p3","hasNextPage":false}}}}`)
				return
			}
			fmt.Fprint(w, `{"data":{"issues":{"nodes":[{"title":"ACME"},{"title":"X"}],"pageInfo":{"endCursor":"p2","hasNextPage":true}}}}`)
		case "/soap":
			mu.Lock()
			soapSeen = r.Header.Get("SOAPAction") + " " + string(body)
			mu.Unlock()
			fmt.Fprint(w, `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><GetQuoteResponse><Price>12.5</Price></GetQuoteResponse></s:Body></s:Envelope>`)
		default:
			http.NotFound(w, r)
		}
	}))
	defer fake.Close()
	box := newMailbox(t)
	host, port, _ := net.SplitHostPort(box.addr)

	wfDir := t.TempDir()
	writeWorkflow(t, wfDir, "protocols", fmt.Sprintf(protocolsWorkflow, fake.URL))
	s := startServer(t, nil, "--data", t.TempDir(), "--workflows", wfDir)
	putCredential(t, s, "gh", map[string]any{"type": "bearer", "data": map[string]any{"token": "gql-token"}})
	putCredential(t, s, "soap-user", map[string]any{"type": "basic", "data": map[string]any{"username": "alice", "password": "pw&1"}})
	putCredential(t, s, "mailer", map[string]any{"type": "smtp", "data": map[string]any{"host": host, "port": port, "tls": "none", "from": "weft@example.com"}})

	var started struct {
		ID string `json:"id"`
	}
	if code, err := s.api("POST", "/api/v1/workflows/protocols/executions", map[string]any{}, &started); err != nil || code != 202 {
		t.Fatalf("start: %d %v", code, err)
	}
	ex := waitFinished(t, s, []string{started.ID}, 30*time.Second)[started.ID]
	if ex.Status != "succeeded" {
		msg := ""
		if ex.Error != nil {
			msg = ex.Error.Message
		}
		t.Fatalf("execution %s: %s", ex.Status, msg)
	}
	mu.Lock()
	seen := soapSeen
	mu.Unlock()
	for _, want := range []string{`"urn:GetQuote"`, `<GetQuote xmlns="urn:stock"><symbol>ACME</symbol></GetQuote>`, `<wsse:Username>alice</wsse:Username>`, `#PasswordText">pw&amp;1</wsse:Password>`} {
		if !strings.Contains(seen, want) {
			t.Fatalf("SOAP request lacks %q:\n%s", want, seen)
		}
	}
	box.mu.Lock()
	defer box.mu.Unlock()
	if len(box.msgs) != 1 || len(box.rcpt[0]) != 1 || box.rcpt[0][0] != "ops@example.com" {
		t.Fatalf("mailbox: %d messages, rcpt %v", len(box.msgs), box.rcpt)
	}
	for _, want := range []string{"Subject: Quote 12.5", "3 issues", `filename="issues.json"`} {
		if !strings.Contains(box.msgs[0], want) {
			t.Fatalf("message lacks %q:\n%s", want, box.msgs[0])
		}
	}
}
