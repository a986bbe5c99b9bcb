package engine_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestEngineDoesNotLinkVerifiers: the engine parses workflows, and with
// them verify blocks, but never verifies a webhook, so its closure holds
// the verify configuration (verifyspec) and none of the verifiers: no
// HMAC/JWT/JWKS code, no JWT library.
func TestEngineDoesNotLinkVerifiers(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-deps", "github.com/weftworks/weft/engine").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 10 {
		t.Fatalf("go list -deps listed only %v", deps)
	}
	for _, d := range deps {
		if d == "github.com/weftworks/weft/trigger/webhook/verify" || strings.HasPrefix(d, "github.com/golang-jwt/") {
			t.Errorf("the engine links %s", d)
		}
	}
}
