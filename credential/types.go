package credential

import (
	"fmt"
	"sort"

	"github.com/weftworks/weft/step"
)

// Credential types.
const (
	TypeAPIKey            = "api_key"
	TypeBearer            = "bearer"
	TypeBasic             = "basic"
	TypeOAuth2Client      = "oauth2_client_credentials"
	TypeOAuth2Code        = "oauth2_code"
	TypeJWT               = "jwt"
	TypeMTLS              = "mtls"
	TypeWebhookSecret     = "webhook_secret"
	TypeCustom            = "custom"
	TypeNone              = "none"
	categoryCredentialRef = "credential"
)

func secret(name, desc string, required bool) step.Field {
	return step.Field{Name: name, Type: step.String, Secret: true, Required: required, Description: desc}
}

func plain(name, desc string, required bool) step.Field {
	return step.Field{Name: name, Type: step.String, Required: required, Description: desc}
}

// Types returns the spec of every credential type: its fields, which of them
// are secret, and which are required. It is the one declaration validation,
// GET /api/v1/credentials/types and docs/connections.md come from.
func Types() []step.Spec {
	oauthCommon := []step.Field{
		plain("token_url", "Token endpoint of the provider.", true),
		plain("client_id", "OAuth 2.0 client id.", true),
		secret("client_secret", "OAuth 2.0 client secret.", false),
		plain("scopes", "Space- or comma-separated scopes to ask for.", false),
		{Name: "auth_style", Type: step.String, Enum: []string{"header", "params"}, Default: "header",
			Description: "How the client authenticates at the token endpoint: HTTP basic (header) or form fields (params)."},
	}
	specs := []step.Spec{
		{Type: TypeAPIKey, Title: "API key", Description: "A static key sent in a header or a query parameter.", Fields: []step.Field{
			secret("api_key", "The key.", true),
			{Name: "in", Type: step.String, Enum: []string{"header", "query"}, Default: "header", Description: "Where the key goes."},
			{Name: "name", Type: step.String, Default: "X-API-Key", Description: "Header or query parameter name. A header value may carry a prefix, see `prefix`."},
			plain("prefix", "Text put before the key in a header, e.g. \"Token \".", false),
		}},
		{Type: TypeBearer, Title: "Bearer token", Description: "Authorization: Bearer <token>.", Fields: []step.Field{
			secret("token", "The token.", true),
		}},
		{Type: TypeBasic, Title: "Basic auth", Description: "HTTP basic authentication.", Fields: []step.Field{
			plain("username", "User name.", true),
			secret("password", "Password.", true),
		}},
		{Type: TypeOAuth2Client, Title: "OAuth 2.0 client credentials",
			Description: "Machine-to-machine OAuth 2.0: Weft fetches an access token, caches it until shortly before it expires and refreshes it once, however many steps need it at the same time.",
			Fields: append(append([]step.Field{}, oauthCommon...),
				plain("audience", "Optional audience parameter (Auth0 and others).", false)),
		},
		{Type: TypeOAuth2Code, Title: "OAuth 2.0 authorization code (PKCE)",
			Description: "A user grants access in the browser: GET /api/v1/credentials/{name}/oauth/start sends them to the provider, whose answer comes back to /oauth/callback. The refresh token is stored encrypted; the access token is refreshed before it expires and after a 401.",
			Fields: append(append([]step.Field{plain("auth_url", "Authorization endpoint of the provider.", true)}, oauthCommon...),
				plain("redirect_url", "Callback URL registered at the provider: https://<weft>/oauth/callback.", true)),
		},
		{Type: TypeOAuth2JWTBearer, Title: "OAuth 2.0 JWT bearer grant (RFC 7523)",
			Description: "Server to server without a browser: Weft signs a short-lived assertion (iss = client_id, sub = subject, aud = audience) with the private key and trades it at token_url for an access token, cached and refreshed like other OAuth 2.0 tokens; every non-secret field of the answer (Salesforce's instance_url) is kept. Salesforce connected apps and Google service accounts use it.",
			Fields: []step.Field{
				plain("token_url", "Token endpoint of the provider.", true),
				plain("client_id", "Issuer of the assertion: the connected app's consumer key, or a service account's client_email.", true),
				secret("key", "PEM private key that signs the assertion (PKCS#1, PKCS#8 or SEC 1).", true),
				{Name: "algorithm", Type: step.String, Enum: []string{"RS256", "ES256"}, Default: "RS256", Description: "Signing algorithm."},
				plain("subject", "`sub` claim: the user to act as (Salesforce user name, a Google Workspace user).", false),
				plain("audience", "`aud` claim (default: token_url), e.g. https://login.salesforce.com.", false),
				plain("scopes", "Space- or comma-separated scopes, sent in the assertion's scope claim (Google).", false),
				plain("key_id", "Value of the `kid` header.", false),
			}},
		{Type: TypeJWT, Title: "Signed JWT", Description: "A JSON Web Token signed for every request and sent as a bearer token (e.g. Google service accounts, APNs, GitHub Apps).", Fields: []step.Field{
			{Name: "algorithm", Type: step.String, Enum: []string{"HS256", "RS256", "ES256"}, Required: true, Description: "Signing algorithm."},
			secret("key", "HMAC secret (HS256) or PEM private key (RS256, ES256; PKCS#1, PKCS#8 or SEC 1).", true),
			plain("key_id", "Value of the `kid` header.", false),
			plain("issuer", "`iss` claim.", false),
			plain("subject", "`sub` claim.", false),
			plain("audience", "`aud` claim.", false),
			plain("claims", "Extra claims as a JSON object, e.g. {\"scope\": \"https://www.googleapis.com/auth/drive\"}.", false),
			{Name: "ttl", Type: step.Duration, Default: "5m", Description: "Lifetime of each token (`exp` = now + ttl)."},
			{Name: "header", Type: step.String, Default: "Authorization", Description: "Header the token goes in (as \"Bearer <jwt>\" for Authorization)."},
		}},
		{Type: TypeMTLS, Title: "Mutual TLS", Description: "A client certificate (and optionally a private CA) for APIs that authenticate the TLS connection.", Fields: []step.Field{
			plain("cert", "Client certificate chain, PEM.", true),
			secret("key", "Private key of the certificate, PEM.", true),
			plain("ca", "CA certificates to trust instead of the system pool, PEM.", false),
			plain("server_name", "Server name to verify, when it differs from the URL's host.", false),
		}},
		{Type: TypeWebhookSecret, Title: "Webhook secret", Description: "Signing secret of incoming webhooks. Give `secret`, or `secrets` (a JSON array) during a rotation: every listed secret verifies.", Fields: []step.Field{
			secret("secret", "The signing secret.", false),
			{Name: "secrets", Type: step.Array, Secret: true, Items: &step.Field{Type: step.String}, Description: "Several active secrets (rotation); the first signs, all verify."},
		}},
		{Type: TypeCustom, Title: "Custom", AllowExtra: true,
			Description: "Any named fields (all secret), plus `headers` and `query` templates that build the request's authentication from them: {\"headers\": {\"X-Key\": \"{{ key }}\", \"X-Account\": \"{{ account }}\"}}.",
			Fields: []step.Field{
				{Name: "headers", Type: step.Object, Description: "Header name to template; `{{ field }}` is replaced by the field's value."},
				{Name: "query", Type: step.Object, Description: "Query parameter name to template."},
			}},
		{Type: TypeNone, Title: "No authentication", Description: "A connection without a secret: useful for its limits, retry manners and host allowlist alone."},
	}
	specs = append(specs, databaseTypes()...)
	specs = append(specs, brokerTypes()...)
	specs = append(specs, mailTypes()...)
	specs = append(specs, mcpTypes()...)
	for i := range specs {
		specs[i].Category = categoryCredentialRef
	}
	sort.Slice(specs, func(i, j int) bool { return specs[i].Type < specs[j].Type })
	return specs
}

