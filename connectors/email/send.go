package email

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/textproto"
	"strconv"
	"strings"
	"time"

	"github.com/wneessen/go-mail"

	"github.com/weftworks/weft/connectors/internal/input"
	"github.com/weftworks/weft/step"
)

type sender struct{ spec step.Spec }

var _ step.Handler = sender{}

// server is an smtp connection's settings.
type server struct {
	host, username, password, tlsMode, from string
	port                                    int
}

func (s sender) Run(ctx context.Context, req *step.Request) (step.Result, error) {
	in := input.New(&s.spec, req.With)
	conn, err := in.String("connection")
	if err != nil {
		return step.Result{}, err
	}
	if req.Env == nil || req.Env.Connections == nil {
		return step.Result{}, step.Errorf(input.CodeValidation, "email.send: connection %q is set but this Weft has no credential vault", conn)
	}
	srv, err := readServer(ctx, req, conn)
	if err != nil {
		return step.Result{}, err
	}
	msg, rcpts, err := s.message(req, in, srv)
	if err != nil {
		return step.Result{}, err
	}
	dial, err := req.Env.Connections.Dialer(ctx, req.Workflow, conn)
	if err != nil {
		return step.Result{}, &step.CodedError{Code: "credential", Err: fmt.Errorf("email.send: %w", err)}
	}
	timeout := 30 * time.Second
	if in.Has("timeout") {
		if timeout, err = in.Duration("timeout"); err != nil {
			return step.Result{}, err
		}
	}
	client, err := newClient(srv, dial, timeout)
	if err != nil {
		return step.Result{}, step.Errorf(input.CodeValidation, "email.send: connection %q: %v", conn, err)
	}
	sctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := client.DialAndSendWithContext(sctx, msg); err != nil {
		req.Env.Connections.Report(conn, err)
		return step.Result{}, sendError(ctx, err)
	}
	req.Env.Connections.Report(conn, nil)
	return step.Result{Output: map[string]any{"message_id": msg.GetGenHeader(mail.HeaderMessageID), "accepted": rcpts}}, nil
}

func readServer(ctx context.Context, req *step.Request, conn string) (server, error) {
	cred, err := req.Env.Connections.Get(ctx, req.Workflow, conn)
	if err != nil {
		return server{}, &step.CodedError{Code: "credential", Err: fmt.Errorf("email.send: %w", err)}
	}
	if cred.Type != "smtp" {
		return server{}, step.Errorf(input.CodeValidation, "email.send: connection %q is of type %s; email.send needs an smtp connection", conn, cred.Type)
	}
	d := cred.Data
	srv := server{host: d["host"], username: d["username"], password: d["password"], tlsMode: d["tls"], from: d["from"], port: 587}
	if srv.tlsMode == "" {
		srv.tlsMode = "starttls"
	}
	if p := d["port"]; p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return server{}, step.Errorf(input.CodeValidation, "email.send: connection %q: port %q is not a TCP port", conn, p)
		}
		srv.port = n
	}
	if srv.host == "" {
		return server{}, step.Errorf(input.CodeValidation, "email.send: connection %q has no host", conn)
	}
	return srv, nil
}

