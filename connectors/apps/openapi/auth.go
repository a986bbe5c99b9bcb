package openapi

import (
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/weftworks/weft/connectors/apps"
)

// auth maps the document's securitySchemes to credential kinds, in name
// order. A document without any (or whose security allows none) accepts a
// connection of kind none.
func (c *converter) auth() []apps.Auth {
	var out []apps.Auth
	var names []string
	if c.doc.Components != nil {
		for name := range c.doc.Components.SecuritySchemes {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	for _, name := range names {
		ref := c.doc.Components.SecuritySchemes[name]
		if ref == nil || ref.Value == nil {
			continue
		}
		out = append(out, c.scheme(name, ref.Value)...)
	}
	optional := len(out) == 0
	if optional {
		c.warnf("the document declares no securitySchemes: auth lists kind none; add the kind the API takes (bearer, api_key, ...) to auth: so the console offers it")
	}
	for _, req := range c.doc.Security {
		if len(req) == 0 {
			optional = true
		}
	}
	if optional {
		out = append(out, apps.Auth{Kind: "none", Title: "No authentication"})
	}
	return out
}

func (c *converter) scheme(name string, s *openapi3.SecurityScheme) []apps.Auth {
	title := oneLine(name, 60)
	note := summary(s.Description, 200)
	switch strings.ToLower(s.Type) {
	case "http":
		switch strings.ToLower(s.Scheme) {
		case "bearer":
			return []apps.Auth{{Kind: "bearer", Title: title, Note: note}}
		case "basic":
			return []apps.Auth{{Kind: "basic", Title: title, Note: note}}
		}
		c.warnf("security scheme %q: HTTP scheme %q is not supported; use a custom credential", name, s.Scheme)
	case "apikey":
		switch s.In {
		case "header", "query":
			return []apps.Auth{{Kind: "api_key", Title: title, Note: note, Fields: map[string]string{"in": s.In, "name": s.Name}}}
		}
		c.warnf("security scheme %q: an API key in %q is not supported (only header and query)", name, s.In)
	case "oauth2":
		return c.oauth(title, note, s.Flows)
	case "openidconnect":
		n := "Fill the authorization and token endpoints from " + s.OpenIdConnectUrl + "."
		return []apps.Auth{{Kind: "oauth2_code", Title: title, Note: strings.TrimSpace(note + " " + n)}}
	default:
		c.warnf("security scheme %q: type %q is not supported", name, s.Type)
	}
	return nil
}

func (c *converter) oauth(title, note string, f *openapi3.OAuthFlows) []apps.Auth {
	if f == nil {
		return nil
	}
	var out []apps.Auth
	if fl := f.AuthorizationCode; fl != nil {
		out = append(out, apps.Auth{Kind: "oauth2_code", Title: title, Note: note, Fields: flowFields(fl, true)})
	}
	if fl := f.ClientCredentials; fl != nil {
		out = append(out, apps.Auth{Kind: "oauth2_client_credentials", Title: title + " (client credentials)", Note: note, Fields: flowFields(fl, false)})
	}
	if f.Implicit != nil || f.Password != nil {
		c.warnf("security scheme %q: the implicit and password OAuth flows are not offered (a server cannot use them safely); use authorization code or client credentials", title)
	}
	return out
}

func flowFields(fl *openapi3.OAuthFlow, withAuthURL bool) map[string]string {
	m := map[string]string{"token_url": fl.TokenURL}
	if withAuthURL {
		m["auth_url"] = fl.AuthorizationURL
	}
	scopes := make([]string, 0, len(fl.Scopes))
	for s := range fl.Scopes {
		scopes = append(scopes, s)
	}
	sort.Strings(scopes)
	if len(scopes) > 0 {
		m["scopes"] = strings.Join(scopes, " ")
	}
	return m
}
