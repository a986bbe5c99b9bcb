package gmail

import (
	"encoding/base64"
	"net/http"
	"sync"
	"testing"

	"github.com/weftworks/weft/connectors/apps/apptest"
)

// Token is the access token the fake accepts.
const Token = "ya29.gmail"

// Fake is a local Gmail API v1 that keeps the raw messages it was sent.
type Fake struct {
	*apptest.Fake
	mu   sync.Mutex
	sent []string
}

// Sent returns the RFC 5322 messages sent so far.
func (f *Fake) Sent() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.sent...)
}

// NewFake starts the fake.
func NewFake(t testing.TB) *Fake {
	f := &Fake{}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /gmail/v1/users/me/profile", func(w http.ResponseWriter, _ *http.Request) {
		apptest.WriteJSON(w, 200, map[string]any{"emailAddress": "weft@example.com", "messagesTotal": 3})
	})
	mux.HandleFunc("POST /gmail/v1/users/me/messages/send", func(w http.ResponseWriter, r *http.Request) {
		b := apptest.ReadJSON(r)
		raw, err := base64.URLEncoding.DecodeString(b["raw"].(string))
		if err != nil {
			apptest.WriteJSON(w, 400, map[string]any{"error": map[string]any{"code": 400, "message": "Invalid value for ByteString", "status": "INVALID_ARGUMENT"}})
			return
		}
		f.mu.Lock()
		f.sent = append(f.sent, string(raw))
		f.mu.Unlock()
		apptest.WriteJSON(w, 200, map[string]any{"id": "18c2f0e5b1a2b3c4", "threadId": "18c2f0e5b1a2b3c4", "labelIds": []any{"SENT"}})
	})
	mux.HandleFunc("GET /gmail/v1/users/me/messages", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("pageToken") == "" {
			apptest.WriteJSON(w, 200, map[string]any{"messages": []any{map[string]any{"id": "m1"}}, "nextPageToken": "p2"})
			return
		}
		apptest.WriteJSON(w, 200, map[string]any{"messages": []any{map[string]any{"id": "m2"}}})
	})
	f.Fake = apptest.NewFake(t, "Bearer "+Token, mux)
	return f
}
