package engine

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestRedactForRecord(t *testing.T) {
	t.Parallel()
	in := map[string]any{
		"url":     "https://crm.example.com",
		"headers": map[string]any{"Authorization": "Bearer s3cr3t", "Accept": "application/json", "X-Api-Key": "k"},
		"json":    []any{map[string]any{"client_secret": "x", "name": "n"}},
	}
	out, changed := redactForRecord(in)
	if !changed {
		t.Fatal("nothing redacted")
	}
	b, _ := json.Marshal(out)
	got := string(b)
	for _, secret := range []string{"s3cr3t", `"k"`, `"x"`} {
		if contains(got, secret) {
			t.Fatalf("recorded input still holds %s: %s", secret, got)
		}
	}
	if !contains(got, "application/json") || !contains(got, "crm.example.com") {
		t.Fatalf("non-sensitive values lost: %s", got)
	}
	// The handler's copy is untouched.
	if in["headers"].(map[string]any)["Authorization"] != "Bearer s3cr3t" {
		t.Fatal("redaction changed the input handed to the step")
	}
	if _, changed := redactForRecord(map[string]any{"a": 1, "b": []any{"c"}}); changed {
		t.Fatal("redacted a map without sensitive keys")
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
