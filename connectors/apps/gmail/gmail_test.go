package gmail_test

import (
	"mime"
	"net/mail"
	"strings"
	"testing"

	"github.com/weftworks/weft/connectors/apps/apptest"
	"github.com/weftworks/weft/connectors/apps/gmail"
)

func TestSendWritesMIME(t *testing.T) {
	t.Parallel()
	f := gmail.NewFake(t)
	c := apptest.Connections{"gmail": {Type: "bearer", Data: map[string]string{"token": gmail.Token}, BaseURL: f.URL}}
	reg := apptest.Registry(t)
	r := apptest.Run(t, reg, c, "gmail.send_message", map[string]any{"to": "Ada <ada@example.com>", "subject": "Grüße", "text": "plain", "html": "<b>rich</b>"})
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	sent := f.Sent()
	if len(sent) != 1 {
		t.Fatalf("sent %d", len(sent))
	}
	m, err := mail.ReadMessage(strings.NewReader(sent[0]))
	if err != nil {
		t.Fatal(err)
	}
	subj, _ := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if m.Header.Get("To") != "Ada <ada@example.com>" || subj != "Grüße" || !strings.HasPrefix(m.Header.Get("Content-Type"), "multipart/alternative") {
		t.Errorf("headers = %v", m.Header)
	}
	// Header injection through a recipient is refused.
	r = apptest.Run(t, reg, c, "gmail.send_message", map[string]any{"to": "a@example.com\r\nBcc: all@example.com", "subject": "x", "text": "y"})
	if r.Err == nil || len(f.Sent()) != 1 {
		t.Errorf("injection: %v", r.Err)
	}
	r = apptest.Run(t, reg, c, "gmail.list_messages", map[string]any{"q": "is:unread", "paginate": "all"})
	if out, _ := r.Output.(map[string]any); r.Err != nil || len(out["items"].([]any)) != 2 {
		t.Errorf("list: %v %v", r.Output, r.Err)
	}
}
