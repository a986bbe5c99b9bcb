package credential_test

import (
	"context"
	"errors"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/weftworks/weft"
	httpconn "github.com/weftworks/weft/connectors/http"
	"github.com/weftworks/weft/credential"
	"github.com/weftworks/weft/step"
	"github.com/weftworks/weft/store/storesqlite"
)

func newVault(t *testing.T) *credential.Vault {
	t.Helper()
	st, err := storesqlite.Open(context.Background(), filepath.Join(t.TempDir(), "weft.db"), storesqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	kr, err := credential.NewKeyring(credential.NewKey())
	if err != nil {
		t.Fatal(err)
	}
	v, err := credential.New(credential.Config{Store: st, Keyring: kr})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestAuthKindsMatchTheHTTPStep: http.request lists the credential types
// it accepts without importing this package; the lists must agree.
func TestAuthKindsMatchTheHTTPStep(t *testing.T) {
	t.Parallel()
	if got, want := httpconn.AuthKinds(), credential.AuthKinds(); !slices.Equal(got, want) {
		t.Fatalf("http.AuthKinds() = %v, credential.AuthKinds() = %v", got, want)
	}
}

// TestSettingsSpeakStepTypes: the stored retry settings reach a connector
// as step-level settings.
func TestSettingsSpeakStepTypes(t *testing.T) {
	t.Parallel()
	v := newVault(t)
	ctx := context.Background()
	if _, err := v.Put(ctx, "crm", credential.Input{Type: "bearer", Data: map[string]any{"token": "tok-123456"},
		Settings: credential.Settings{Workflows: []string{"sync"}, Retry: &credential.Retry{MaxAttempts: 6, IdempotencyHeader: "X-Request-Id", Breaker: 3}}}); err != nil {
		t.Fatal(err)
	}
	s, err := v.Settings(ctx, "sync", "crm")
	if err != nil {
		t.Fatal(err)
	}
	if s.Retry == nil || s.Retry.MaxAttempts != 6 || s.IdempotencyHeader != "X-Request-Id" || s.Breaker != 3 {
		t.Fatalf("settings = %+v (retry %+v)", s, s.Retry)
	}
	if _, err := v.Settings(ctx, "other", "crm"); !errors.Is(err, weft.ErrInvalid) {
		t.Fatalf("another workflow read the settings: %v", err)
	}
}

type subscriptions map[string]string

func (s subscriptions) Credential(_ context.Context, workflow, name string) (step.Credential, error) {
	if workflow != "delivery" {
		return step.Credential{}, weft.ErrNotFound
	}
	sec, ok := s[name]
	if !ok {
		return step.Credential{}, weft.ErrNotFound
	}
	return step.Credential{Name: name, Type: "webhook_secret", Data: map[string]string{"secret": sec}}, nil
}

// TestSourceLendsSecretsInsideTheVault: a source's credentials come out of
// the vault itself (no wrapper that could hide the vault's other
// capabilities), are redacted like stored ones, and cannot authenticate.
func TestSourceLendsSecretsInsideTheVault(t *testing.T) {
	t.Parallel()
	v := newVault(t)
	ctx := context.Background()
	if err := v.AddSource("nocolon", subscriptions{}); err == nil {
		t.Fatal("a prefix without a colon was accepted")
	}
	if err := v.AddSource("subscription:", subscriptions{"subscription:s1": "whsec_lent-secret"}); err != nil {
		t.Fatal(err)
	}
	c, err := v.Get(ctx, "delivery", "subscription:s1")
	if err != nil || c.Data["secret"] != "whsec_lent-secret" {
		t.Fatalf("get = %+v, %v", c, err)
	}
	if _, err := v.Get(ctx, "other", "subscription:s1"); err == nil {
		t.Fatal("the source's own rule (delivery workflow only) was skipped")
	}
	if got := v.Redactor().String("x whsec_lent-secret y"); strings.Contains(got, "lent-secret") {
		t.Fatalf("lent secret not redacted: %q", got)
	}
	req, _ := http.NewRequest("GET", "http://127.0.0.1/", nil)
	if err := v.Authorize(ctx, "delivery", "subscription:s1", req); !errors.Is(err, weft.ErrInvalid) {
		t.Fatalf("authorize with a signing secret = %v", err)
	}
	if _, err := v.Get(ctx, "delivery", "unknown:s1"); !errors.Is(err, weft.ErrNotFound) {
		t.Fatalf("a name under no source = %v", err)
	}
}

// TestDerivedFormsAreRedacted: what a credential puts on the wire in
// another spelling (basic's base64 pair, a percent-encoded query key) is
// redacted like the raw value.
func TestDerivedFormsAreRedacted(t *testing.T) {
	t.Parallel()
	v := newVault(t)
	ctx := context.Background()
	if _, err := v.Put(ctx, "legacy", credential.Input{Type: "basic", Data: map[string]any{"username": "someone", "password": "pa ss/word+1"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Put(ctx, "q", credential.Input{Type: "api_key", Data: map[string]any{"api_key": "key with/slash&amp", "in": "query"}}); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("GET", "http://127.0.0.1/", nil)
	for _, name := range []string{"legacy", "q"} {
		if err := v.Authorize(ctx, "", name, req); err != nil {
			t.Fatal(err)
		}
	}
	text := "auth=" + req.Header.Get("Authorization") + " url=" + req.URL.String()
	got := v.Redactor().String(text)
	for _, leak := range []string{"c29tZW9uZTpwYSBzcy93b3JkKzE=", "pa ss/word+1", "key+with%2Fslash%26amp", "slash"} {
		if strings.Contains(got, leak) {
			t.Errorf("%q survives redaction: %s", leak, got)
		}
	}
	if !strings.Contains(got, "Basic [redacted]") {
		t.Errorf("redacted text %q", got)
	}
}
