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

// sensitiveKey finds the same keys as a search for each sensitive part.
func TestSensitiveKeyMatchesSearch(t *testing.T) {
	t.Parallel()
	parts := []string{"token", "secret", "api-key", "api_key", "apikey", "private_key", "private-key", "signature"}
	search := func(k string) bool {
		k = strings.ToLower(k)
		switch k {
		case "authorization", "proxy-authorization", "cookie", "set-cookie", "password", "passwd":
			return true
		}
		for _, p := range parts {
			if strings.Contains(k, p) {
				return true
			}
		}
		return false
	}
	keys := []string{"", "t", "a", "s", "p", "tok", "toke", "api", "api-", "apike", "private", "private_", "sig", "secre",
		"Authorization", "COOKIE", "Set-Cookie", "passwd", "password2", "customer", "text_upper", "amount_doubled", "body", "status",
		"headers", "pretoken", "sstoken", "aapi_key", "ppprivate-key", "Ünicode-SECRET", "api_\u212aey", "\u212aEY", "TOKEN\u00e9", "Proxy-Authorization", "x-signature-v1", "tapikey", "apiKey", "privatekey"}
	for _, p := range parts {
		keys = append(keys, p, "x"+p, p+"x", "a"+p, "s"+p[:len(p)-1], strings.ToUpper(p), p[:1]+p, "-"+p+"-")
	}
	sensitive := 0
	for _, k := range keys {
		want := search(k)
		if got := sensitiveKey(k); got != want {
			t.Errorf("sensitiveKey(%q) = %v, want %v", k, got, want)
		}
		if want {
			sensitive++
		}
	}
	if sensitive < len(parts)*6 {
		t.Fatalf("only %d of %d keys are sensitive: the corpus no longer tests the parts", sensitive, len(keys))
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
