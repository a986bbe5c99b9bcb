package email_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/weftworks/weft/connectors/email"
	"github.com/weftworks/weft/step"
)

// conns lends the fake's smtp credential and dials with a plain dialer
// (the production seam dials through the SSRF guard).
type conns struct {
	step.Connections
	data map[string]string
}

func (c conns) Get(context.Context, string, string) (step.Credential, error) {
	return step.Credential{Type: "smtp", Data: c.data}, nil
}
func (c conns) Authorize(context.Context, string, string, *http.Request) error { return nil }
func (c conns) Dialer(context.Context, string, string) (step.DialFunc, error) {
	var d net.Dialer
	return d.DialContext, nil
}
func (c conns) Report(string, error) {}

func run(t *testing.T, f *smtpFake, with map[string]any) (step.Result, error) {
	t.Helper()
	host, port, _ := net.SplitHostPort(f.addr)
	reg := step.NewRegistry()
	if err := email.Register(reg); err != nil {
		t.Fatal(err)
	}
	r, _ := reg.Lookup(email.Type)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c := conns{data: map[string]string{"host": host, "port": port, "username": "alice", "password": "pw-123", "tls": "none", "from": "Weft <weft@example.com>"}}
	return r.Handler.Run(ctx, &step.Request{Workflow: "wf", With: with, Attempt: 1, IdempotencyKey: "exec-1/notify/-1",
		Env: &step.Env{Connections: c}})
}

func TestSendMultipartWithAttachmentsAndHeaders(t *testing.T) {
	t.Parallel()
	f := newSMTPFake(t)
	pdf := []byte("%PDF-1.4 \x00\x01binary")
	res, err := run(t, f, map[string]any{
		"connection": "mailer", "to": []any{"bob@example.com", "carol@example.com"}, "cc": "dave@example.com", "bcc": []any{"audit@example.com"},
		"subject": "Order 42 shipped\r\nBcc: evil@example.com", "text": "Hello Bob", "html": "<p>Hello <b>Bob</b></p>",
		"attachments": []any{
			map[string]any{"filename": "note.txt", "content": "plain note"},
			map[string]any{"filename": "invoice.pdf", "content": base64.StdEncoding.EncodeToString(pdf), "encoding": "base64", "content_type": "application/pdf"},
		},
		"headers": map[string]any{"List-Unsubscribe": "<mailto:unsub@example.com>"},
	})
	if err != nil {
		t.Fatal(err)
	}
	msgs := f.messages()
	if len(msgs) != 1 {
		t.Fatalf("%d messages received", len(msgs))
	}
	m := msgs[0]
	if m.user != "alice" || m.from != "weft@example.com" {
		t.Fatalf("auth user %q, MAIL FROM %q", m.user, m.from)
	}
	if strings.Join(m.rcpt, ",") != "bob@example.com,carol@example.com,dave@example.com,audit@example.com" {
		t.Fatalf("RCPT TO = %v", m.rcpt)
	}
	msg, err := mail.ReadMessage(bytes.NewReader(m.data))
	if err != nil {
		t.Fatal(err)
	}
	h := msg.Header
	if h.Get("Subject") != "Order 42 shipped  Bcc: evil@example.com" || h.Get("Bcc") != "" {
		t.Fatalf("Subject %q, Bcc %q: a line break in the subject made a header", h.Get("Subject"), h.Get("Bcc"))
	}
	if h.Get("List-Unsubscribe") != "<mailto:unsub@example.com>" || !strings.Contains(h.Get("Cc"), "dave@example.com") {
		t.Fatalf("headers = %v", h)
	}
	if id := res.Output.(map[string]any)["message_id"]; id == "" || !strings.Contains(h.Get("Message-Id"), "@example.com") {
		t.Fatalf("message id %v / %q", id, h.Get("Message-Id"))
	}
	parts := walk(t, h.Get("Content-Type"), msg.Body)
	for _, want := range []string{"text/plain=Hello Bob", "text/html=<p>Hello <b>Bob</b></p>", "attachment note.txt=plain note", "attachment invoice.pdf=" + string(pdf)} {
		if !parts[want] {
			t.Fatalf("message lacks part %q; has %v", want, keys(parts))
		}
	}
}

