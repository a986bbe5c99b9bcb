package aifake

import (
	"context"
	"fmt"
	"net/http"

	"github.com/weftworks/weft/step"
)

// Credentials is a step.Credentials holding fixed credentials, for tests
// until the vault exists (and for tests that need no vault).
type Credentials map[string]step.Credential

var _ step.Credentials = Credentials(nil)

// Get returns the named credential.
func (c Credentials) Get(_ context.Context, _, name string) (step.Credential, error) {
	cr, ok := c[name]
	if !ok {
		return step.Credential{}, fmt.Errorf("no credential named %q", name)
	}
	cr.Name = name
	return cr, nil
}

// Authorize sets a bearer token from the credential's api_key.
func (c Credentials) Authorize(ctx context.Context, workflow, name string, req *http.Request) error {
	cr, err := c.Get(ctx, workflow, name)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+cr.Data["api_key"])
	return nil
}

// CredentialsFor returns credentials "openai", "anthropic", "gemini" and
// "compatible" pointing at s with key.
func (s *Server) CredentialsFor(key string) Credentials {
	return Credentials{
		"openai":     {Type: "api_key", Data: map[string]string{"api_key": key, "base_url": s.OpenAIURL()}},
		"compatible": {Type: "api_key", Data: map[string]string{"api_key": key, "base_url": s.OpenAIURL()}},
		"anthropic":  {Type: "api_key", Data: map[string]string{"api_key": key, "base_url": s.AnthropicURL()}},
		"gemini":     {Type: "api_key", Data: map[string]string{"api_key": key, "base_url": s.GeminiURL()}},
	}
}
