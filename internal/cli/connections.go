package cli

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"path/filepath"

	"github.com/weftworks/weft/circuit"
	"github.com/weftworks/weft/credential"
	"github.com/weftworks/weft/metrics"
	"github.com/weftworks/weft/netguard"
	"github.com/weftworks/weft/ratelimit"
	"github.com/weftworks/weft/store"
)

// connectionFlags are serve's flags for the outside world.
type connectionFlags struct {
	allowPrivateNet, masterKeyFile string
}

func (c *connectionFlags) register(fs *flagSet) {
	fs.stringVar(&c.allowPrivateNet, "allow-private-net", "WEFT_ALLOW_PRIVATE_NET", "",
		"comma-separated CIDRs that outbound HTTP may reach although they are private, loopback or link-local (e.g. 10.20.0.0/16)")
	fs.stringVar(&c.masterKeyFile, "master-key-file", "WEFT_MASTER_KEY_FILE", "",
		"file holding the credential master key, created (mode 0600) on first start (default <data>/master.key; WEFT_MASTER_KEY wins)")
}

// outside is the wiring of credentials, SSRF guard, limiter and redaction.
type outside struct {
	vault    *credential.Vault
	keyring  *credential.Keyring
	limiter  *ratelimit.Limiter
	guard    *netguard.Guard
	redactor *credential.Redactor
	client   *http.Client
	logger   *slog.Logger
	breakers *circuit.Breakers
}

// masterKeySource says where serve and the credentials command read the key.
func masterKeySource(env *Env, file, data string) credential.KeySource {
	if file == "" {
		file = filepath.Join(data, "master.key")
	}
	return credential.KeySource{Env: env.Getenv("WEFT_MASTER_KEY"), EnvOld: env.Getenv("WEFT_MASTER_KEY_OLD"), File: file}
}

// setupOutside builds the vault, the guarded HTTP client and the limiter.
// Every log line goes through the redactor from here on.
func setupOutside(env *Env, cf connectionFlags, data, kind string, st store.Store, logger *slog.Logger, m *metrics.Metrics) (*outside, error) {
	allow, err := netguard.ParseCIDRs(splitList(cf.allowPrivateNet))
	if err != nil {
		return nil, fmt.Errorf("--allow-private-net: %w", err)
	}
	kr, created, err := credential.LoadKeyring(masterKeySource(env, cf.masterKeyFile, data))
	if err != nil {
		return nil, err
	}
	red := credential.NewRedactor()
	logger = slog.New(red.Handler(logger.Handler()))
	if created {
		logger.Info("created the credential master key", "key_id", kr.PrimaryID(), "file", masterKeySource(env, cf.masterKeyFile, data).File)
	}
	guard := netguard.New(netguard.Config{Allow: allow})
	var kv credential.KVReader
	if env.Getenv("VAULT_ADDR") != "" {
		hv, err := credential.NewHashiVault(env.Getenv("VAULT_ADDR"), env.Getenv("VAULT_TOKEN"))
		if err != nil {
			return nil, err
		}
		kv = hv
	}
	client := guard.Client()
	vault, err := credential.New(credential.Config{
		Store: st, Keyring: kr, HTTP: client, Redactor: red, Logger: logger, KV: kv,
		Transport: func(extra []netip.Prefix) *http.Transport { return guard.BaseTransport(extra) },
		Dial:      guard.Dialer,
	})
	if err != nil {
		return nil, err
	}
	var backend ratelimit.Backend = ratelimit.NewMemory()
	if kind == "postgres" {
		backend = ratelimit.Shared{S: st} // one budget for every process
	}
	limiter, err := ratelimit.New(ratelimit.Config{Backend: backend, Registerer: m.Registry,
		Limits: func(ctx context.Context, workflow, conn string) (ratelimit.Limits, error) {
			s, err := vault.StoredSettings(ctx, workflow, conn)
			if err != nil {
				return ratelimit.Limits{}, err
			}
			return s.Limits.RateLimits(), nil
		}})
	if err != nil {
		return nil, err
	}
	return &outside{keyring: kr, vault: vault, limiter: limiter, guard: guard, redactor: red, client: client, logger: logger,
		breakers: newBreakers(m, kind, st)}, nil
}

// newBreakers builds the per-host circuit breakers, visible in metrics. On
// PostgreSQL they share open circuits with every process (App.Start runs
// the sync).
func newBreakers(m *metrics.Metrics, kind string, st store.Store) *circuit.Breakers {
	cfg := circuit.Config{OnOpen: m.CircuitOpened}
	if kind == "postgres" {
		cfg.Shared = st
	}
	b := circuit.New(cfg)
	m.WatchCircuits(b)
	return b
}
