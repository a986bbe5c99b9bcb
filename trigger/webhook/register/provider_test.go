package register_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/weftworks/weft/connectors/apps/github"
	"github.com/weftworks/weft/connectors/apps/stripe"
	"github.com/weftworks/weft/trigger/webhook/register"
)

func caller(t *testing.T, base, token string) *register.Caller {
	t.Helper()
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	return &register.Caller{Base: u, Client: http.DefaultClient, Authorize: func(_ context.Context, r *http.Request) error {
		r.Header.Set("Authorization", "Bearer "+token)
		return nil
	}}
}

// TestStripeEnsureIsIdempotent: ensuring 20 times makes one endpoint; a
// lost secret replaces the endpoint (Stripe shows it only on create); an
// events change updates it in place; Remove deletes it and a second Remove
// is harmless.
func TestStripeEnsureIsIdempotent(t *testing.T) {
	t.Parallel()
	f := stripe.NewFake(t)
	c := caller(t, f.URL, stripe.Key)
	ctx := context.Background()
	w := register.Want{Workflow: "paid", URL: "https://weft.example.test/hooks/paid", Events: []string{"charge.refunded"}}
	// Other endpoints of the account, more than one page of them.
	for i := range 12 {
		other := w
		other.URL = "https://other.example.test/" + string(rune('a'+i))
		if _, err := (register.Stripe{}).Ensure(ctx, c, other, false); err != nil {
			t.Fatal(err)
		}
	}
	first, err := (register.Stripe{}).Ensure(ctx, c, w, false)
	if err != nil || first.Secret == "" {
		t.Fatalf("first ensure: %+v %v", first, err)
	}
	for range 20 {
		ep, err := (register.Stripe{}).Ensure(ctx, c, w, true)
		if err != nil || ep.ID != first.ID || ep.Secret != "" {
			t.Fatalf("ensure again: %+v %v", ep, err)
		}
	}
	if n := len(f.Endpoints()); n != 13 {
		t.Fatalf("%d endpoints; want 13", n)
	}
	again, err := (register.Stripe{}).Ensure(ctx, c, w, false)
	if err != nil || again.ID == first.ID || again.Secret == "" || len(f.Endpoints()) != 13 {
		t.Fatalf("without the secret: %+v %v (%d endpoints)", again, err, len(f.Endpoints()))
	}
	w.Events = []string{"charge.refunded", "invoice.paid"}
	if ep, err := (register.Stripe{}).Ensure(ctx, c, w, true); err != nil || ep.ID != again.ID {
		t.Fatalf("update: %+v %v", ep, err)
	}
	for _, e := range f.Endpoints() {
		if e.URL == w.URL && len(e.EnabledEvents) != 2 {
			t.Fatalf("events not updated: %+v", e)
		}
	}
	for range 2 {
		if err := (register.Stripe{}).Remove(ctx, c, w, again.ID); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(f.Endpoints()); n != 12 {
		t.Fatalf("%d endpoints after remove; want 12", n)
	}
	if _, err := (register.Stripe{}).Ensure(ctx, caller(t, f.URL, "sk_wrong"), w, false); err == nil {
		t.Fatal("a refused key passed")
	}
}

// TestGitHubEnsureIsIdempotent: one hook per URL whatever the number of
// ensures; a lost secret is replaced in place by PATCH; Remove deletes it.
func TestGitHubEnsureIsIdempotent(t *testing.T) {
	t.Parallel()
	f := github.NewFake(t)
	c := caller(t, f.URL, github.Token)
	ctx := context.Background()
	w := register.Want{Workflow: "issues", URL: "https://weft.example.test/hooks/issues", Events: []string{"issues"}, Repo: "octo/hello"}
	first, err := (register.GitHub{}).Ensure(ctx, c, w, false)
	if err != nil || len(first.Secret) != 64 {
		t.Fatalf("first ensure: %+v %v", first, err)
	}
	if h := f.Hooks(); len(h) != 1 || h[0].Config["secret"] != first.Secret || h[0].Config["content_type"] != "json" {
		t.Fatalf("hooks = %+v", h)
	}
	for range 20 {
		if ep, err := (register.GitHub{}).Ensure(ctx, c, w, true); err != nil || ep.ID != first.ID || ep.Secret != "" {
			t.Fatalf("ensure again: %+v %v", ep, err)
		}
	}
	lost, err := (register.GitHub{}).Ensure(ctx, c, w, false)
	if err != nil || lost.ID != first.ID || lost.Secret == "" || lost.Secret == first.Secret {
		t.Fatalf("without the secret: %+v %v", lost, err)
	}
	if h := f.Hooks(); len(h) != 1 || h[0].Config["secret"] != lost.Secret {
		t.Fatalf("hooks = %+v", h)
	}
	if err := (register.GitHub{}).Remove(ctx, c, w, lost.ID); err != nil || len(f.Hooks()) != 0 {
		t.Fatalf("remove: %v, %d hooks", err, len(f.Hooks()))
	}
}
