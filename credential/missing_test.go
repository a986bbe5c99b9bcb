package credential_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/credential"
)

// A missing credential is named once, with the fix, whichever way a step
// asks for it (it used to read `credential "x": credential "x": not found`).
func TestMissingCredentialNamedOnce(t *testing.T) {
	t.Parallel()
	b := setup(t, credential.Config{})
	ctx := context.Background()
	checks := map[string]func() error{
		"Get":         func() error { _, err := b.vault.Get(ctx, "wf", "nope"); return err },
		"Settings":    func() error { _, err := b.vault.Settings(ctx, "wf", "nope"); return err },
		"Metadata":    func() error { _, err := b.vault.Metadata(ctx, "nope"); return err },
		"WebhookSecr": func() error { _, err := b.vault.WebhookSecrets(ctx, "nope", "wf"); return err },
	}
	for name, f := range checks {
		err := f()
		if !errors.Is(err, weft.ErrNotFound) {
			t.Fatalf("%s: %v, want ErrNotFound", name, err)
		}
		if n := strings.Count(err.Error(), `"nope"`); n != 1 {
			t.Errorf("%s names the credential %d times: %v", name, n, err)
		}
		if !strings.Contains(err.Error(), "Credentials page") {
			t.Errorf("%s does not say how to fix it: %v", name, err)
		}
	}
}
