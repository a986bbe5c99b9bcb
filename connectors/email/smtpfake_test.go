package email_test

import (
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// received is one message as the fake server got it.
type received struct {
	from string
	rcpt []string
	data []byte
	user string
}

// smtpFake is a real SMTP server (github.com/emersion/go-smtp) that keeps
// what it receives and requires AUTH PLAIN as alice when authRequired.
type smtpFake struct {
	addr string
	mu   sync.Mutex
	msgs []received
	// rejectRcpt, when set, answers RCPT TO with this SMTP error.
	rejectRcpt *smtp.SMTPError
}

func newSMTPFake(t *testing.T) *smtpFake {
	t.Helper()
	f := &smtpFake{}
	s := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &session{f: f}, nil }))
	s.Domain = "mx.test"
	s.AllowInsecureAuth = true
	s.ReadTimeout, s.WriteTimeout = 10*time.Second, 10*time.Second
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f.addr = ln.Addr().String()
	go func() { _ = s.Serve(ln) }()
	t.Cleanup(func() { _ = s.Close() })
	return f
}

func (f *smtpFake) messages() []received {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]received(nil), f.msgs...)
}

type session struct {
	f   *smtpFake
	cur received
}

var _ smtp.AuthSession = (*session)(nil)

func (s *session) AuthMechanisms() []string { return []string{sasl.Plain} }
func (s *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != "alice" || pass != "pw-123" {
			return errors.New("invalid credentials")
		}
		s.cur.user = user
		return nil
	}), nil
}
func (s *session) Mail(from string, _ *smtp.MailOptions) error { s.cur.from = from; return nil }
func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if e := s.f.rejectRcpt; e != nil {
		return e
	}
	s.cur.rcpt = append(s.cur.rcpt, to)
	return nil
}
func (s *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.cur.data = b
	s.f.mu.Lock()
	s.f.msgs = append(s.f.msgs, s.cur)
	s.f.mu.Unlock()
	return nil
}
func (s *session) Reset()        { s.cur = received{user: s.cur.user} }
func (s *session) Logout() error { return nil }
