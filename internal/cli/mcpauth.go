package cli

import (
	"context"
	"sync"

	"github.com/weftworks/weft/api"
	"github.com/weftworks/weft/audit"
	"github.com/weftworks/weft/identity"
	"github.com/weftworks/weft/internal/logbound"
	"github.com/weftworks/weft/mcpserver"
)

// mcpAccess authenticates /mcp with the same tokens as the API (the admin
// token and users' API tokens) and authorizes each tool by permission
// mcp:call, or a token scoped mcp:call:<workflow>.
//
// The MCP SDK hands the server a principal's name only, and asks Allow
// later with that name, outside the HTTP request. Every HTTP request of a
// session carries its bearer token and is verified again here, so the
// principal remembered for a name is never older than the session's last
// request; a revoked token fails verification at its next request.
type mcpAccess struct {
	admin api.TokenVerifier
	ids   *identity.Service

	mu   sync.Mutex
	seen map[string]identity.Principal
}

// maxMCPPrincipals bounds the remembered principals; past it the map is
// emptied and refilled by the next requests.
const maxMCPPrincipals = 10000

var _ mcpserver.Tokens = (*mcpAccess)(nil)

func newMCPAccess(admin api.TokenVerifier, ids *identity.Service) *mcpAccess {
	return &mcpAccess{admin: admin, ids: ids, seen: map[string]identity.Principal{}}
}

// Principal verifies token and names its principal.
func (m *mcpAccess) Principal(ctx context.Context, token string) (string, bool) {
	var p identity.Principal
	if who, ok := m.admin.Principal(ctx, token); ok {
		p = identity.AdminPrincipal()
		p.Name = who
	} else {
		if m.ids == nil {
			return "", false
		}
		var err error
		if p, err = m.ids.Token(ctx, token); err != nil {
			return "", false
		}
	}
	key := p.Name
	if p.TokenID != "" {
		key += " #" + p.TokenID
	}
	m.mu.Lock()
	if len(m.seen) >= maxMCPPrincipals {
		clear(m.seen)
	}
	m.seen[key] = p
	m.mu.Unlock()
	return key, true
}

// Allow reports whether principal may call (and see) workflow's tool.
func (m *mcpAccess) Allow(_ context.Context, principal, workflow string) bool {
	m.mu.Lock()
	p, ok := m.seen[principal]
	m.mu.Unlock()
	return ok && p.Allowed(identity.MCPCall, workflow)
}

// auditor records the MCP server's calls in the audit trail as the API
// records its actions: the actor is the principal's name ("admin",
// "<email> (token <name>)") and an API token's id is in the detail.
func (m *mcpAccess) auditor(rec *audit.Recorder) mcpserver.Auditor {
	return func(ctx context.Context, principal, source, action, workflow string, detail map[string]any) {
		actor := principal
		m.mu.Lock()
		p, ok := m.seen[principal]
		m.mu.Unlock()
		if ok {
			actor = p.Name
			if p.TokenID != "" {
				if detail == nil {
					detail = map[string]any{}
				}
				detail["token_id"] = p.TokenID
			}
		}
		// The name of a tool that is not listed comes from the client.
		rec.Record(ctx, logbound.Clip(actor, 320), source, action, logbound.Clip(workflow, 200), detail)
	}
}