// newClient builds the go-mail client. Every connection is opened by dial
// (the SSRF guard); implicit TLS is layered on it here.
func newClient(srv server, dial step.DialFunc, timeout time.Duration) (*mail.Client, error) {
	tlsConf := &tls.Config{ServerName: srv.host, MinVersion: tls.VersionTLS12}
	dialer := mail.DialContextFunc(dial)
	opts := []mail.Option{mail.WithPort(srv.port), mail.WithTimeout(timeout), mail.WithTLSConfig(tlsConf)}
	switch srv.tlsMode {
	case "starttls":
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
	case "opportunistic":
		opts = append(opts, mail.WithTLSPolicy(mail.TLSOpportunistic))
	case "none":
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
	case "tls":
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
		dialer = func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := dial(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			tc := tls.Client(c, tlsConf)
			if err := tc.HandshakeContext(ctx); err != nil {
				_ = c.Close()
				return nil, fmt.Errorf("TLS handshake with %s: %w", addr, err)
			}
			return tc, nil
		}
	default:
		return nil, fmt.Errorf("tls %q is not one of starttls, tls, opportunistic, none", srv.tlsMode)
	}
	opts = append(opts, mail.WithDialContextFunc(dialer))
	if srv.username != "" {
		// Over TLS the strongest mechanism the server offers; without TLS
		// only PLAIN, which go-mail allows to a local relay alone.
		auth := mail.SMTPAuthAutoDiscover
		if srv.tlsMode == "none" || srv.tlsMode == "opportunistic" {
			auth = mail.SMTPAuthPlain
		}
		opts = append(opts, mail.WithSMTPAuth(auth), mail.WithUsername(srv.username), mail.WithPassword(srv.password))
	}
	return mail.NewClient(srv.host, opts...)
}

// message builds the message and returns the envelope recipients.
func (s sender) message(req *step.Request, in input.Reader, srv server) (*mail.Msg, []string, error) {
	msg := mail.NewMsg()
	from := srv.from
	if in.Has("from") {
		f, err := in.String("from")
		if err != nil {
			return nil, nil, err
		}
		from = f
	}
	if from == "" {
		return nil, nil, input.Invalid("from", "is required (or set `from` on the smtp connection)")
	}
	if err := msg.From(from); err != nil {
		return nil, nil, input.Invalid("from", "%q is not an email address: %v", from, err)
	}
	var all []string
	for _, f := range []struct {
		name string
		set  func(...string) error
	}{{"to", msg.To}, {"cc", msg.Cc}, {"bcc", msg.Bcc}} {
		addrs, err := addresses(req.With[f.name], f.name)
		if err != nil {
			return nil, nil, err
		}
		if len(addrs) == 0 {
			continue
		}
		if err := f.set(addrs...); err != nil {
			return nil, nil, input.Invalid(f.name, "%v", err)
		}
		all = append(all, addrs...)
	}
	if len(all) == 0 {
		return nil, nil, input.Invalid("to", "no recipients: give to, cc or bcc")
	}
	if len(all) > MaxRecipients {
		return nil, nil, input.Invalid("to", "%d recipients; at most %d per message", len(all), MaxRecipients)
	}
	if in.Has("reply_to") {
		rt, err := in.String("reply_to")
		if err != nil {
			return nil, nil, err
		}
		if err := msg.ReplyTo(rt); err != nil {
			return nil, nil, input.Invalid("reply_to", "%v", err)
		}
	}
	subject, err := in.String("subject")
	if err != nil {
		return nil, nil, err
	}
	msg.Subject(oneLine(subject))
	text, _ := req.With["text"].(string)
	html, _ := req.With["html"].(string)
	switch {
	case text != "" && html != "":
		msg.SetBodyString(mail.TypeTextPlain, text)
		msg.AddAlternativeString(mail.TypeTextHTML, html)
	case html != "":
		msg.SetBodyString(mail.TypeTextHTML, html)
	case text != "":
		msg.SetBodyString(mail.TypeTextPlain, text)
	default:
		return nil, nil, input.Invalid("text", "give text, html or both")
	}
	if err := attach(msg, req.With["attachments"]); err != nil {
		return nil, nil, err
	}
	if in.Has("headers") {
		h, err := in.StringMap("headers")
		if err != nil {
			return nil, nil, err
		}
		for k, v := range h {
			k = textproto.CanonicalMIMEHeaderKey(k)
			if !validHeaderName(k) {
				return nil, nil, input.Invalid("headers", "%q is not a header name", k)
			}
			switch strings.ToLower(k) {
			case "from", "to", "cc", "bcc", "subject", "message-id", "date", "content-type", "mime-version", "content-transfer-encoding":
				return nil, nil, input.Invalid("headers", "%s is set by the step's own inputs, not headers", k)
			}
			msg.SetGenHeader(mail.Header(k), oneLine(v))
		}
	}
	sum := sha256.Sum256([]byte(req.IdempotencyKey))
	host := "weft.local"
	if at := strings.LastIndex(from, "@"); at >= 0 {
		host = strings.Trim(from[at+1:], "> ")
	}
	msg.SetMessageIDWithValue(hex.EncodeToString(sum[:16]) + "@" + host)
	msg.SetDate()
	return msg, all, nil
}

