package credential

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/weftworks/weft"
)

// refreshEarly: an access token is replaced this long before it expires, so
// a request never leaves with a token that dies on the way.
const refreshEarly = 30 * time.Second

// pendingTTL bounds how long an authorization started with StartOAuth may
// take in the browser.
const pendingTTL = 15 * time.Minute

// tokenCache holds a credential's derived state in this process. Its mutex
// makes refreshes single-flight: concurrent callers wait for the one refresh
// in progress and then share its token.
type tokenCache struct {
	mu        sync.Mutex
	version   string
	tok       *oauth2.Token
	bad       string // an access token the provider rejected (401)
	refreshes int

	mtlsKey string
	client  *http.Client
}

// tokenState is what the store keeps (sealed) in a credential's Token.
type tokenState struct {
	Token *oauth2.Token `json:"token,omitempty"`
	// Fields are the non-secret fields of the token answers (Salesforce's
	// instance_url), merged across refreshes so none is ever lost.
	Fields          map[string]string `json:"fields,omitempty"`
	PendingState    string            `json:"pending_state,omitempty"`
	PendingVerifier string            `json:"pending_verifier,omitempty"`
	PendingExpiry   time.Time         `json:"pending_expiry,omitzero"`
	// MCP is what the authorization discovery of an mcp connection learned
	// (endpoints, resource, registered client).
	MCP *mcpAuth `json:"mcp,omitempty"`
	// PendingMCP is the discovery of an authorization in progress; it
	// replaces MCP when the callback completes.
	PendingMCP *mcpAuth `json:"pending_mcp,omitempty"`
}

func (v *Vault) cache(name string) *tokenCache {
	v.mu.Lock()
	defer v.mu.Unlock()
	tc := v.tokens[name]
	if tc == nil {
		tc = &tokenCache{}
		v.tokens[name] = tc
	}
	return tc
}

// Refreshes reports how many token refreshes this process made for a
// credential (for tests and the connections list).
func (v *Vault) Refreshes(name string) int {
	tc := v.cache(name)
	tc.mu.Lock()
	defer tc.mu.Unlock()
	return tc.refreshes
}

// Invalidate drops a credential's cached access token after the provider
// rejected it (a 401), so the next Authorize refreshes it.
func (v *Vault) Invalidate(ctx context.Context, workflow, name string) {
	tc := v.cache(name)
	tc.mu.Lock()
	defer tc.mu.Unlock()
	if tc.tok != nil {
		tc.bad = tc.tok.AccessToken
		tc.tok = nil
	}
}

func (v *Vault) oauthConfig(l *loaded) *oauth2.Config {
	style := oauth2.AuthStyleInHeader
	if l.str("auth_style") == "params" {
		style = oauth2.AuthStyleInParams
	}
	return &oauth2.Config{
		ClientID: l.str("client_id"), ClientSecret: l.str("client_secret"),
		Endpoint:    oauth2.Endpoint{AuthURL: l.str("auth_url"), TokenURL: l.str("token_url"), AuthStyle: style},
		RedirectURL: l.str("redirect_url"), Scopes: splitScopes(l.str("scopes")),
	}
}

func splitScopes(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ',' })
}

func (v *Vault) usable(t *oauth2.Token, bad string) bool {
	return t != nil && t.AccessToken != "" && t.AccessToken != bad &&
		(t.Expiry.IsZero() || t.Expiry.After(v.cfg.Now().Add(refreshEarly)))
}

// accessToken returns a valid access token for an OAuth 2.0 credential,
// refreshing it at most once at a time: in this process the cache's mutex
// lines callers up, and across processes sharing the store the stored token
// state is held by UpdateCredentialToken (a row lock on PostgreSQL) for the
// length of the refresh, so whoever waited reads the token the first one
// stored instead of refreshing again.
func (v *Vault) accessToken(ctx context.Context, l *loaded) (string, error) {
	name := l.rec.Name
	tc := v.cache(name)
	tc.mu.Lock()
	defer tc.mu.Unlock()
	version := l.rec.UpdatedAt.Format(time.RFC3339Nano)
	if tc.version != version {
		tc.version, tc.tok, tc.bad = version, nil, ""
	}
	if v.usable(tc.tok, tc.bad) {
		return tc.tok.AccessToken, nil
	}
	var tok *oauth2.Token
	err := v.cfg.Store.UpdateCredentialToken(ctx, name, func(sealed []byte) ([]byte, error) {
		st, err := v.openTokenState(name, sealed)
		if err != nil {
			return nil, err
		}
		if err := mcpBound(l, st); err != nil {
			return nil, err
		}
		if v.usable(st.Token, tc.bad) {
			// Another process (or an earlier run of this one) refreshed it.
			tok = st.Token
			v.learnToken(tok)
			return nil, nil
		}
		var fields map[string]string
		if tok, fields, err = v.refresh(ctx, l, st); err != nil {
			return nil, err
		}
		tc.refreshes++
		st.Token, st.Fields = tok, mergeFields(st.Fields, fields)
		return v.sealTokenState(name, st)
	})
	if err != nil {
		return "", err
	}
	tc.tok, tc.bad = tok, ""
	return tok.AccessToken, nil
}

