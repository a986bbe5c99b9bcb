package credential

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/step"
	"github.com/weftworks/weft/store"
)

// ErrDenied means a workflow or host may not use a credential (least
// privilege). It wraps weft.ErrInvalid: using a credential where it is not
// allowed is a validation error, never retried.
var ErrDenied = fmt.Errorf("credential not allowed here: %w", weft.ErrInvalid)

// Settings are a credential's non-secret settings, stored in the clear.
type Settings struct {
	Description string `json:"description,omitempty"`
	// Workflows allowed to use the credential; "*" (the default) is any.
	Workflows []string `json:"workflows,omitempty"`
	// Hosts the credential may be sent to: "api.example.com",
	// "*.example.com" or "*" (the default, any host).
	Hosts []string `json:"hosts,omitempty"`
	// Limits throttle every step that uses the connection.
	Limits *Limits `json:"limits,omitempty"`
	// Retry holds the connection's retry defaults for http.request.
	Retry *Retry `json:"retry,omitempty"`
	// AllowPrivateNet lists CIDRs this connection may reach even though the
	// SSRF guard refuses them by default (an internal API).
	AllowPrivateNet []string `json:"allow_private_net,omitempty"`
	// BaseURL replaces an app connector's base URL for calls through this
	// connection: GitHub Enterprise, a sandbox, a local fake.
	BaseURL string `json:"base_url,omitempty"`
}

// Limits are a connection's rate limits, written like "10/s", "600/min".
type Limits struct {
	Requests    string `json:"requests,omitempty"`
	Concurrency int    `json:"concurrency,omitempty"`
	Tokens      string `json:"tokens,omitempty"`
}

// Retry are a connection's retry defaults; a step's own settings win.
type Retry struct {
	MaxAttempts int           `json:"max_attempts,omitempty"`
	Initial     weft.Duration `json:"initial,omitempty"`
	Max         weft.Duration `json:"max,omitempty"`
	// IdempotencyHeader lets non-idempotent methods (POST, PATCH) be
	// retried: the step's stable key goes in this header.
	IdempotencyHeader string `json:"idempotency_header,omitempty"`
	// Breaker opens the circuit to a host after this many consecutive
	// failures (0: no breaker).
	Breaker int `json:"breaker,omitempty"`
}

// Policy is the retry policy the defaults describe, completed from
// weft.DefaultRetry, or nil when they set no policy (only a header or a
// breaker).
func (r *Retry) Policy() *weft.RetryPolicy {
	if r == nil || (r.MaxAttempts == 0 && r.Initial == 0 && r.Max == 0) {
		return nil
	}
	p := weft.DefaultRetry()
	if r.MaxAttempts > 0 {
		p.MaxAttempts = r.MaxAttempts
	}
	if r.Initial > 0 {
		p.Initial = r.Initial
	}
	if r.Max > 0 {
		p.Max = r.Max
	}
	return &p
}

func (r *Retry) validate() error {
	switch {
	case r.MaxAttempts < 0:
		return fmt.Errorf("retry.max_attempts must be 1 or more (0 keeps the default of %d)", weft.DefaultRetry().MaxAttempts)
	case r.Initial < 0, r.Max < 0:
		return fmt.Errorf("retry.initial and retry.max must not be negative")
	case r.Breaker < 0:
		return fmt.Errorf("retry.breaker must not be negative (0: no circuit breaker)")
	case r.IdempotencyHeader != "" && strings.ContainsAny(r.IdempotencyHeader, " \t\r\n:()<>@,;\"/[]?={}"):
		return fmt.Errorf("retry.idempotency_header: %q is not a valid header name", r.IdempotencyHeader)
	}
	return nil
}

// Input is what PUT /api/v1/credentials/{name} and `weft credentials set`
// give.
type Input struct {
	Type string         `json:"type"`
	Data map[string]any `json:"data"`
	Settings
}

// Metadata is what reads return: never a value.
type Metadata struct {
	Name      string    `json:"name"`
	Type      string    `json:"type"`
	Fields    []string  `json:"fields"` // names of the fields that are set
	KeyID     string    `json:"key_id"` // master key the values are sealed with
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	Settings
}

// Secret is one active webhook signing secret. ID tells rotations apart (it
// is a fingerprint, not the value).
type Secret struct {
	ID    string
	Value []byte
}

