package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"github.com/weftworks/weft/api"
	sqlstep "github.com/weftworks/weft/connectors/sql"
	"github.com/weftworks/weft/connectors/standard"
	"github.com/weftworks/weft/credential"
	"github.com/weftworks/weft/engine"
	"github.com/weftworks/weft/events"
	"github.com/weftworks/weft/metrics"
	"github.com/weftworks/weft/step"
	"github.com/weftworks/weft/store"
	"github.com/weftworks/weft/trigger/poll"
	"github.com/weftworks/weft/trigger/queue"
	"github.com/weftworks/weft/trigger/schedule"
	"github.com/weftworks/weft/trigger/webhook"
	"github.com/weftworks/weft/trigger/webhook/register"
	"github.com/weftworks/weft/web"
)

// AppConfig is what Wire needs to build the application: serve's flags,
// run's throw-away store, or a test's temporary directory. Zero values
// take serve's defaults.
type AppConfig struct {
	Env *Env
	// Data is the data directory (SQLite database, master key, admin
	// token); DB a postgres:// URL or a SQLite file (default
	// <Data>/weft.db); SQLiteSync FULL (default) or NORMAL.
	Data, DB, SQLiteSync string
	// Workflows is a directory of workflow files stored at start; Seed
	// installs the example workflow into an empty database.
	Workflows string
	Seed      bool
	// LogLevel and LogFormat as --log-level and --log-format (default info,
	// json); the log goes to Env.Stderr through the redactor.
	LogLevel, LogFormat string
	// EnvAllow lists the environment variables expressions may read.
	EnvAllow []string
	// AllowPrivateNet lists CIDRs outbound HTTP may reach although they are
	// private (--allow-private-net, comma-separated).
	AllowPrivateNet string
	MasterKeyFile   string
	TrustedProxies  []netip.Prefix
	AIConfig        string
	Retention       time.Duration
	Lease           time.Duration
	MaxRunning      int
	// MaxSearchScan bounds the rows one trigger-data search of the
	// execution list reads (--max-search-scan; 0: the API's default).
	MaxSearchScan int
	// Limits guard against workflows that multiply work (--max-call-depth,
	// --max-for-each-items, --quarantine-after); zero takes the engine's
	// defaults.
	Limits Limits
	// SQLiteCheckEvery is how often SQLite's quick_check runs after the
	// one at start (--sqlite-check-every; 0: at start only).
	SQLiteCheckEvery time.Duration
	// PollInterval is how often the engine looks for due work (0: the
	// engine's default).
	PollInterval time.Duration
	// SQL configures sql.query and sql.exec (--sql-sqlite-dir,
	// --sql-max-rows).
	SQL SQLConfig
	// Events sets the resume URLs' address and the event buffer's bounds
	// (zero: http://127.0.0.1:8080 and the defaults of events.Limits).
	Events EventConfig
}

// App is the whole application, wired once for weft serve, weft run and
// the tests, so every one of them runs exactly the production wiring.
type App struct {
	Store    store.Store
	Kind     string // "sqlite" or "postgres"
	Registry *step.Registry
	Vault    *credential.Vault
	Engine   *engine.Engine
	Metrics  *metrics.Metrics
	// Handler serves the API, the UI, webhooks and the AI gateway.
	Handler http.Handler
	// Logger redacts every known secret.
	Logger *slog.Logger

	token adminTokenResult
	hooks *webhook.Handler
	sched *schedule.Scheduler
	evts  *events.Service
	subs  *subscriptionHook
	// Queues runs the queue triggers; Publishers are queue.publish's
	// broker clients, closed by Close.
	Queues *queue.Manager
	// Polls runs the polling triggers (on.poll).
	Polls      *poll.Poller
	registrar  *register.Registrar
	publishers []queue.Publisher
	raw        store.Store // the store as opened, for Close
	sql        *sqlstep.Service

	integrity  *integrityCheck // SQLite only; nil on PostgreSQL
	checkEvery time.Duration
}

