package identity

import "slices"

// How a principal authenticated.
const (
	ViaAdminToken = "admin_token"
	ViaSession    = "session"
	ViaToken      = "token"
)

// Principal is who made a request: a signed-in user, a user's or service
// account's API token, or the static admin token.
type Principal struct {
	// Name is what records show: the user's email, "admin" for the admin
	// token, "<email> (token <name>)" for an API token.
	Name   string `json:"name"`
	UserID string `json:"user_id,omitempty"`
	Email  string `json:"email,omitempty"`
	Role   string `json:"role"`
	Via    string `json:"via"`
	// TokenID is the API token's id (Via == ViaToken).
	TokenID string `json:"token_id,omitempty"`
	// Scopes narrow a token; nil means everything the role grants.
	Scopes []string `json:"scopes,omitempty"`
	// CSRF is the session's synchronizer token (Via == ViaSession).
	CSRF string `json:"-"`
}

// Allowed reports whether p may use perm, optionally on one workflow
// (workflow "" asks for the permission on every workflow). The role must
// grant perm, and a token's scopes must include perm or perm:<workflow>.
func (p Principal) Allowed(perm, workflow string) bool {
	switch perm {
	case Public:
		return true
	case Authenticated:
		return p.Role != ""
	}
	if !roleHas(p.Role, perm) {
		return false
	}
	if p.Scopes == nil {
		return true
	}
	if perm == TokensOwn {
		return false
	}
	if slices.Contains(p.Scopes, perm) {
		return true
	}
	return workflow != "" && slices.Contains(p.Scopes, perm+":"+workflow)
}

// Permissions lists what p may do on every workflow, and the scopes that
// narrow it to single workflows: what the console uses to hide what the
// server would refuse.
func (p Principal) Permissions() []string {
	var out []string
	for _, perm := range RolePermissions(p.Role) {
		if p.Allowed(perm, "") {
			out = append(out, perm)
		}
	}
	for _, s := range p.Scopes {
		if base, wf := splitScope(s); wf != "" && roleHas(p.Role, base) {
			out = append(out, s)
		}
	}
	return out
}
