package identity

import (
	"fmt"
	"slices"
	"strings"

	"github.com/weftworks/weft"
)

// Permissions. Each API route requires one of them (or none, when public).
const (
	WorkflowsRead    = "workflows:read"    // list and read workflows, step types, templates
	WorkflowsWrite   = "workflows:write"   // save, enable, disable, delete workflows; test-run a step
	ExecutionsRead   = "executions:read"   // executions, deliveries, usage, stats, triggers, connections
	ExecutionsRun    = "executions:run"    // start, retry, cancel, replay, approve, publish events
	CredentialsList  = "credentials:list"  // credential names and types only
	CredentialsRead  = "credentials:read"  // credential metadata (fields, allowed workflows and hosts)
	CredentialsWrite = "credentials:write" // create, replace, test, delete credentials; OAuth connect
	SubscriptionsRW  = "subscriptions:write"
	UsersRead        = "users:read"  // list users and every token
	UsersWrite       = "users:write" // create users and service accounts, change roles, revoke any token
	AuditRead        = "audit:read"  // read, export and verify the audit trail
	MCPCall          = "mcp:call"    // call workflows as MCP tools; mcp:call:<workflow> for one
	// TokensOwn lets anyone signed in manage their own tokens; it is not a
	// scope a token can carry (a token cannot mint tokens).
	TokensOwn = "tokens:own"
	// Authenticated is the requirement of routes any principal may call.
	Authenticated = "authenticated"
	// Public marks routes served without authentication.
	Public = "public"
)

// AllPermissions lists every permission, in the order docs show them.
var AllPermissions = []string{WorkflowsRead, WorkflowsWrite, ExecutionsRead, ExecutionsRun, CredentialsList, CredentialsRead,
	CredentialsWrite, SubscriptionsRW, UsersRead, UsersWrite, AuditRead, MCPCall, TokensOwn}

// WorkflowScoped lists the permissions a scope may narrow to one workflow
// by appending ":<workflow>".
var WorkflowScoped = []string{WorkflowsRead, ExecutionsRun, MCPCall}

// Roles, from most to least privileged.
const (
	RoleOwner    = "owner"
	RoleAdmin    = "admin"
	RoleEditor   = "editor"
	RoleOperator = "operator"
	RoleViewer   = "viewer"
)

// RoleNames lists the roles from most to least privileged.
var RoleNames = []string{RoleOwner, RoleAdmin, RoleEditor, RoleOperator, RoleViewer}

var (
	viewerPerms   = []string{WorkflowsRead, ExecutionsRead, CredentialsList, TokensOwn}
	operatorPerms = append(slices.Clone(viewerPerms), ExecutionsRun, MCPCall)
	editorPerms   = append(slices.Clone(operatorPerms), WorkflowsWrite, CredentialsRead)
	adminPerms    = append(slices.Clone(editorPerms), CredentialsWrite, SubscriptionsRW, UsersRead, UsersWrite, AuditRead)
)

// RolePermissions returns what role grants (nil for an unknown role).
func RolePermissions(role string) []string {
	switch role {
	case RoleOwner, RoleAdmin:
		// The owner differs from admins in what it may grant: only an owner
		// makes or unmakes owners (see CanGrant).
		return slices.Clone(adminPerms)
	case RoleEditor:
		return slices.Clone(editorPerms)
	case RoleOperator:
		return slices.Clone(operatorPerms)
	case RoleViewer:
		return slices.Clone(viewerPerms)
	}
	return nil
}

// ValidRole reports a clear error for an unknown role.
func ValidRole(role string) error {
	if slices.Contains(RoleNames, role) {
		return nil
	}
	return fmt.Errorf("role %q is not one of %s: %w", role, strings.Join(RoleNames, ", "), weft.ErrInvalid)
}

// CanGrant reports whether a principal with role by may give or take away
// role: only an owner touches owners.
func CanGrant(by, role string) bool {
	if role == RoleOwner {
		return by == RoleOwner
	}
	return by == RoleOwner || by == RoleAdmin
}

// RolePermissionsHas reports whether role grants perm.
func RolePermissionsHas(role, perm string) bool { return roleHas(role, perm) }

// roleHas reports whether role grants perm (perm without a workflow).
func roleHas(role, perm string) bool {
	return slices.Contains(RolePermissions(role), perm)
}

// MaxScopes bounds the scopes of one token; MaxScopeLen one scope.
const (
	MaxScopes   = 64
	MaxScopeLen = 200
)

// ValidScopes checks scopes a token is to carry: known permissions, or a
// workflow-scoped one with a workflow name; never tokens:own.
func ValidScopes(scopes []string) error {
	if len(scopes) == 0 {
		return fmt.Errorf("a token needs at least one scope (e.g. %s): %w", ExecutionsRead, weft.ErrInvalid)
	}
	if len(scopes) > MaxScopes {
		return fmt.Errorf("a token may carry at most %d scopes, not %d: %w", MaxScopes, len(scopes), weft.ErrInvalid)
	}
	for _, s := range scopes {
		if len(s) > MaxScopeLen {
			return fmt.Errorf("scope %.40q... is longer than %d characters: %w", s, MaxScopeLen, weft.ErrInvalid)
		}
		base, wf := splitScope(s)
		switch {
		case base == TokensOwn:
			return fmt.Errorf("scope %s cannot be given to a token: tokens are made by signed-in users: %w", TokensOwn, weft.ErrInvalid)
		case !slices.Contains(AllPermissions, base):
			return fmt.Errorf("scope %q is not one of %s (or %s:<workflow>): %w", s,
				strings.Join(AllPermissions[:len(AllPermissions)-1], ", "), strings.Join(WorkflowScoped, ":<workflow>, "), weft.ErrInvalid)
		case wf != "" && !slices.Contains(WorkflowScoped, base):
			return fmt.Errorf("scope %q: only %s can be narrowed to one workflow: %w", s, strings.Join(WorkflowScoped, ", "), weft.ErrInvalid)
		}
	}
	return nil
}

// splitScope splits "executions:run:billing" into the permission and the
// workflow ("" when the scope is not narrowed).
func splitScope(s string) (perm, workflow string) {
	first := strings.IndexByte(s, ':')
	if first < 0 {
		return s, ""
	}
	second := strings.IndexByte(s[first+1:], ':')
	if second < 0 {
		return s, ""
	}
	return s[:first+1+second], s[first+2+second:]
}
