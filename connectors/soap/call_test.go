package soap_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/antchfx/xmlquery"

	"github.com/weftworks/weft/connectors/soap"
	"github.com/weftworks/weft/step"
)

// fakeService is a SOAP endpoint: it parses the envelope, checks the
// SOAPAction and the WS-Security token (recomputing the digest as a
// server does), and answers the GetQuote operation or a Fault.
type fakeService struct {
	*httptest.Server
	mu       sync.Mutex
	received *xmlquery.Node
	header   http.Header
	answer   func(w http.ResponseWriter) bool
}

const password = "s3cret&<pw>"

func newService(t *testing.T) *fakeService {
	f := &fakeService{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.header = r.Header.Clone()
		if f.answer != nil && f.answer(w) {
			return
		}
		raw, _ := io.ReadAll(r.Body)
		doc, err := xmlquery.Parse(strings.NewReader(string(raw)))
		if err != nil {
			http.Error(w, "bad xml: "+err.Error(), http.StatusBadRequest)
			return
		}
		f.received = doc
		ns12 := strings.HasPrefix(r.Header.Get("Content-Type"), "application/soap+xml")
		env := "http://schemas.xmlsoap.org/soap/envelope/"
		if ns12 {
			env = "http://www.w3.org/2003/05/soap-envelope"
		}
		if tok := xmlquery.FindOne(doc, "//*[local-name()='UsernameToken']"); tok != nil {
			pw := xmlquery.FindOne(tok, "*[local-name()='Password']")
			ok := false
			if strings.HasSuffix(pw.SelectAttr("Type"), "#PasswordDigest") {
				nonce, _ := base64.StdEncoding.DecodeString(xmlquery.FindOne(tok, "*[local-name()='Nonce']").InnerText())
				created := xmlquery.FindOne(tok, "*[local-name()='Created']").InnerText()
				ok = pw.InnerText() == soap.Digest(nonce, created, password)
			} else {
				ok = pw.InnerText() == password
			}
			if !ok || xmlquery.FindOne(tok, "*[local-name()='Username']").InnerText() != "alice" {
				fault(w, ns12, env)
				return
			}
		}
		sym := xmlquery.FindOne(doc, "//*[local-name()='GetQuote']/*[local-name()='symbol']")
		if sym == nil {
			fault(w, ns12, env)
			return
		}
		w.Header().Set("Content-Type", "text/xml")
		_, _ = io.WriteString(w, `<?xml version="1.0"?><s:Envelope xmlns:s="`+env+`"><s:Body><q:GetQuoteResponse xmlns:q="http://example.com/stock">`+
			`<q:Symbol>`+escapeText(sym.InnerText())+`</q:Symbol><q:Price currency="USD">12.5</q:Price><q:Tag>a</q:Tag><q:Tag>b</q:Tag></q:GetQuoteResponse></s:Body></s:Envelope>`)
	}))
	t.Cleanup(f.Close)
	return f
}

