package credential

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/weftworks/weft"
)

// TypeOAuth2JWTBearer is the JWT bearer grant of RFC 7523: Weft signs an
// assertion with the credential's private key and trades it for an access
// token (Salesforce server-to-server, Google service accounts).
const TypeOAuth2JWTBearer = "oauth2_jwt_bearer"

// jwtBearerGrant is the grant_type of RFC 7523 section 2.1.
const jwtBearerGrant = "urn:ietf:params:oauth:grant-type:jwt-bearer"

// assertionTTL is the lifetime of an assertion: Salesforce refuses more
// than 3 minutes.
const assertionTTL = 3 * time.Minute

// jwtBearerToken signs an assertion and trades it for an access token. It
// returns the token and every field of the answer.
func (v *Vault) jwtBearerToken(ctx context.Context, l *loaded) (*oauth2.Token, map[string]any, error) {
	name := l.rec.Name
	alg := l.str("algorithm")
	if alg == "" {
		alg = "RS256"
	}
	now := v.cfg.Now()
	var jti [12]byte
	_, _ = rand.Read(jti[:])
	aud := l.str("audience")
	if aud == "" {
		aud = l.str("token_url")
	}
	claims := map[string]any{"iss": l.str("client_id"), "aud": aud, "iat": now.Unix(), "exp": now.Add(assertionTTL).Unix(), "jti": hex.EncodeToString(jti[:])}
	if s := l.str("subject"); s != "" {
		claims["sub"] = s
	}
	if s := l.str("scopes"); s != "" {
		claims["scope"] = strings.Join(splitScopes(s), " ") // Google reads scopes from the assertion
	}
	header := map[string]any{"alg": alg, "typ": "JWT"}
	if kid := l.str("key_id"); kid != "" {
		header["kid"] = kid
	}
	assertion, err := SignJWT(alg, []byte(l.str("key")), header, claims)
	if err != nil {
		return nil, nil, fmt.Errorf("credential %q: signing the assertion: %w", name, err)
	}
	v.red.Add(assertion)
	form := url.Values{"grant_type": {jwtBearerGrant}, "assertion": {assertion}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, l.str("token_url"), strings.NewReader(form.Encode()))
	if err != nil {
		return nil, nil, fmt.Errorf("credential %q: token_url: %w", name, weft.ErrInvalid)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := v.cfg.HTTP.Do(req)
	if err != nil {
		return nil, nil, &retryableTokenError{fmt.Errorf("credential %q: fetching a token: %s", name, v.red.String(err.Error()))}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, nil, &retryableTokenError{fmt.Errorf("credential %q: reading the token answer: %w", name, err)}
	}
	var fields map[string]any
	_ = json.Unmarshal(body, &fields)
	if resp.StatusCode/100 != 2 {
		msg := fmt.Sprintf("%d", resp.StatusCode)
		if e, _ := fields["error"].(string); e != "" {
			msg += " " + e
			if d, _ := fields["error_description"].(string); d != "" {
				msg += ": " + d
			}
		}
		msg = v.red.String(msg)
		if resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests {
			return nil, nil, &retryableTokenError{fmt.Errorf("credential %q: fetching a token: %s", name, msg)}
		}
		return nil, nil, fmt.Errorf("credential %q: the token endpoint refused the assertion: %s: %w", name, msg, weft.ErrInvalid)
	}
	access, _ := fields["access_token"].(string)
	if access == "" {
		return nil, nil, fmt.Errorf("credential %q: the token endpoint answered without an access_token: %w", name, weft.ErrInvalid)
	}
	tok := &oauth2.Token{AccessToken: access, TokenType: "Bearer"}
	if n, ok := fields["expires_in"].(float64); ok && n > 0 {
		tok.Expiry = now.Add(time.Duration(n) * time.Second)
	}
	v.learnToken(tok)
	return tok, fields, nil
}
