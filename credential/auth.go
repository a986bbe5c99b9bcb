package credential

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/netguard"
)

// Authorize implements step.Credentials: it checks that workflow may use the
// credential and that req goes to an allowed host, then adds the credential's
// authentication to req.
func (v *Vault) Authorize(ctx context.Context, workflow, name string, req *http.Request) error {
	if _, ok := v.source(name); ok {
		return errLent(name)
	}
	l, err := v.load(ctx, workflow, name)
	if err != nil {
		return err
	}
	if err := l.hostAllowed(req.URL.Hostname()); err != nil {
		return err
	}
	switch l.rec.Type {
	case TypeAPIKey:
		key, where, field := l.str("api_key"), l.str("in"), l.str("name")
		if field == "" {
			field = "X-API-Key"
		}
		if where == "query" {
			q := req.URL.Query()
			q.Set(field, key)
			req.URL.RawQuery = q.Encode()
		} else {
			req.Header.Set(field, l.str("prefix")+key)
		}
	case TypeBearer:
		req.Header.Set("Authorization", "Bearer "+l.str("token"))
	case TypeBasic:
		user, pass := l.str("username"), l.str("password")
		req.SetBasicAuth(user, pass)
		// The header carries base64(user:password), not the password: an
		// upstream that echoes headers would otherwise put it on record.
		v.red.Add(base64.StdEncoding.EncodeToString([]byte(user + ":" + pass)))
	case TypeOAuth2Client, TypeOAuth2Code, TypeOAuth2JWTBearer:
		tok, err := v.accessToken(ctx, l)
		if err != nil {
			v.failed(name, err)
			return err
		}
		req.Header.Set("Authorization", "Bearer "+tok)
	case TypeJWT:
		tok, err := v.signJWT(l)
		if err != nil {
			return err
		}
		h := l.str("header")
		if h == "" || strings.EqualFold(h, "Authorization") {
			req.Header.Set("Authorization", "Bearer "+tok)
		} else {
			req.Header.Set(h, tok)
		}
	case TypeCustom:
		if err := applyCustom(l, req); err != nil {
			return err
		}
	case TypeMCP:
		if err := v.authorizeMCP(ctx, workflow, l, req); err != nil {
			return err
		}
	case TypeMTLS, TypeNone:
		// The TLS client certificate rides on the transport (Client).
	default:
		return fmt.Errorf("credential %q of type %s cannot authenticate outgoing requests: %w", name, l.rec.Type, weft.ErrInvalid)
	}
	return nil
}

// applyCustom fills the headers and query templates of a custom credential.
func applyCustom(l *loaded, req *http.Request) error {
	fill := func(tpl string) string {
		for k, val := range l.data {
			if s, ok := val.(string); ok {
				tpl = strings.ReplaceAll(tpl, "{{ "+k+" }}", s)
				tpl = strings.ReplaceAll(tpl, "{{"+k+"}}", s)
			}
		}
		return tpl
	}
	if hs, ok := l.data["headers"].(map[string]any); ok {
		for k, t := range hs {
			s, _ := t.(string)
			req.Header.Set(k, fill(s))
		}
	}
	if qs, ok := l.data["query"].(map[string]any); ok {
		q := req.URL.Query()
		for k, t := range qs {
			s, _ := t.(string)
			q.Set(k, fill(s))
		}
		req.URL.RawQuery = q.Encode()
	}
	return nil
}

// Client returns the HTTP client a request with credential name must use:
// base itself, or a client whose transport presents an mtls credential's
// client certificate and/or may reach the connection's allow_private_net
// (built once per credential version and cached).
func (v *Vault) Client(ctx context.Context, workflow, name string, base *http.Client) (*http.Client, error) {
	if _, ok := v.source(name); ok {
		return base, nil
	}
	l, err := v.load(ctx, workflow, name)
	if err != nil {
		return nil, err
	}
	if l.rec.Type != TypeMTLS && len(l.settings.AllowPrivateNet) == 0 {
		return base, nil
	}
	allow, err := netguard.ParseCIDRs(l.settings.AllowPrivateNet)
	if err != nil {
		return nil, fmt.Errorf("credential %q: allow_private_net: %w", name, err)
	}
	cacheKey := name + "@" + l.rec.UpdatedAt.Format(time.RFC3339Nano)
	v.mu.Lock()
	tc := v.tokens["mtls:"+name]
	v.mu.Unlock()
	if tc != nil && tc.mtlsKey == cacheKey && tc.client != nil {
		c := *base
		c.Transport = tc.client.Transport
		return &c, nil
	}
	t := v.cfg.Transport(allow)
	if l.rec.Type == TypeMTLS {
		cert, err := tls.X509KeyPair([]byte(l.str("cert")), []byte(l.str("key")))
		if err != nil {
			return nil, fmt.Errorf("credential %q: client certificate and key do not load: %w", name, errors.Join(weft.ErrInvalid, errors.New(v.red.String(err.Error()))))
		}
		t.TLSClientConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12, ServerName: l.str("server_name")}
		if ca := l.str("ca"); ca != "" {
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM([]byte(ca)) {
				return nil, fmt.Errorf("credential %q: field ca holds no PEM certificate: %w", name, weft.ErrInvalid)
			}
			t.TLSClientConfig.RootCAs = pool
		}
	}
	c := *base
	c.Transport = t
	v.mu.Lock()
	v.tokens["mtls:"+name] = &tokenCache{mtlsKey: cacheKey, client: &c}
	v.mu.Unlock()
	return &c, nil
}
