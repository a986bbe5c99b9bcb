package cli

import (
	"fmt"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/identity"
)

// identityFlags configure sign-in (sessions, OIDC) and the audit trail's
// retention.
type identityFlags struct {
	sessionTTL, auditRetention                        string
	issuer, clientID, clientSecret, redirect, roleMap string
	defaultRole, groupsClaim, name, scopes            string
}

func (f *identityFlags) register(fs *flagSet) {
	fs.stringVar(&f.sessionTTL, "session-ttl", "WEFT_SESSION_TTL", "12h", "how long a console sign-in lasts")
	fs.stringVar(&f.auditRetention, "audit-retention", "WEFT_AUDIT_RETENTION", "365d", "how long audit trail entries are kept (0 keeps them forever)")
	fs.stringVar(&f.issuer, "oidc-issuer", "WEFT_OIDC_ISSUER", "", "OpenID Connect issuer URL for \"Sign in with SSO\" (off when empty); see docs/security.md")
	fs.stringVar(&f.clientID, "oidc-client-id", "WEFT_OIDC_CLIENT_ID", "", "OIDC client id registered at the IdP")
	fs.stringVar(&f.clientSecret, "oidc-client-secret", "WEFT_OIDC_CLIENT_SECRET", "", "OIDC client secret (prefer the environment variable to the flag)")
	fs.stringVar(&f.redirect, "oidc-redirect-url", "WEFT_OIDC_REDIRECT_URL", "", "this server's callback as registered at the IdP: https://<host>/auth/oidc/callback")
	fs.stringVar(&f.roleMap, "oidc-role-map", "WEFT_OIDC_ROLE_MAP", "", "IdP groups to roles: group=role,group2=role2 (roles: owner, admin, editor, operator, viewer)")
	fs.stringVar(&f.defaultRole, "oidc-default-role", "WEFT_OIDC_DEFAULT_ROLE", "", "role of SSO users in no mapped group (empty: they cannot sign in)")
	fs.stringVar(&f.groupsClaim, "oidc-groups-claim", "WEFT_OIDC_GROUPS_CLAIM", "groups", "ID token claim listing the user's groups")
	fs.stringVar(&f.scopes, "oidc-scopes", "WEFT_OIDC_SCOPES", "email,profile", "scopes requested besides openid (add groups where the IdP needs it)")
	fs.stringVar(&f.name, "oidc-name", "WEFT_OIDC_NAME", "SSO", "label of the console's \"Sign in with ...\" button")
}

// IdentityConfig is what Wire needs for users, sign-in and the audit trail.
type IdentityConfig struct {
	SessionTTL time.Duration
	// AuditRetention is how long audit entries are kept (0: forever).
	AuditRetention time.Duration
	// OIDC enables SSO sign-in; nil leaves it off.
	OIDC *identity.OIDCConfig
}

func (f *identityFlags) config() (IdentityConfig, error) {
	var c IdentityConfig
	d, err := weft.ParseDuration(f.sessionTTL)
	if err != nil || d.D() < time.Minute {
		return c, fmt.Errorf("--session-ttl %q: use a duration of at least 1m, like 12h", f.sessionTTL)
	}
	c.SessionTTL = d.D()
	if f.auditRetention != "0" {
		d, err := weft.ParseDuration(f.auditRetention)
		if err != nil || d.D() < time.Hour {
			return c, fmt.Errorf("--audit-retention %q: use a duration of at least 1h like 365d, or 0 to keep everything", f.auditRetention)
		}
		c.AuditRetention = d.D()
	}
	if f.issuer == "" {
		if f.clientID != "" || f.redirect != "" {
			return c, fmt.Errorf("--oidc-client-id and --oidc-redirect-url need --oidc-issuer")
		}
		return c, nil
	}
	roles, err := identity.ParseRoleMap(f.roleMap)
	if err != nil {
		return c, err
	}
	c.OIDC = &identity.OIDCConfig{Issuer: f.issuer, ClientID: f.clientID, ClientSecret: f.clientSecret, RedirectURL: f.redirect,
		RoleMap: roles, DefaultRole: f.defaultRole, GroupsClaim: f.groupsClaim, Name: f.name, Scopes: splitList(f.scopes)}
	if err := c.OIDC.Validate(); err != nil {
		return c, err
	}
	if len(roles) == 0 && c.OIDC.DefaultRole == "" {
		return c, fmt.Errorf("--oidc-issuer is set but neither --oidc-role-map nor --oidc-default-role: nobody could sign in with SSO")
	}
	return c, nil
}