// TypeSpec returns the spec of a credential type.
func TypeSpec(typ string) (step.Spec, bool) {
	for _, s := range Types() {
		if s.Type == typ {
			return s, true
		}
	}
	return step.Spec{}, false
}

// AuthKinds are the credential types that can authenticate an outgoing HTTP
// request (for a step's spec.Auth).
func AuthKinds() []string {
	return []string{TypeAPIKey, TypeBasic, TypeBearer, TypeCustom, TypeJWT, TypeMTLS, TypeNone, TypeOAuth2Client, TypeOAuth2Code, TypeOAuth2JWTBearer}
}

// validateData checks data against the type's spec.
func validateData(typ string, data map[string]any) error {
	spec, ok := TypeSpec(typ)
	if !ok {
		names := make([]string, 0, 10)
		for _, s := range Types() {
			names = append(names, s.Type)
		}
		return fmt.Errorf("unknown credential type %q; use one of %v", typ, names)
	}
	for _, f := range spec.Fields {
		v, has := data[f.Name]
		if f.Required && (!has || v == "" || v == nil) {
			return fmt.Errorf("credential type %s: field %q is required", typ, f.Name)
		}
		if has && len(f.Enum) > 0 {
			s, _ := v.(string)
			okv := false
			for _, e := range f.Enum {
				if e == s {
					okv = true
				}
			}
			if !okv {
				return fmt.Errorf("credential type %s: field %q must be one of %v", typ, f.Name, f.Enum)
			}
		}
	}
	if !spec.AllowExtra {
		for k := range data {
			if _, ok := spec.Lookup(k); !ok {
				return fmt.Errorf("credential type %s has no field %q", typ, k)
			}
		}
	}
	for k, v := range data {
		switch v.(type) {
		case string, nil:
		case []any:
			if f, _ := spec.Lookup(k); f.Type != step.Array {
				return fmt.Errorf("credential field %q must be a string", k)
			}
		case map[string]any:
			if f, _ := spec.Lookup(k); f.Type != step.Object {
				return fmt.Errorf("credential field %q must be a string", k)
			}
		default:
			return fmt.Errorf("credential field %q must be a string", k)
		}
	}
	switch typ {
	case TypePostgres, TypeMySQL, TypeSQLite:
		if err := validateDatabase(typ, data); err != nil {
			return err
		}
	}
	if typ == TypeMCP {
		if err := validateMCP(data); err != nil {
			return err
		}
	}
	if typ == TypeWebhookSecret {
		if _, a := data["secret"]; !a {
			if _, b := data["secrets"]; !b {
				return fmt.Errorf("credential type webhook_secret: give `secret` or `secrets`")
			}
		}
	}
	return nil
}