// walk flattens a MIME tree into "type=body" and "attachment name=body".
func walk(t *testing.T, ct string, body io.Reader) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	var rec func(ct string, r io.Reader, cte, disp string)
	rec = func(ct string, r io.Reader, cte, disp string) {
		mt, params, err := mime.ParseMediaType(ct)
		if err != nil {
			t.Fatalf("content type %q: %v", ct, err)
		}
		if strings.HasPrefix(mt, "multipart/") {
			mr := multipart.NewReader(r, params["boundary"])
			for {
				p, err := mr.NextRawPart()
				if err == io.EOF {
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				rec(p.Header.Get("Content-Type"), p, p.Header.Get("Content-Transfer-Encoding"), p.Header.Get("Content-Disposition"))
			}
		}
		var b []byte
		switch strings.ToLower(cte) {
		case "base64":
			b, _ = io.ReadAll(base64.NewDecoder(base64.StdEncoding, r))
		case "quoted-printable":
			b, _ = io.ReadAll(newQP(r))
		default:
			b, _ = io.ReadAll(r)
		}
		text := strings.TrimSpace(string(b))
		if _, dp, err := mime.ParseMediaType(disp); err == nil && dp["filename"] != "" {
			out["attachment "+dp["filename"]+"="+text] = true
			return
		}
		out[mt+"="+text] = true
	}
	rec(ct, body, "", "")
	return out
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestRejectedRecipientIsFinalTemporaryIsRetried(t *testing.T) {
	t.Parallel()
	f := newSMTPFake(t)
	f.rejectRcpt = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
	_, err := run(t, f, map[string]any{"connection": "mailer", "to": "nobody@example.com", "subject": "x", "text": "x"})
	if err == nil || strings.Contains(err.Error(), "pw-123") {
		t.Fatalf("err = %v", err)
	}
	if ok, _ := step.IsRetryable(err); ok {
		t.Fatalf("a 550 is retried: %v", err)
	}
	f.rejectRcpt = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try later"}
	_, err = run(t, f, map[string]any{"connection": "mailer", "to": "bob@example.com", "subject": "x", "text": "x"})
	if ok, _ := step.IsRetryable(err); !ok {
		t.Fatalf("a 451 is final: %v", err)
	}
}

func TestBadInputsAndBounds(t *testing.T) {
	t.Parallel()
	f := newSMTPFake(t)
	many := make([]any, email.MaxRecipients+1)
	for i := range many {
		many[i] = "x@example.com"
	}
	big := base64.StdEncoding.EncodeToString(make([]byte, email.MaxAttachmentBytes+1))
	for name, tc := range map[string]struct {
		with map[string]any
		want string
	}{
		"no body":        {map[string]any{"to": "a@example.com", "subject": "s"}, "give text, html or both"},
		"no recipient":   {map[string]any{"subject": "s", "text": "t"}, "no recipients"},
		"too many":       {map[string]any{"to": many, "subject": "s", "text": "t"}, "101 recipients"},
		"huge":           {map[string]any{"to": "a@example.com", "subject": "s", "text": "t", "attachments": []any{map[string]any{"filename": "a.bin", "content": big, "encoding": "base64"}}}, "more than 26214400 bytes"},
		"bad header":     {map[string]any{"to": "a@example.com", "subject": "s", "text": "t", "headers": map[string]any{"Bcc": "x@example.com"}}, "set by the step's own inputs"},
		"bad attachment": {map[string]any{"to": "a@example.com", "subject": "s", "text": "t", "attachments": []any{map[string]any{"filename": "../x", "content": "x"}}}, "without slashes"},
	} {
		tc.with["connection"] = "mailer"
		_, err := run(t, f, tc.with)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", name, err, tc.want)
		}
	}
	if n := len(f.messages()); n != 0 {
		t.Fatalf("%d messages sent from bad inputs", n)
	}
}