// addresses reads one address or a list.
func addresses(v any, field string) ([]string, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case string:
		if strings.TrimSpace(x) == "" {
			return nil, nil
		}
		return []string{x}, nil
	case []any:
		out := make([]string, 0, len(x))
		for i, e := range x {
			s, ok := e.(string)
			if !ok || strings.TrimSpace(s) == "" {
				return nil, input.Invalid(field, "item %d is not an address", i)
			}
			out = append(out, s)
		}
		return out, nil
	}
	return nil, input.Invalid(field, "must be an address or a list of addresses")
}

func attach(msg *mail.Msg, v any) error {
	if v == nil {
		return nil
	}
	list, ok := v.([]any)
	if !ok {
		return input.Invalid("attachments", "must be a list of {filename, content}")
	}
	total := 0
	for i, e := range list {
		a, ok := e.(map[string]any)
		if !ok {
			return input.Invalid("attachments", "item %d must be {filename, content}", i)
		}
		name, _ := a["filename"].(string)
		content, _ := a["content"].(string)
		if name == "" || strings.ContainsAny(name, "/\\\r\n") {
			return input.Invalid("attachments", "item %d needs a filename without slashes or line breaks", i)
		}
		data := []byte(content)
		if enc, _ := a["encoding"].(string); enc == "base64" {
			b, err := base64.StdEncoding.DecodeString(content)
			if err != nil {
				return input.Invalid("attachments", "item %d (%s): content is not base64: %v", i, name, err)
			}
			data = b
		}
		total += len(data)
		if total > MaxAttachmentBytes {
			return input.Invalid("attachments", "more than %d bytes in all; link large files instead", MaxAttachmentBytes)
		}
		var opts []mail.FileOption
		if ct, _ := a["content_type"].(string); ct != "" {
			opts = append(opts, mail.WithFileContentType(mail.ContentType(ct)))
		}
		if err := msg.AttachReader(name, bytes.NewReader(data), opts...); err != nil {
			return input.Invalid("attachments", "item %d (%s): %v", i, name, err)
		}
	}
	return nil
}

// sendError sorts an SMTP failure: 4xx replies and network errors are
// temporary; 5xx replies (unknown recipient, refused sender) are final.
func sendError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("email.send: %w", ctx.Err())
	}
	var se *mail.SendError
	if errors.As(err, &se) && se.IsTemp() {
		return step.Retryable(fmt.Errorf("email.send: %w", err), 0)
	}
	var ne net.Error
	if errors.As(err, &ne) || (se != nil && se.Reason == mail.ErrConnCheck) || se == nil && isDialError(err) {
		return step.Retryable(fmt.Errorf("email.send: %w", err), 0)
	}
	return &step.CodedError{Code: "smtp", Err: fmt.Errorf("email.send: %w", err)}
}

// isDialError reports a failure to reach the server (refused, reset):
// worth another attempt. A refusal by the SSRF guard is not.
func isDialError(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

func oneLine(s string) string { return strings.NewReplacer("\r", " ", "\n", " ").Replace(s) }

func validHeaderName(k string) bool {
	if k == "" {
		return false
	}
	for _, r := range k {
		if r <= ' ' || r > '~' || r == ':' {
			return false
		}
	}
	return true
}
