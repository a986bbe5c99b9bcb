package api

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/events"
	"github.com/weftworks/weft/step"
	"github.com/weftworks/weft/store"
)

// namedTokens is a token verifier that knows people by name, as a users
// and roles module will.
type namedTokens map[string]string

func (n namedTokens) Verify(ctx context.Context, token string) bool {
	_, ok := n.Principal(ctx, token)
	return ok
}

func (n namedTokens) Principal(_ context.Context, token string) (string, bool) {
	who, ok := n[token]
	return who, ok
}

var _ TokenVerifier = namedTokens(nil)

func TestStaticTokenPrincipalIsAdmin(t *testing.T) {
	t.Parallel()
	v := StaticToken(sha256.Sum256([]byte("a")))
	if who, ok := v.Principal(context.Background(), "a"); !ok || who != "admin" {
		t.Fatalf("Principal(admin token) = %q, %v", who, ok)
	}
	if who, ok := v.Principal(context.Background(), "b"); ok || who != "" {
		t.Fatalf("Principal(wrong token) = %q, %v", who, ok)
	}
}

// TestDecisionRecordsPrincipal: the approval's "by" is the name the token
// verifier gives the caller, for the admin token and for any other.
func TestDecisionRecordsPrincipal(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ token, want string }{{testToken, "admin"}, {"alice-token", "alice"}} {
		var svc *events.Service
		b := setup(t, bundleOpts{extra: func(c *Config) {
			c.Tokens = namedTokens{testToken: "admin", "alice-token": "alice"}
			var err error
			svc, err = events.New(events.Config{Store: c.Store, Secret: []byte("0123456789abcdef0123456789abcdef")})
			if err != nil {
				t.Fatal(err)
			}
			c.Events = svc
		}})
		ctx := context.Background()
		now := time.Now().UTC()
		if _, err := b.store.Apply(ctx, store.Mutation{ExecutionID: "x1", Create: &weft.Execution{ID: "x1", Workflow: "wf", WorkflowVersion: 1,
			Status: weft.ExecutionWaiting, Trigger: weft.TriggerManual, CreatedAt: now}}); err != nil {
			t.Fatal(err)
		}
		if err := b.store.PutEventWait(ctx, store.EventWait{ExecutionID: "x1", StepID: "ok", Item: weft.WholeStep, Workflow: "wf",
			Name: step.EventApproval, Key: step.ResumeKey("x1", "ok", weft.WholeStep), CreatedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		tok := tc.token
		res := b.do(t, req{method: "POST", path: "/api/v1/approvals/x1/ok", body: `{"decision":"approve"}`, token: &tok})
		if res.status != 200 || res.json(t)["by"] != tc.want {
			t.Fatalf("decision by %s: %d %s", tc.want, res.status, res.body)
		}
		evs, err := b.store.PendingEvents(ctx, step.EventApproval, step.ResumeKey("x1", "ok", weft.WholeStep), now.Add(-time.Minute), 10)
		if err != nil || len(evs) != 1 {
			t.Fatalf("pending decisions = %v, %v", evs, err)
		}
		var d events.Decision
		if err := json.Unmarshal(evs[0].Payload, &d); err != nil || d.By != tc.want {
			t.Fatalf("recorded decision %s, by %q, want %q", evs[0].Payload, d.By, tc.want)
		}
	}
}
