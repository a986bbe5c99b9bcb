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
	"github.com/weftworks/weft/audit"
	"github.com/weftworks/weft/circuit"
	sqlstep "github.com/weftworks/weft/connectors/sql"
	"github.com/weftworks/weft/connectors/standard"
	"github.com/weftworks/weft/credential"
	"github.com/weftworks/weft/engine"
	"github.com/weftworks/weft/events"
	"github.com/weftworks/weft/identity"
	"github.com/weftworks/weft/metrics"
	"github.com/weftworks/weft/step"
	"github.com/weftworks/weft/store"
	"github.com/weftworks/weft/tracing"
	"github.com/weftworks/weft/trigger/imap"
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
	// Connectors is the directory of imported app connectors (default
	// <Data>/connectors; --connectors).
	Connectors string
	// Events sets the resume URLs' address and the event buffer's bounds
	// (zero: http://127.0.0.1:8080 and the defaults of events.Limits).
	Events EventConfig
	// Alerts is the alert rules file (--alerts; none when empty) and
	// AlertInterval how often rules are evaluated (0: 15s).
	Alerts        string
	AlertInterval time.Duration
	// Identity configures sign-in (sessions, SSO) and audit retention.
	Identity IdentityConfig
	// MCP configures the MCP client (--mcp-stdio-allow).
	MCP MCPConfig
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
	Polls     *poll.Poller
	registrar *register.Registrar
	// Mailboxes runs the mailbox triggers (on.imap).
	Mailboxes  *imap.Manager
	publishers []queue.Publisher
	raw        store.Store // the store as opened, for Close
	sql        *sqlstep.Service

	breakers *circuit.Breakers
	traces   *tracing.Provider
	alerts   *alertService
	// Identity serves users, tokens and sessions; Audit records the trail.
	Identity       *identity.Service
	Audit          *audit.Recorder
	auditRetention time.Duration

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
	a.Vault, a.Logger, a.breakers = out.vault, out.logger, out.breakers
	if a.traces, err = tracing.New(ctx, cfg.Env.Getenv, readBuildInfo().Version, a.Logger); err != nil {
		return nil, err
	}
	stepHTTP := out.client
	if a.traces.Tracer() != nil {
		// Steps' outbound requests carry the attempt's traceparent.
		stepHTTP = tracing.Client(out.client)
	}
	a.integrity = newIntegrityCheck(raw, a.Logger)
	aiCfg, err := loadAIConfig(cfg.Env, cfg.AIConfig)
	if err != nil {
		return nil, err
	}
	mcpSvc, err := newMCPService(cfg.MCP, a)
	if err != nil {
		return nil, err
	}
	aiSvc, err := newAIService(aiCfg, st, a.Metrics, a.Logger, stepHTTP, out.breakers, cfg.Workflows, kind == "postgres", mcpToolSource{mcpSvc})
	if err != nil {
		return nil, err
	}
	if a.sql, err = newSQLService(cfg.SQL, a); err != nil {
		return nil, err
	}
	a.Registry = step.NewRegistry()
	a.publishers = queuePublishers()
	if err := standard.RegisterWith(a.Registry, standard.Options{AI: aiSvc, Breakers: out.breakers, SQL: a.sql, Publishers: a.publishers, MCP: mcpSvc}); err != nil {
		return nil, fmt.Errorf("registering built-in steps: %w", err)
	}
	imported, err := loadImportedApps(a.Registry, connectorsDir(cfg.Connectors, cfg.Data), a.Logger)
	if err != nil {
		return nil, err
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
		HTTP: stepHTTP, Connections: out.vault, Limiter: out.limiter, Redactor: out.redactor, Events: a.evts,
		OnFinish: a.subs.onFinish, Tracer: a.traces.Tracer(),
		MaxCallDepth: cfg.Limits.MaxCallDepth, MaxForEachItems: cfg.Limits.MaxForEachItems, QuarantineAfter: cfg.Limits.QuarantineAfter,
	})
	if err != nil {
		return nil, err
	}
	if cfg.Workflows != "" {
		if err := loadWorkflowDir(ctx, cfg.Env, st, a.Registry, mcpSvc, cfg.Workflows, a.Logger); err != nil {
			return nil, err
		}
	}
	if cfg.Seed {
		if err := seedExample(ctx, st, a.Registry, a.Logger); err != nil {
			return nil, err
		}
	}
	if a.hooks, err = webhook.New(webhook.Config{Engine: a.Engine, Store: st, Logger: a.Logger, Metrics: a.Metrics,
		Secrets: out.vault, TrustedProxies: cfg.TrustedProxies, HTTP: out.client, Buckets: sharedBuckets(kind, st), PublicURL: registerURL}); err != nil {
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
	if a.Mailboxes, err = newMailboxes(a.Engine, st, out.vault, a.Logger); err != nil {
		return nil, err
	}
	if a.sched, err = schedule.New(schedule.Config{Engine: a.Engine, Store: st, Logger: a.Logger}); err != nil {
		return nil, err
	}
	if a.alerts, err = newAlertService(cfg.Alerts, cfg.AlertInterval, st, a.Engine, out.breakers, aiSvc, a.Metrics.Registry, a.Logger); err != nil {
		return nil, err
	}
	if a.Identity, err = identity.New(identity.Config{Store: st, Logger: a.Logger.With("component", "identity"),
		SessionTTL: cfg.Identity.SessionTTL, OIDC: cfg.Identity.OIDC}); err != nil {
		return nil, err
	}
	a.Audit = audit.NewRecorder(st, a.Logger.With("component", "audit"), a.subs.svc)
	a.auditRetention = cfg.Identity.AuditRetention
	tokens := api.StaticToken(a.token.hash)
	handler, err := api.New(api.Config{
		Identity: a.Identity, Audit: a.Audit,
		Engine: a.Engine, Store: st, Registry: a.Registry, Logger: a.Logger, Metrics: a.Metrics,
		Tokens: tokens, Hooks: a.hooks, UI: web.Handler(), MaxSearchScan: cfg.MaxSearchScan,
		Credentials: out.vault, Limiter: out.limiter, Breakers: out.breakers, Subscriptions: a.subs.svc, Events: a.evts,
		ResumeVerifier: a.hooks,
		Triggers:       triggerHealth{queues: a.Queues, mailboxes: a.Mailboxes},
		Polls:          a.Polls,
		Alerts:         a.alerts,
		Connectors:     imported,
		MCP:            mcpTools{svc: mcpSvc, conns: out.vault, http: stepHTTP},
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
	if a.Handler, err = withMCPServer(cfg.MCP, a, tokens, a.Handler); err != nil {
		return nil, err
	}
	return a, nil
}

// Start runs the engine, the scheduler, the webhook service and the
// subscription deliveries until stop is called (or ctx ends); stop waits
// for all of them.
func (a *App) Start(ctx context.Context) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{}, 16)
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
	run(a.Mailboxes.Run)
	run(func(ctx context.Context) error { return a.breakers.Run(ctx, a.Logger) })
	run(a.alerts.Run)
	run(func(ctx context.Context) error {
		audit.RunRetention(ctx, a.Store, a.auditRetention, time.Hour, a.Logger)
		return nil
	})
	run(func(ctx context.Context) error { a.pruneSessions(ctx); return nil })
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
	if a.traces != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := a.traces.Shutdown(ctx); err != nil {
			a.Logger.Warn("flushing traces at shutdown", "err", err)
		}
		cancel()
	}
	if a.sql != nil {
		_ = a.sql.Close()
	}
	for _, p := range a.publishers {
		_ = p.Close()
	}
	return a.raw.Close()
}

// sharedBuckets returns the store's rate buckets when processes share it
// (PostgreSQL), so webhook rate limits hold for the cluster; nil keeps them
// in this process (SQLite, where one process owns the data).
func sharedBuckets(kind string, st store.Store) webhook.Buckets {
	if kind != "postgres" {
		return nil
	}
	return st
}

// pruneSessions deletes expired console sessions every hour.
func (a *App) pruneSessions(ctx context.Context) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		for {
			n, err := a.Store.PruneSessions(ctx, time.Now(), 500)
			if err != nil {
				a.Logger.Warn("pruning expired sessions", "err", err)
			}
			if err != nil || n < 500 {
				break
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