// refresh fetches a new access token from the token endpoint: a client
// credentials grant, or the stored refresh token of an authorization-code
// credential.
func (v *Vault) refresh(ctx context.Context, l *loaded, st tokenState) (*oauth2.Token, map[string]string, error) {
	name, stored := l.rec.Name, st.Token
	hctx, answers := v.recordingContext(ctx)
	var tok *oauth2.Token
	var err error
	switch l.rec.Type {
	case TypeOAuth2JWTBearer:
		tok, raw, err := v.jwtBearerToken(ctx, l)
		if err != nil {
			return nil, nil, err
		}
		return tok, keptFields(raw), nil
	case TypeOAuth2Client:
		cc := clientcredentials.Config{ClientID: l.str("client_id"), ClientSecret: l.str("client_secret"),
			TokenURL: l.str("token_url"), Scopes: splitScopes(l.str("scopes"))}
		if l.str("auth_style") == "params" {
			cc.AuthStyle = oauth2.AuthStyleInParams
		} else {
			cc.AuthStyle = oauth2.AuthStyleInHeader
		}
		if aud := l.str("audience"); aud != "" {
			cc.EndpointParams = map[string][]string{"audience": {aud}}
		}
		tok, err = cc.Token(hctx)
	case TypeMCP:
		hc, cerr := v.Client(ctx, "", name, v.cfg.HTTP)
		if cerr != nil {
			return nil, nil, cerr
		}
		hctx, answers = v.recordingContextOn(ctx, hc)
		tok, err = v.refreshMCP(hctx, name, st)
		if err != nil {
			return nil, nil, err
		}
	case TypeOAuth2Code:
		if stored == nil || stored.RefreshToken == "" {
			return nil, nil, fmt.Errorf("credential %q has no token yet: open GET /api/v1/credentials/%s/oauth/start in a browser to authorize Weft: %w", name, name, weft.ErrInvalid)
		}
		old := *stored
		old.Expiry = v.cfg.Now().Add(-time.Hour) // force the refresh
		old.AccessToken = ""
		tok, err = v.oauthConfig(l).TokenSource(hctx, &old).Token()
		if err == nil && tok.RefreshToken == "" {
			tok.RefreshToken = stored.RefreshToken
		}
	default:
		return nil, nil, fmt.Errorf("credential %q is of type %s, not OAuth 2.0: %w", name, l.rec.Type, weft.ErrInvalid)
	}
	if err != nil {
		return nil, nil, v.tokenError(name, err)
	}
	v.onOurClock(tok)
	v.learnToken(tok)
	return tok, answers.fields(), nil
}

// tokenError turns a token endpoint failure into a step error: a
// rejected client is final, a provider outage is worth another attempt.
func (v *Vault) tokenError(name string, err error) error {
	msg := v.red.String(err.Error())
	var re *oauth2.RetrieveError
	if errors.As(err, &re) && re.Response != nil && re.Response.StatusCode < 500 && re.Response.StatusCode != 429 {
		return fmt.Errorf("credential %q: the token endpoint refused: %s: %w", name, msg, weft.ErrInvalid)
	}
	return &retryableTokenError{fmt.Errorf("credential %q: fetching a token: %s", name, msg)}
}

// retryableTokenError is recognised by step.IsRetryable via Temporary.
type retryableTokenError struct{ err error }

func (e *retryableTokenError) Error() string   { return e.err.Error() }
func (e *retryableTokenError) Unwrap() error   { return e.err }
func (e *retryableTokenError) Temporary() bool { return true }

// onOurClock restates a token's expiry (which x/oauth2 computes from the
// wall clock) on the vault's clock.
func (v *Vault) onOurClock(t *oauth2.Token) {
	if t != nil && !t.Expiry.IsZero() {
		t.Expiry = v.cfg.Now().Add(time.Until(t.Expiry))
	}
}

func (v *Vault) learnToken(t *oauth2.Token) {
	if t == nil {
		return
	}
	v.red.Add(t.AccessToken)
	v.red.Add(t.RefreshToken)
}

func (v *Vault) readTokenState(ctx context.Context, name string) (tokenState, error) {
	rec, err := v.cfg.Store.GetCredential(ctx, name)
	if err != nil {
		return tokenState{}, fmt.Errorf("credential %q: %w", name, err)
	}
	return v.openTokenState(name, rec.Token)
}

func (v *Vault) openTokenState(name string, sealed []byte) (tokenState, error) {
	var st tokenState
	if len(sealed) == 0 {
		return st, nil
	}
	plain, err := v.cfg.Keyring.Open(sealed, []byte(name+"#token"))
	if err != nil {
		return st, fmt.Errorf("credential %q token: %w", name, err)
	}
	if err := json.Unmarshal(plain, &st); err != nil {
		return st, fmt.Errorf("credential %q token: %w", name, err)
	}
	return st, nil
}

func (v *Vault) sealTokenState(name string, st tokenState) ([]byte, error) {
	plain, _ := json.Marshal(st)
	return v.cfg.Keyring.Seal(plain, []byte(name+"#token"))
}