func escapeText(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

func fault(w http.ResponseWriter, ns12 bool, env string) {
	w.WriteHeader(http.StatusInternalServerError)
	if ns12 {
		_, _ = io.WriteString(w, `<env:Envelope xmlns:env="`+env+`"><env:Body><env:Fault><env:Code><env:Value>env:Sender</env:Value></env:Code>`+
			`<env:Reason><env:Text xml:lang="en">Authentication failed</env:Text></env:Reason></env:Fault></env:Body></env:Envelope>`)
		return
	}
	_, _ = io.WriteString(w, `<soap:Envelope xmlns:soap="`+env+`"><soap:Body><soap:Fault><faultcode>soap:Client</faultcode>`+
		`<faultstring>Authentication failed</faultstring></soap:Fault></soap:Body></soap:Envelope>`)
}

type creds struct{}

func (creds) Get(_ context.Context, _, name string) (step.Credential, error) {
	pw := password
	if name == "wrong" {
		pw = "nope"
	}
	return step.Credential{Type: "basic", Data: map[string]string{"username": "alice", "password": pw}}, nil
}
func (creds) Authorize(context.Context, string, string, *http.Request) error { return nil }

func run(t *testing.T, with map[string]any) (step.Result, error) {
	t.Helper()
	reg := step.NewRegistry()
	if err := soap.Register(reg); err != nil {
		t.Fatal(err)
	}
	r, _ := reg.Lookup(soap.Type)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return r.Handler.Run(ctx, &step.Request{Workflow: "wf", With: with, Attempt: 1,
		Env: &step.Env{HTTP: http.DefaultClient, Connections: step.CredentialsOnly(creds{})}})
}

func TestSOAP11WithPasswordDigest(t *testing.T) {
	t.Parallel()
	f := newService(t)
	res, err := run(t, map[string]any{"endpoint": f.URL, "action": "http://example.com/GetQuote", "namespace": "http://example.com/stock",
		"body":        map[string]any{"GetQuote": map[string]any{"symbol": `W&<EFT>`}},
		"ws_security": map[string]any{"credential": "svc"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := f.header.Get("SOAPAction"); got != `"http://example.com/GetQuote"` {
		t.Fatalf("SOAPAction = %q", got)
	}
	if ct := f.header.Get("Content-Type"); ct != "text/xml; charset=utf-8" {
		t.Fatalf("Content-Type = %q", ct)
	}
	b, _ := json.Marshal(res.Output.(map[string]any)["result"])
	want := `{"GetQuoteResponse":{"Price":{"#text":"12.5","@currency":"USD"},"Symbol":"W\u0026\u003cEFT\u003e","Tag":["a","b"]}}`
	if string(b) != want {
		t.Fatalf("result = %s\nwant     %s", b, want)
	}
}

func TestSOAP12PasswordTextAndSelect(t *testing.T) {
	t.Parallel()
	f := newService(t)
	res, err := run(t, map[string]any{"endpoint": f.URL, "version": "1.2", "action": "urn:GetQuote",
		"body":        `<GetQuote xmlns="http://example.com/stock"><symbol>WEFT</symbol></GetQuote>`,
		"ws_security": map[string]any{"credential": "svc", "password_type": "PasswordText"},
		"select":      "//*[local-name()='Price']"})
	if err != nil {
		t.Fatal(err)
	}
	if ct := f.header.Get("Content-Type"); ct != `application/soap+xml; charset=utf-8; action="urn:GetQuote"` {
		t.Fatalf("Content-Type = %q", ct)
	}
	if f.received == nil || xmlquery.FindOne(f.received, "//*[local-name()='Envelope' and namespace-uri()='http://www.w3.org/2003/05/soap-envelope']") == nil {
		t.Fatal("the envelope is not in the SOAP 1.2 namespace")
	}
	b, _ := json.Marshal(res.Output.(map[string]any)["result"])
	if string(b) != `{"#text":"12.5","@currency":"USD"}` {
		t.Fatalf("result = %s", b)
	}
}

func TestFaultsBecomeStepErrors(t *testing.T) {
	t.Parallel()
	f := newService(t)
	for _, version := range []string{"1.1", "1.2"} {
		_, err := run(t, map[string]any{"endpoint": f.URL, "version": version, "body": map[string]any{"GetQuote": map[string]any{"symbol": "X"}},
			"ws_security": map[string]any{"credential": "wrong"}})
		var ce *step.CodedError
		if !asCoded(err, &ce) || ce.Code != "soap_fault" {
			t.Fatalf("%s: err = %v, want soap_fault", version, err)
		}
		want := map[string]string{"1.1": "fault soap:Client: Authentication failed", "1.2": "fault env:Sender: Authentication failed"}[version]
		if !strings.Contains(err.Error(), want) {
			t.Fatalf("%s: err = %v, want %q", version, err, want)
		}
		if ok, _ := step.IsRetryable(err); ok {
			t.Fatalf("%s: a fault is retried", version)
		}
		if strings.Contains(err.Error(), "nope") {
			t.Fatal("the password reached the error")
		}
	}
}

func TestHostileAnswersAreBounded(t *testing.T) {
	t.Parallel()
	laughs := `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">` +
		`<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>` +
		`<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><r>&lol3;</r></s:Body></s:Envelope>`
	deep := `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>` + strings.Repeat("<a>", 10000) + strings.Repeat("</a>", 10000) + `</s:Body></s:Envelope>`
	huge := `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><r>` + strings.Repeat("x", 2<<20) + `</r></s:Body></s:Envelope>`
	for name, tc := range map[string]struct{ body, want string }{
		"billion laughs": {laughs, "document type declaration"},
		"deep nesting":   {deep, "nested deeper than 128"},
		"huge body":      {huge, "larger than max_response_bytes (1048576)"},
	} {
		f := newService(t)
		f.answer = func(w http.ResponseWriter) bool { _, _ = io.WriteString(w, tc.body); return true }
		_, err := run(t, map[string]any{"endpoint": f.URL, "body": map[string]any{"Ping": ""}, "max_response_bytes": 1 << 20})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Fatalf("%s: err = %v, want %q", name, err, tc.want)
		}
	}
}

func TestBadBodies(t *testing.T) {
	t.Parallel()
	for _, body := range []any{nil, 42, map[string]any{"bad name": "x"}, map[string]any{"a": map[string]any{"@x y": 1}}} {
		if _, err := run(t, map[string]any{"endpoint": "https://ws.example.com", "body": body}); err == nil {
			t.Fatalf("body %v: no error", body)
		}
	}
}
