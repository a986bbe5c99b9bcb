package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/connectors/apps"
	"github.com/weftworks/weft/credential"
	"github.com/weftworks/weft/engine"
	"github.com/weftworks/weft/store"
	"github.com/weftworks/weft/trigger/webhook/register"
)

// newRegistrar wires registration at the provider (on.webhook.register):
// calls go through the connection seam (base URL, authentication, the SSRF
// guarded client) and signing secrets into the credential vault.
func newRegistrar(eng *engine.Engine, st store.Store, out *outside, publicURL string, logger *slog.Logger) (*register.Registrar, error) {
	bundled, err := apps.Bundled()
	if err != nil {
		return nil, fmt.Errorf("loading app connectors: %w", err)
	}
	bases := map[string]string{}
	for _, a := range bundled {
		bases[a.Name] = a.BaseURL
	}
	v := out.vault
	connect := func(ctx context.Context, workflow, conn, app string) (*register.Caller, error) {
		s, err := v.Settings(ctx, workflow, conn)
		if err != nil {
			return nil, err
		}
		raw := bases[app]
		if s.BaseURL != "" {
			raw = s.BaseURL
		}
		u, err := url.Parse(strings.TrimRight(raw, "/"))
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return nil, fmt.Errorf("base URL %q is not an absolute http(s) URL; fix the connection's base_url", raw)
		}
		c, err := v.Client(ctx, workflow, conn, out.client)
		if err != nil {
			return nil, err
		}
		return &register.Caller{Base: u, Client: c, Authorize: func(ctx context.Context, req *http.Request) error {
			return v.Authorize(ctx, workflow, conn, req)
		}}, nil
	}
	return register.New(register.Config{
		Store: st, Engine: eng, Secrets: vaultSecrets{v}, Connect: connect,
		PublicURL: publicURL, Owner: eng.Owner(), Logger: logger,
	})
}

// vaultSecrets keeps registered signing secrets as webhook_secret
// credentials, encrypted like every credential.
type vaultSecrets struct{ v *credential.Vault }

var _ register.Secrets = vaultSecrets{}

func (s vaultSecrets) HasSecret(ctx context.Context, name, workflow string) bool {
	_, err := s.v.WebhookSecrets(ctx, name, workflow)
	return err == nil
}

func (s vaultSecrets) PutSecret(ctx context.Context, name, workflow, value string) error {
	_, err := s.v.Put(ctx, name, credential.Input{Type: credential.TypeWebhookSecret, Data: map[string]any{"secret": value},
		Settings: credential.Settings{Description: "signing secret of the webhook Weft registered for workflow " + workflow, Workflows: []string{workflow}}})
	return err
}

func (s vaultSecrets) DeleteSecret(ctx context.Context, name string) error {
	if err := s.v.Delete(ctx, name); err != nil && !errors.Is(err, weft.ErrNotFound) {
		return err
	}
	return nil
}