// Config configures a Vault.
type Config struct {
	Store   store.Credentials
	Keyring *Keyring
	// HTTP is the client used for token endpoints (the SSRF-guarded one in
	// production). Default: http.DefaultClient.
	HTTP *http.Client
	// Transport builds the base transport of mTLS clients and of connections
	// with allow_private_net (so they keep the SSRF guard, with those extra
	// prefixes allowed). Default: http.DefaultTransport's clone.
	Transport func(allowPrivate []netip.Prefix) *http.Transport
	// Dial opens TCP connections for connectors that are not HTTP
	// (databases, brokers), allowing those extra prefixes (the guard's
	// Dialer in production). Default: the DialContext of Transport's.
	Dial func(allowPrivate []netip.Prefix) func(ctx context.Context, network, addr string) (net.Conn, error)
	// LookupEnv resolves env: references; default os.LookupEnv.
	LookupEnv func(string) (string, bool)
	// KV resolves vault: references; nil makes them an error.
	KV KVReader
	// Redactor learns every value handed out; default a new one.
	Redactor *Redactor
	Logger   *slog.Logger
	Now      func() time.Time
}

// Vault is the credential service: admin operations for the API and CLI,
// and step.Connections for steps.
type Vault struct {
	cfg Config
	red *Redactor

	mu      sync.Mutex
	tokens  map[string]*tokenCache // oauth state per credential
	status  map[string]*Status
	sources map[string]Source // by name prefix, see AddSource
}

var _ step.Connections = (*Vault)(nil)

