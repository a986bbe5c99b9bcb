package slack

import (
	"net/http"
	"strings"
	"testing"

	"github.com/weftworks/weft/connectors/apps/apptest"
)

// Token is the bot token the fake accepts.
const Token = "xoxb-test-token"

// NewFake starts a fake Slack Web API. Like Slack, it answers 200 with
// {"ok": false, "error": ...} to a bad token or bad arguments.
func NewFake(t testing.TB) *apptest.Fake {
	mux := http.NewServeMux()
	ok := func(w http.ResponseWriter, v map[string]any) {
		v["ok"] = true
		apptest.WriteJSON(w, http.StatusOK, v)
	}
	fail := func(w http.ResponseWriter, code string) {
		apptest.WriteJSON(w, http.StatusOK, map[string]any{"ok": false, "error": code})
	}
	mux.HandleFunc("POST /auth.test", func(w http.ResponseWriter, _ *http.Request) {
		ok(w, map[string]any{"url": "https://weft-test.slack.com/", "team": "Weft", "user": "weftbot", "team_id": "T1", "user_id": "U0BOT"})
	})
	for _, m := range []string{"chat.postMessage", "chat.update", "chat.delete"} {
		mux.HandleFunc("POST /"+m, func(w http.ResponseWriter, r *http.Request) {
			if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
				fail(w, "invalid_form_data")
				return
			}
			b := apptest.ReadJSON(r)
			ch, _ := b["channel"].(string)
			if ch == "" {
				fail(w, "channel_not_found")
				return
			}
			ts, _ := b["ts"].(string)
			if ts == "" {
				ts = "1712345678.000100"
			}
			ok(w, map[string]any{"channel": ch, "ts": ts, "message": map[string]any{"text": b["text"], "thread_ts": b["thread_ts"]}})
		})
	}
	mux.HandleFunc("GET /users.lookupByEmail", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("email") != "ada@example.com" {
			fail(w, "users_not_found")
			return
		}
		ok(w, map[string]any{"user": map[string]any{"id": "U1ADA", "name": "ada", "profile": map[string]any{"email": "ada@example.com"}}})
	})
	// Three pages of channels, linked by cursors.
	pages := map[string]struct {
		names []string
		next  string
	}{
		"":                     {[]string{"general", "random"}, "dXNlcjpVMEc5V0ZYTlo="},
		"dXNlcjpVMEc5V0ZYTlo=": {[]string{"support"}, "dXNlcjpVMEc5V0ZYTlp="},
		"dXNlcjpVMEc5V0ZYTlp=": {[]string{"sales"}, ""},
	}
	mux.HandleFunc("GET /conversations.list", func(w http.ResponseWriter, r *http.Request) {
		p, found := pages[r.URL.Query().Get("cursor")]
		if !found {
			fail(w, "invalid_cursor")
			return
		}
		chans := []any{}
		for _, n := range p.names {
			chans = append(chans, map[string]any{"id": "C" + strings.ToUpper(n), "name": n})
		}
		ok(w, map[string]any{"channels": chans, "response_metadata": map[string]any{"next_cursor": p.next}})
	})
	f := apptest.NewFake(t, "Bearer "+Token, mux)
	f.Unauthorized = func(w http.ResponseWriter, _ *http.Request) { fail(w, "invalid_auth") }
	return f
}
