package ai

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/step"
)

// retryVault lends no credentials but keeps retry defaults per connection.
type retryVault struct{}

func (retryVault) Get(context.Context, string, string) (step.Credential, error) {
	return step.Credential{}, errors.New("unused")
}
func (retryVault) Authorize(context.Context, string, string, *http.Request) error { return nil }
func (retryVault) Settings(_ context.Context, _, name string) (step.ConnectionSettings, error) {
	if name == "openai" {
		return step.ConnectionSettings{Retry: &weft.RetryPolicy{MaxAttempts: 2}}, nil
	}
	return step.ConnectionSettings{}, nil
}
func (retryVault) Client(_ context.Context, _, _ string, base *http.Client) (*http.Client, error) {
	return base, nil
}
func (retryVault) Dialer(context.Context, string, string) (step.DialFunc, error) {
	return nil, step.ErrNoDialer
}
func (retryVault) Invalidate(context.Context, string, string) {}
func (retryVault) Report(string, error)                       {}

var _ step.Connections = retryVault{}

func TestAIStepsCarryTheirConnectionsRetryDefaults(t *testing.T) {
	t.Parallel()
	failing := step.HandlerFunc(func(context.Context, *step.Request) (step.Result, error) {
		return step.Result{}, step.Retryable(errors.New("provider answered 503"), 0)
	})
	final := step.HandlerFunc(func(context.Context, *step.Request) (step.Result, error) {
		return step.Result{}, errors.New("bad request")
	})
	run := func(h step.Handler, cred string) error {
		_, err := connectionRetry{h}.Run(context.Background(), &step.Request{Workflow: "wf",
			With: map[string]any{"credential": cred}, Env: &step.Env{Connections: retryVault{}}})
		return err
	}
	if p := step.RetryDefaultsOf(run(failing, "openai")); p == nil || p.MaxAttempts != 2 {
		t.Fatalf("defaults = %+v, want the connection's max_attempts 2", p)
	}
	if p := step.RetryDefaultsOf(run(failing, "other")); p != nil {
		t.Fatalf("a connection without defaults gave %+v", p)
	}
	if err := run(final, "openai"); err == nil || step.RetryDefaultsOf(err) != nil {
		t.Fatalf("a final error = %v, want it unchanged", err)
	}
}