// New builds a Vault.
func New(cfg Config) (*Vault, error) {
	if cfg.Store == nil || cfg.Keyring == nil {
		return nil, errors.New("credential vault: Store and Keyring are required")
	}
	if cfg.HTTP == nil {
		cfg.HTTP = http.DefaultClient
	}
	if cfg.Transport == nil {
		cfg.Transport = func([]netip.Prefix) *http.Transport { return http.DefaultTransport.(*http.Transport).Clone() }
	}
	if cfg.Dial == nil {
		transport := cfg.Transport
		cfg.Dial = func(allow []netip.Prefix) func(context.Context, string, string) (net.Conn, error) {
			return transport(allow).DialContext
		}
	}
	if cfg.LookupEnv == nil {
		cfg.LookupEnv = os.LookupEnv
	}
	if cfg.Redactor == nil {
		cfg.Redactor = NewRedactor()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Vault{cfg: cfg, red: cfg.Redactor, tokens: map[string]*tokenCache{}, status: map[string]*Status{}}, nil
}

// Redactor returns the vault's redactor.
func (v *Vault) Redactor() *Redactor { return v.cfg.Redactor }

// Put creates or replaces a credential.
func (v *Vault) Put(ctx context.Context, name string, in Input) (Metadata, error) {
	if !weft.NamePattern.MatchString(name) {
		return Metadata{}, fmt.Errorf("credential name %q: use lower-case letters, digits and dashes: %w", name, weft.ErrInvalid)
	}
	if in.Data == nil {
		in.Data = map[string]any{}
	}
	if err := validateData(in.Type, in.Data); err != nil {
		return Metadata{}, fmt.Errorf("%w: %w", err, weft.ErrInvalid)
	}
	if err := in.Settings.validate(); err != nil {
		return Metadata{}, fmt.Errorf("%w: %w", err, weft.ErrInvalid)
	}
	plain, err := json.Marshal(in.Data)
	if err != nil {
		return Metadata{}, fmt.Errorf("encoding credential: %w", err)
	}
	sealed, err := v.cfg.Keyring.Seal(plain, []byte(name))
	if err != nil {
		return Metadata{}, err
	}
	settings, _ := json.Marshal(in.Settings)
	rec, err := v.cfg.Store.PutCredential(ctx, store.CredentialRecord{Name: name, Type: in.Type, Sealed: sealed, Settings: settings})
	if err != nil {
		return Metadata{}, fmt.Errorf("storing credential %q: %w", name, err)
	}
	v.forget(name)
	return metadataOf(rec, in.Data), nil
}

// Delete removes a credential.
func (v *Vault) Delete(ctx context.Context, name string) error {
	if err := v.cfg.Store.DeleteCredential(ctx, name); err != nil {
		return fmt.Errorf("deleting credential %q: %w", name, err)
	}
	v.forget(name)
	return nil
}

func (v *Vault) forget(name string) {
	v.mu.Lock()
	delete(v.tokens, name)
	v.mu.Unlock()
}

// Metadata returns a credential's metadata.
func (v *Vault) Metadata(ctx context.Context, name string) (Metadata, error) {
	rec, err := v.cfg.Store.GetCredential(ctx, name)
	if err != nil {
		return Metadata{}, readError(name, err)
	}
	data, err := v.open(rec)
	if err != nil {
		return Metadata{}, err
	}
	return metadataOf(rec, data), nil
}

// List returns every credential's metadata, ordered by name.
func (v *Vault) List(ctx context.Context) ([]Metadata, error) {
	recs, err := v.cfg.Store.ListCredentials(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing credentials: %w", err)
	}
	out := make([]Metadata, 0, len(recs))
	for _, rec := range recs {
		data, err := v.open(rec)
		if err != nil {
			data = nil // still list it; its key id tells what is wrong
		}
		out = append(out, metadataOf(rec, data))
	}
	return out, nil
}

func metadataOf(rec store.CredentialRecord, data map[string]any) Metadata {
	m := Metadata{Name: rec.Name, Type: rec.Type, KeyID: SealedKeyID(rec.Sealed), CreatedAt: rec.CreatedAt, UpdatedAt: rec.UpdatedAt, Fields: []string{}}
	_ = json.Unmarshal(rec.Settings, &m.Settings)
	for k := range data {
		m.Fields = append(m.Fields, k)
	}
	sort.Strings(m.Fields)
	m.Settings.defaults()
	return m
}

func (s *Settings) defaults() {
	if len(s.Workflows) == 0 {
		s.Workflows = []string{"*"}
	}
	if len(s.Hosts) == 0 {
		s.Hosts = []string{"*"}
	}
}

func (s *Settings) validate() error {
	for _, w := range s.Workflows {
		if w != "*" && !weft.NamePattern.MatchString(w) {
			return fmt.Errorf("workflows: %q is not a workflow name or *", w)
		}
	}
	for _, h := range s.Hosts {
		if h == "" || strings.ContainsAny(h, "/ :") {
			return fmt.Errorf("hosts: %q must be a host name like api.example.com or *.example.com", h)
		}
	}
	if s.Limits != nil {
		if err := s.Limits.Validate(); err != nil {
			return err
		}
	}
	if s.Retry != nil {
		if err := s.Retry.validate(); err != nil {
			return err
		}
	}
	if err := validCIDRs(s.AllowPrivateNet); err != nil {
		return fmt.Errorf("allow_private_net: %w", err)
	}
	if s.BaseURL != "" {
		u, err := url.Parse(s.BaseURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
			return fmt.Errorf("base_url: %q must be an absolute http(s) URL without user info, like https://github.example.com/api/v3", s.BaseURL)
		}
	}
	return nil
}

// open decrypts a record's fields.
func (v *Vault) open(rec store.CredentialRecord) (map[string]any, error) {
	plain, err := v.cfg.Keyring.Open(rec.Sealed, []byte(rec.Name))
	if err != nil {
		return nil, fmt.Errorf("credential %q: %w", rec.Name, err)
	}
	var data map[string]any
	if err := json.Unmarshal(plain, &data); err != nil {
		return nil, fmt.Errorf("credential %q: decoding: %w", rec.Name, err)
	}
	return data, nil
}

// loaded is a credential ready for use: fields decrypted and references
// resolved.
type loaded struct {
	rec      store.CredentialRecord
	settings Settings
	data     map[string]any
}

func (l *loaded) str(k string) string {
	s, _ := l.data[k].(string)
	return s
}

// readError says once which credential could not be read. The store's
// errors already name it, so they are not wrapped in the name again (a
// missing credential used to read `credential "x": credential "x": not
// found`); a missing one says how to fix it.
func readError(name string, err error) error {
	if errors.Is(err, weft.ErrNotFound) {
		return fmt.Errorf("credential %q does not exist: create it on the Credentials page (or PUT /api/v1/credentials/%s), "+
			"or correct the name in the step: %w", name, name, weft.ErrNotFound)
	}
	return err
}

// load reads, checks and resolves a credential for workflow.
func (v *Vault) load(ctx context.Context, workflow, name string) (*loaded, error) {
	rec, err := v.cfg.Store.GetCredential(ctx, name)
	if err != nil {
		return nil, readError(name, err)
	}
	l := &loaded{rec: rec}
	_ = json.Unmarshal(rec.Settings, &l.settings)
	l.settings.defaults()
	if workflow != "" && !slices.Contains(l.settings.Workflows, "*") && !slices.Contains(l.settings.Workflows, workflow) {
		return nil, fmt.Errorf("workflow %q may not use credential %q (allowed: %s): %w", workflow, name, strings.Join(l.settings.Workflows, ", "), ErrDenied)
	}
	data, err := v.open(rec)
	if err != nil {
		return nil, err
	}
	if err := v.resolve(ctx, name, data); err != nil {
		return nil, err
	}
	v.learnDatabase(rec.Type, data)
	l.data = data
	return l, nil
}

// StoredSettings returns a connection's settings as stored, after checking
// that workflow may use it.
func (v *Vault) StoredSettings(ctx context.Context, workflow, name string) (Settings, error) {
	s, _, err := v.storedSettings(ctx, workflow, name)
	return s, err
}

// storedSettings is StoredSettings that also returns the record read.
func (v *Vault) storedSettings(ctx context.Context, workflow, name string) (Settings, store.CredentialRecord, error) {
	rec, err := v.cfg.Store.GetCredential(ctx, name)
	if err != nil {
		return Settings{}, rec, readError(name, err)
	}
	var s Settings
	_ = json.Unmarshal(rec.Settings, &s)
	s.defaults()
	if workflow != "" && !slices.Contains(s.Workflows, "*") && !slices.Contains(s.Workflows, workflow) {
		return Settings{}, rec, fmt.Errorf("workflow %q may not use connection %q: %w", workflow, name, ErrDenied)
	}
	return s, rec, nil
}

// Get implements step.Credentials: a credential's decrypted fields, with
// arrays and objects as JSON text.
func (v *Vault) Get(ctx context.Context, workflow, name string) (step.Credential, error) {
	if src, ok := v.source(name); ok {
		return v.fromSource(ctx, src, workflow, name)
	}
	l, err := v.load(ctx, workflow, name)
	if err != nil {
		return step.Credential{}, err
	}
	out := step.Credential{Name: name, Type: l.rec.Type, Data: map[string]string{}}
	for k, val := range l.data {
		switch x := val.(type) {
		case string:
			out.Data[k] = x
		default:
			b, _ := json.Marshal(x)
			out.Data[k] = string(b)
		}
	}
	return out, nil
}

// WebhookSecrets returns every active secret of a webhook_secret credential
// that workflow may use: `secret`, then each of `secrets`, in order.
func (v *Vault) WebhookSecrets(ctx context.Context, credential, workflow string) ([]Secret, error) {
	l, err := v.load(ctx, workflow, credential)
	if err != nil {
		return nil, err
	}
	if l.rec.Type != TypeWebhookSecret {
		return nil, fmt.Errorf("credential %q is of type %s, not webhook_secret: %w", credential, l.rec.Type, weft.ErrInvalid)
	}
	var vals []string
	if s := l.str("secret"); s != "" {
		vals = append(vals, s)
	}
	if list, ok := l.data["secrets"].([]any); ok {
		for _, it := range list {
			if s, ok := it.(string); ok && s != "" && !slices.Contains(vals, s) {
				vals = append(vals, s)
			}
		}
	}
	if len(vals) == 0 {
		return nil, fmt.Errorf("credential %q holds no secret: %w", credential, weft.ErrInvalid)
	}
	out := make([]Secret, len(vals))
	for i, s := range vals {
		out[i] = Secret{ID: KeyID([]byte(s)), Value: []byte(s)}
	}
	return out, nil
}

// hostAllowed checks host against the credential's allowed hosts.
func (l *loaded) hostAllowed(host string) error {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	for _, p := range l.settings.Hosts {
		p = strings.ToLower(p)
		switch {
		case p == "*", p == host:
			return nil
		case strings.HasPrefix(p, "*.") && strings.HasSuffix(host, p[1:]):
			return nil
		}
	}
	return fmt.Errorf("credential %q may not be sent to host %q (allowed: %s): %w", l.rec.Name, host, strings.Join(l.settings.Hosts, ", "), ErrDenied)
}
