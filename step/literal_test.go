package step

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
)

// TestLiteralFieldSchema: a literal string refuses `{{` in the JSON Schema
// and a literal list does not accept a template standing for it.
func TestLiteralFieldSchema(t *testing.T) {
	t.Parallel()
	s := Spec{Type: "x", Fields: []Field{
		{Name: "sql", Type: String, Literal: "use params"},
		{Name: "statements", Type: Array, Literal: "use params"},
	}}
	b, err := json.Marshal(s.JSONSchema())
	if err != nil {
		t.Fatal(err)
	}
	got := string(b)
	if !strings.Contains(got, `"sql":{"not":{"pattern":"\\{\\{"},"type":"string"}`) {
		t.Errorf("literal string: schema %s lacks not-pattern {{", got)
	}
	if !strings.Contains(got, `"statements":{"type":"array"}`) {
		t.Errorf("literal list: schema %s still accepts a template for the whole list", got)
	}
}

// TestCredentialsOnlyHasNoDialer: without a vault no dialer is lent, so
// nothing reaches the network around the SSRF guard.
func TestCredentialsOnlyHasNoDialer(t *testing.T) {
	t.Parallel()
	c := CredentialsOnly(credsStub{})
	d, err := c.Dialer(context.Background(), "wf", "db")
	if d != nil || !errors.Is(err, ErrNoDialer) || !strings.Contains(err.Error(), `"db"`) {
		t.Fatalf("Dialer = %v, %v; want no dialer and ErrNoDialer naming the connection", d, err)
	}
}

type credsStub struct{}

func (credsStub) Get(context.Context, string, string) (Credential, error) { return Credential{}, nil }
func (credsStub) Authorize(context.Context, string, string, *http.Request) error {
	return nil
}