// Wire opens the store and builds everything on it: metrics, vault, SSRF
// guard, limiter, circuit breakers, AI service, step registry, engine,
// webhooks, subscriptions, scheduler and the API handler. Nothing runs
// until Start. Close releases the store.
func Wire(ctx context.Context, cfg AppConfig) (_ *App, err error) {
	if cfg.Env == nil {
		return nil, errors.New("wire: AppConfig.Env is required")
	}
	if cfg.LogLevel == "" {
		cfg.LogLevel = "info"
	}
	if cfg.LogFormat == "" {
		cfg.LogFormat = "json"
	}
	if cfg.MaxRunning == 0 {
		cfg.MaxRunning = 1024
	}
	logger, err := newLogger(cfg.Env, cfg.LogLevel, cfg.LogFormat)
	if err != nil {
		return nil, err
	}
	raw, kind, err := openStore(ctx, cfg.DB, cfg.Data, cfg.SQLiteSync)
	if err != nil {
		return nil, err
	}
	a := &App{raw: raw, Kind: kind, subs: &subscriptionHook{}, checkEvery: cfg.SQLiteCheckEvery}
	defer func() {
		if err != nil {
			raw.Close()
		}
	}()
	if a.token, err = adminToken(ctx, cfg.Env, raw, cfg.Data); err != nil {
		return nil, err
	}
	a.Metrics = metrics.New()
	st := metrics.InstrumentStore(raw, a.Metrics)
	a.Store = st
	out, err := setupOutside(cfg.Env, connectionFlags{allowPrivateNet: cfg.AllowPrivateNet, masterKeyFile: cfg.MasterKeyFile}, cfg.Data, kind, st, logger, a.Metrics)
	if err != nil {
		return nil, err
	}
	a.Vault, a.Logger = out.vault, out.logger
	a.integrity = newIntegrityCheck(raw, a.Logger)
	aiCfg, err := loadAIConfig(cfg.Env, cfg.AIConfig)
	if err != nil {
		return nil, err
	}
	aiSvc, err := newAIService(aiCfg, st, a.Metrics, a.Logger, out.client, out.breakers, cfg.Workflows)
	if err != nil {
		return nil, err
	}
	if a.sql, err = newSQLService(cfg.SQL, a); err != nil {
		return nil, err
	}
	a.Registry = step.NewRegistry()
	a.publishers = queuePublishers()
	if err := standard.RegisterWith(a.Registry, standard.Options{AI: aiSvc, Breakers: out.breakers, SQL: a.sql, Publishers: a.publishers}); err != nil {
		return nil, fmt.Errorf("registering built-in steps: %w", err)
	}
	secret, err := resumeSecret(ctx, st)
	if err != nil {
		return nil, err
	}
	registerURL := cfg.Events.RegisterURL
	if cfg.Events.PublicURL == "" {
		cfg.Events.PublicURL = "http://127.0.0.1:8080"
	}
	if a.evts, err = events.New(events.Config{Store: st, Logger: a.Logger, Secret: secret, BaseURL: cfg.Events.PublicURL,
		Limits: cfg.Events.Limits, Wake: func(ids []string) { a.Engine.WakeLocal(ids) }}); err != nil {
		return nil, err
	}
	a.Engine, err = engine.New(engine.Config{
		Store: st, Registry: a.Registry, Logger: a.Logger, Metrics: a.Metrics, Retention: cfg.Retention,
		MaxRunning: cfg.MaxRunning, Lease: cfg.Lease, EnvAllowlist: cfg.EnvAllow, PollInterval: cfg.PollInterval,
		HTTP: out.client, Connections: out.vault, Limiter: out.limiter, Redactor: out.redactor, Events: a.evts,
		OnFinish:     a.subs.onFinish,
		MaxCallDepth: cfg.Limits.MaxCallDepth, MaxForEachItems: cfg.Limits.MaxForEachItems, QuarantineAfter: cfg.Limits.QuarantineAfter,
	})
	if err != nil {
		return nil, err
	}
	if cfg.Workflows != "" {
		if err := loadWorkflowDir(ctx, cfg.Env, st, a.Registry, cfg.Workflows, a.Logger); err != nil {
			return nil, err
		}
	}
	if cfg.Seed {
		if err := seedExample(ctx, st, a.Registry, a.Logger); err != nil {
			return nil, err
		}
	}
	if a.hooks, err = webhook.New(webhook.Config{Engine: a.Engine, Store: st, Logger: a.Logger, Metrics: a.Metrics,
		Secrets: out.vault, TrustedProxies: cfg.TrustedProxies, HTTP: out.client, PublicURL: registerURL}); err != nil {
		return nil, err
	}
	if err := a.subs.setup(ctx, a.Engine, st, out.keyring, out.vault, a.Logger); err != nil {
		return nil, err
	}
	if a.Queues, err = newQueueManager(a.Engine, st, out.vault, cfg.Data, a.Metrics.Registry, a.Logger); err != nil {
		return nil, err
	}
	if a.Polls, err = newPoller(a.Engine, st, a.Registry, out, a.Metrics, a.Logger); err != nil {
		return nil, err
	}
	if a.registrar, err = newRegistrar(a.Engine, st, out, registerURL, a.Logger); err != nil {
		return nil, err
	}
	if a.sched, err = schedule.New(schedule.Config{Engine: a.Engine, Store: st, Logger: a.Logger}); err != nil {
		return nil, err
	}
	tokens := api.StaticToken(a.token.hash)
	handler, err := api.New(api.Config{
		Engine: a.Engine, Store: st, Registry: a.Registry, Logger: a.Logger, Metrics: a.Metrics,
		Tokens: tokens, Hooks: a.hooks, UI: web.Handler(), MaxSearchScan: cfg.MaxSearchScan,
		Credentials: out.vault, Limiter: out.limiter, Breakers: out.breakers, Subscriptions: a.subs.svc, Events: a.evts,
		ResumeVerifier: a.hooks,
		Triggers:       a.Queues,
		Polls:          a.Polls,
		Ready: func(ctx context.Context) error {
			if err := a.integrity.ready(); err != nil {
				return err
			}
			_, _, err := st.ListWorkflows(ctx, store.Page{Limit: 1})
			return err
		},
	})
	if err != nil {
		return nil, err
	}
	if a.Handler, err = withGateway(aiCfg, aiSvc, tokens, out.vault, a.Logger, handler); err != nil {
		return nil, err
	}
	return a, nil
}

// Start runs the engine, the scheduler, the webhook service and the
// subscription deliveries until stop is called (or ctx ends); stop waits
// for all of them.
func (a *App) Start(ctx context.Context) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{}, 8)
	n := 0
	run := func(f func(context.Context) error) {
		n++
		go func() { defer func() { done <- struct{}{} }(); _ = f(ctx) }()
	}
	run(a.Engine.Run)
	run(a.sched.Run)
	run(a.hooks.Run)
	run(a.subs.svc.Run)
	run(a.evts.Run)
	run(a.Queues.Run)
	run(a.Polls.Run)
	run(a.registrar.Run)
	if a.integrity != nil {
		run(func(ctx context.Context) error { a.integrity.run(ctx, a.checkEvery); return nil })
	}
	return func() {
		cancel()
		for range n {
			<-done
		}
	}
}

// Close releases the store, the sql steps' connection pools and the
// queue publishers. Call the
// stop function of Start first.
func (a *App) Close() error {
	if a.sql != nil {
		_ = a.sql.Close()
	}
	for _, p := range a.publishers {
		_ = p.Close()
	}
	return a.raw.Close()
}