func (v *Vault) writeTokenState(ctx context.Context, name string, st tokenState) error {
	sealed, err := v.sealTokenState(name, st)
	if err != nil {
		return err
	}
	if err := v.cfg.Store.SetCredentialToken(ctx, name, sealed); err != nil {
		return fmt.Errorf("storing token of credential %q: %w", name, err)
	}
	return nil
}

// StartOAuth begins the authorization-code flow of an oauth2_code
// credential: it returns the provider URL to send the user's browser to,
// with a PKCE challenge and a state that names the credential.
func (v *Vault) StartOAuth(ctx context.Context, name string) (string, error) {
	l, err := v.load(ctx, "", name)
	if err != nil {
		return "", err
	}
	var disc *mcpAuth
	switch {
	case l.rec.Type == TypeMCP && mcpOAuthOn(l):
		prev, err := v.readTokenState(ctx, name)
		if err != nil {
			prev = tokenState{}
		}
		if disc, err = v.discoverMCP(ctx, l, prev.MCP); err != nil {
			// The server's or the connection's setup is at fault, and the
			// person pressing Connect needs to read why.
			if errors.Is(err, weft.ErrInvalid) {
				return "", err
			}
			return "", fmt.Errorf("%s: %w", v.red.String(err.Error()), weft.ErrInvalid)
		}
	case l.rec.Type != TypeOAuth2Code:
		return "", fmt.Errorf("credential %q is of type %s; only oauth2_code credentials and mcp connections with oauth: true are authorized in the browser: %w", name, l.rec.Type, weft.ErrInvalid)
	}
	var b [16]byte
	_, _ = rand.Read(b[:])
	state := name + "." + hex.EncodeToString(b[:])
	verifier := oauth2.GenerateVerifier()
	// Under the token lock, so a refresh in another process is not undone.
	err = v.cfg.Store.UpdateCredentialToken(ctx, name, func(sealed []byte) ([]byte, error) {
		st, err := v.openTokenState(name, sealed)
		if err != nil {
			st = tokenState{}
		}
		st.PendingState, st.PendingVerifier, st.PendingExpiry = state, verifier, v.cfg.Now().Add(pendingTTL)
		st.PendingMCP = disc
		return v.sealTokenState(name, st)
	})
	if err != nil {
		return "", fmt.Errorf("storing the pending authorization of credential %q: %w", name, err)
	}
	if disc != nil {
		// RFC 8707: the token is for this MCP server and no other.
		return disc.config().AuthCodeURL(state, oauth2.S256ChallengeOption(verifier),
			oauth2.SetAuthURLParam("resource", disc.Resource)), nil
	}
	return v.oauthConfig(l).AuthCodeURL(state, oauth2.AccessTypeOffline, oauth2.S256ChallengeOption(verifier)), nil
}

// FinishOAuth completes the flow at the callback: it checks state, trades
// code (with the PKCE verifier) for tokens and stores them sealed. It returns
// the credential's name.
func (v *Vault) FinishOAuth(ctx context.Context, state, code string) (string, error) {
	name, _, ok := strings.Cut(state, ".")
	if !ok || code == "" {
		return "", fmt.Errorf("oauth callback: missing state or code: %w", weft.ErrInvalid)
	}
	l, err := v.load(ctx, "", name)
	if err != nil {
		return "", err
	}
	st, err := v.readTokenState(ctx, name)
	if err != nil {
		return "", err
	}
	if st.PendingState == "" || st.PendingState != state || v.cfg.Now().After(st.PendingExpiry) {
		return "", fmt.Errorf("oauth callback for %q: unknown or expired state; start again: %w", name, weft.ErrInvalid)
	}
	hctx, answers := v.recordingContext(ctx)
	cfg, opts := v.oauthConfig(l), []oauth2.AuthCodeOption{oauth2.VerifierOption(st.PendingVerifier)}
	disc := st.PendingMCP
	if disc != nil {
		hc, err := v.Client(ctx, "", name, v.cfg.HTTP)
		if err != nil {
			return "", err
		}
		hctx, answers = v.recordingContextOn(ctx, hc)
		cfg = disc.config()
		opts = append(opts, oauth2.SetAuthURLParam("resource", disc.Resource))
	} else if l.rec.Type == TypeMCP {
		return "", fmt.Errorf("oauth callback for %q: no discovery is pending; start again: %w", name, weft.ErrInvalid)
	}
	tok, err := cfg.Exchange(hctx, code, opts...)
	if err != nil {
		return "", v.tokenError(name, err)
	}
	v.onOurClock(tok)
	v.learnToken(tok)
	st = tokenState{Token: tok, Fields: answers.fields(), MCP: disc}
	if err := v.writeTokenState(ctx, name, st); err != nil {
		return "", err
	}
	tc := v.cache(name)
	tc.mu.Lock()
	tc.tok, tc.bad = tok, ""
	tc.version = l.rec.UpdatedAt.Format(time.RFC3339Nano)
	tc.mu.Unlock()
	return name, nil
}
