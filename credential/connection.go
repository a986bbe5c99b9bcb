package credential

import (
	"context"
	"fmt"
	"strings"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/step"
)

// Settings implements step.Connections: the settings of a connection that
// shape a call, after checking that workflow may use it.
func (v *Vault) Settings(ctx context.Context, workflow, name string) (step.ConnectionSettings, error) {
	if _, ok := v.source(name); ok {
		return step.ConnectionSettings{}, nil // lent secrets carry no settings
	}
	s, rec, err := v.storedSettings(ctx, workflow, name)
	if err != nil {
		return step.ConnectionSettings{}, err
	}
	out := step.ConnectionSettings{BaseURL: s.BaseURL}
	switch rec.Type {
	case TypeOAuth2Code, TypeOAuth2Client, TypeOAuth2JWTBearer:
		if st, err := v.openTokenState(name, rec.Token); err == nil {
			out.TokenFields = st.Fields
		}
	}
	if s.Retry != nil {
		out.Retry = s.Retry.Policy()
		out.IdempotencyHeader = s.Retry.IdempotencyHeader
		out.Breaker = s.Retry.Breaker
	}
	return out, nil
}

// Source lends credentials the vault does not store itself, under a name
// prefix that no stored credential can have (stored names hold no colon):
// e.g. the signing secret of an outbound subscription, "subscription:<id>".
// A source decides itself which workflows may use its credentials.
type Source interface {
	Credential(ctx context.Context, workflow, name string) (step.Credential, error)
}

// AddSource lends the credentials of src under prefix (which must end in a
// colon). It may be called while steps run: a source is often built after
// the engine that uses the vault.
func (v *Vault) AddSource(prefix string, src Source) error {
	if !strings.HasSuffix(prefix, ":") || strings.Count(prefix, ":") != 1 || src == nil {
		return fmt.Errorf("credential source prefix %q: use a name and one colon, like \"subscription:\"", prefix)
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.sources == nil {
		v.sources = map[string]Source{}
	}
	v.sources[prefix] = src
	return nil
}

// source returns the source that lends name, if any.
func (v *Vault) source(name string) (Source, bool) {
	i := strings.IndexByte(name, ':')
	if i < 0 {
		return nil, false
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	src, ok := v.sources[name[:i+1]]
	return src, ok
}

// fromSource gets a lent credential and teaches the redactor its values,
// like those of stored credentials.
func (v *Vault) fromSource(ctx context.Context, src Source, workflow, name string) (step.Credential, error) {
	c, err := src.Credential(ctx, workflow, name)
	if err != nil {
		return step.Credential{}, err
	}
	for k, s := range c.Data {
		v.learn(k, s)
	}
	return c, nil
}

// errLent is the answer to a request to authenticate with a lent secret.
func errLent(name string) error {
	return fmt.Errorf("credential %q is a signing secret lent to one workflow and cannot authenticate requests: %w", name, weft.ErrInvalid)
}
