package credential

import (
	"errors"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
)

func TestValidateMCPOAuth(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		data map[string]any
		want string // "" = valid
	}{
		{"oauth with callback", map[string]any{"url": "https://mcp.example.com/mcp", "oauth": "true", "redirect_url": "https://weft.example.com/oauth/callback"}, ""},
		{"oauth false", map[string]any{"url": "https://mcp.example.com/mcp", "oauth": "false"}, ""},
		{"oauth without callback", map[string]any{"url": "https://mcp.example.com/mcp", "oauth": "true"}, "redirect_url"},
		{"oauth with token", map[string]any{"url": "https://mcp.example.com/mcp", "oauth": "true", "token": "t", "redirect_url": "https://w/oauth/callback"}, "remove `token` and `auth`"},
		{"oauth with auth", map[string]any{"url": "https://mcp.example.com/mcp", "oauth": "true", "auth": "gh", "redirect_url": "https://w/oauth/callback"}, "remove `token` and `auth`"},
		{"oauth over stdio", map[string]any{"stdio": "fs", "oauth": "true", "redirect_url": "https://w/oauth/callback"}, "needs `url`"},
		{"oauth yes", map[string]any{"url": "https://mcp.example.com/mcp", "oauth": "yes"}, `not "yes"`},
	} {
		err := validateMCP(tc.data)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: got %v, want an error with %q", tc.name, err, tc.want)
		}
	}
}

func TestTokenAuthStyle(t *testing.T) {
	t.Parallel()
	if tokenAuthStyle([]string{"none"}) != oauth2.AuthStyleInParams || tokenAuthStyle([]string{"client_secret_basic"}) != oauth2.AuthStyleInHeader ||
		tokenAuthStyle(nil) != oauth2.AuthStyleAutoDetect {
		t.Fatal("token endpoint auth methods map to the wrong styles")
	}
}

// TestMCPTokensBoundToURL: tokens stored for one server are not sent to a
// url the connection names afterwards.
func TestMCPTokensBoundToURL(t *testing.T) {
	t.Parallel()
	l := &loaded{rec: store.CredentialRecord{Name: "crm", Type: TypeMCP}, data: map[string]any{"url": "https://evil.example.com/mcp"}}
	st := tokenState{Token: &oauth2.Token{AccessToken: "at"}, MCP: &mcpAuth{Server: "https://mcp.example.com/mcp"}}
	if err := mcpBound(l, st); err == nil || !strings.Contains(err.Error(), "url changed since Connect") || !errors.Is(err, weft.ErrInvalid) {
		t.Fatalf("tokens of another url: %v", err)
	}
	l.data["url"] = "https://mcp.example.com/mcp"
	if err := mcpBound(l, st); err != nil {
		t.Fatalf("tokens of this url: %v", err)
	}
}
