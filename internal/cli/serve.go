package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/api"
	"github.com/weftworks/weft/bench"
	"github.com/weftworks/weft/step"
	"github.com/weftworks/weft/store"
	"github.com/weftworks/weft/workflow"
)

type serveFlags struct {
	addr, data, db, workflows, retention, logLevel, logFormat, envAllow, seed, lease, debugAddr, sqliteSync string
	sqliteCheck                                                                                             string
	maxRunning, maxSearchScan                                                                               int
	conn                                                                                                    connectionFlags
	hooks                                                                                                   hookFlags
	limits                                                                                                  limitFlags
	sql                                                                                                     sqlFlags
	events                                                                                                  eventFlags
	identity                                                                                                identityFlags
	mcp                                                                                                     mcpFlags
}

func runServe(ctx context.Context, env *Env, args []string) error {
	var f serveFlags
	fs := newFlagSet(env, "serve", "serve [flags]")
	fs.stringVar(&f.addr, "addr", "WEFT_ADDR", "127.0.0.1:8080", "address to listen on")
	fs.stringVar(&f.data, "data", "WEFT_DATA", "./weft-data", "data directory (SQLite database, admin token)")
	fs.stringVar(&f.db, "db", "WEFT_DB", "", "database: a postgres:// URL to share work between processes, or a SQLite file (default <data>/weft.db)")
	fs.stringVar(&f.workflows, "workflows", "WEFT_WORKFLOWS", "", "directory of workflow files to load or update at start")
	fs.stringVar(&f.retention, "retention", "WEFT_RETENTION", "30d", "how long finished executions are kept (0 keeps them forever)")
	fs.stringVar(&f.logLevel, "log-level", "WEFT_LOG_LEVEL", "info", "debug, info, warn or error")
	fs.stringVar(&f.logFormat, "log-format", "WEFT_LOG_FORMAT", "json", "json or text")
	fs.stringVar(&f.envAllow, "env-allow", "WEFT_ENV_ALLOW", "", "comma-separated environment variables that expressions may read as env.NAME")
	fs.stringVar(&f.seed, "seed", "WEFT_SEED", "true", "install the bench example workflow when the database has no workflows")
	fs.stringVar(&f.lease, "lease", "WEFT_LEASE", "15s", "how long a process owns an execution without renewing; after a crash, others take over after this")
	fs.stringVar(&f.sqliteSync, "sqlite-synchronous", "WEFT_SQLITE_SYNCHRONOUS", "FULL", "SQLite durability: FULL survives power loss; NORMAL survives a crashed process but may lose the last commits on power loss")
	fs.stringVar(&f.sqliteCheck, "sqlite-check-every", "WEFT_SQLITE_CHECK_EVERY", "1h", "how often SQLite's PRAGMA quick_check reads the whole database (also once at start); a failure makes /readyz answer 503 (0: at start only)")
	fs.stringVar(&f.debugAddr, "debug-addr", "WEFT_DEBUG_ADDR", "", "serve Go's pprof profiles on this separate address (e.g. 127.0.0.1:6060); off when empty")
	var aiConfig, connectors string
	fs.stringVar(&connectors, "connectors", "WEFT_CONNECTORS", "", "directory of imported app connectors, <app>/app.yaml each (default <data>/connectors); keep it in git and give every process the same")
	fs.stringVar(&aiConfig, "ai-config", "WEFT_AI_CONFIG", "", "YAML file with AI prices, budgets, cache and gateway routes (see docs/ai.md)")
	var alertsFile, alertEvery string
	fs.stringVar(&alertsFile, "alerts", "WEFT_ALERTS", "", "YAML file of alert rules (alerts: [...]; see docs/operations.md#alerts)")
	fs.stringVar(&alertEvery, "alert-interval", "WEFT_ALERT_INTERVAL", "15s", "how often alert rules are evaluated")
	fs.intVar(&f.maxRunning, "max-running", "WEFT_MAX_RUNNING", 1024, "executions this process runs at once; more wait in the queue")
	fs.intVar(&f.maxSearchScan, "max-search-scan", "WEFT_MAX_SEARCH_SCAN", 10_000, "most executions one trigger-data search of the execution list reads; it then answers what it found with a cursor to go on")
	f.conn.register(fs)
	f.hooks.register(fs)
	f.limits.register(fs)
	f.sql.register(fs)
	f.events.register(fs)
	f.identity.register(fs)
	f.mcp.register(fs)
	if _, err := fs.parse(args); err != nil {
		return err
	}
	if env.Getenv("GOGC") == "" {
		// Weft's heap is small and short-lived (one request, one
		// execution): collecting half as often costs ~10 MB of RSS and
		// buys ~6% throughput (docs/benchmarks.md). GOGC overrides it.
		debug.SetGCPercent(200)
	}
	if f.maxSearchScan < 1 {
		return fmt.Errorf("--max-search-scan %d: must be at least 1", f.maxSearchScan)
	}
	retention := time.Duration(0)
	if f.retention != "0" {
		d, err := weft.ParseDuration(f.retention)
		if err != nil {
			return fmt.Errorf("--retention: %w", err)
		}
		retention = d.D()
	}

	switch strings.ToUpper(f.sqliteSync) {
	case "FULL", "NORMAL":
	default:
		return fmt.Errorf("--sqlite-synchronous %q: use FULL (the default: survives power loss) or NORMAL (survives a crashed process)", f.sqliteSync)
	}
	alertInterval, err := weft.ParseDuration(alertEvery)
	if err != nil || alertInterval.D() < time.Second {
		return fmt.Errorf("--alert-interval %q: give a duration of at least 1s (e.g. 15s)", alertEvery)
	}
	lease, err := weft.ParseDuration(f.lease)
	if err != nil {
		return fmt.Errorf("--lease: %w", err)
	}
	hookCfg, err := f.hooks.config()
	if err != nil {
		return err
	}
	limits, err := f.limits.limits()
	if err != nil {
		return err
	}
	checkEvery := time.Duration(0)
	if f.sqliteCheck != "0" {
		d, err := weft.ParseDuration(f.sqliteCheck)
		if err != nil {
			return fmt.Errorf("--sqlite-check-every: %w", err)
		}
		checkEvery = d.D()
	}
	sqlCfg, err := f.sql.config()
	if err != nil {
		return err
	}
	evCfg, err := f.events.config(f.addr)
	if err != nil {
		return err
	}
	idCfg, err := f.identity.config()
	mcpCfg, err := f.mcp.config()
	if err != nil {
		return err
	}
	a, err := Wire(ctx, AppConfig{
		Env: env, Data: f.data, DB: f.db, SQLiteSync: f.sqliteSync, Workflows: f.workflows, Seed: f.seed == "true",
		LogLevel: f.logLevel, LogFormat: f.logFormat, EnvAllow: splitList(f.envAllow),
		AllowPrivateNet: f.conn.allowPrivateNet, MasterKeyFile: f.conn.masterKeyFile, TrustedProxies: hookCfg.trusted,
		AIConfig: aiConfig, Retention: retention, Lease: lease.D(), MaxRunning: f.maxRunning, Limits: limits,
		MaxSearchScan:    f.maxSearchScan,
		SQLiteCheckEvery: checkEvery,
		SQL:              sqlCfg,
		Events:           evCfg,
		Alerts:           alertsFile,
		AlertInterval:    alertInterval.D(),
		Identity:         idCfg,
		MCP:              mcpCfg,
		Connectors:       connectors,
	})
	if err != nil {
		return err
	}
	defer a.Close()
	logger, tok, eng, kind := a.Logger, a.token, a.Engine, a.Kind

	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		return fmt.Errorf("listening on %s (--addr): %w", f.addr, err)
	}
	srv := &http.Server{
		Handler:           a.Handler,
		ReadHeaderTimeout: 10 * time.Second,
		MaxHeaderBytes:    hookCfg.maxHeaderBytes,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		TLSConfig:         hookCfg.tls,
	}

	url := hookCfg.scheme() + "://" + ln.Addr().String()
	logger.Info("weft serving", "addr", ln.Addr().String(), "store", kind, "owner", eng.Owner())
	fmt.Fprintf(env.Stderr, "Weft is listening on %s (UI at %s/, webhooks at %s/hooks/…)\n", url, url, url)
	if tok.token != "" {
		fmt.Fprintf(env.Stderr, "\nAdmin API token (shown once, also saved to %s):\n\n    %s\n\n", tok.file, tok.token)
	}

	if f.debugAddr != "" {
		stopDebug, err := serveDebug(f.debugAddr, logger)
		if err != nil {
			return err
		}
		defer stopDebug()
	}

	// The loops outlive ctx: on SIGTERM the HTTP server drains first, then
	// they stop.
	stopLoops := a.Start(context.WithoutCancel(ctx))

	srvErr := make(chan error, 1)
	go func() { srvErr <- hookCfg.serve(srv, ln) }()
	select {
	case <-ctx.Done():
	case err := <-srvErr:
		stopLoops()
		return fmt.Errorf("http server: %w", err)
	}
	logger.Info("shutting down")
	shCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_ = srv.Shutdown(shCtx)
	stopLoops()
	return nil
}

func newLogger(env *Env, level, format string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: use debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "json":
		return slog.New(slog.NewJSONHandler(env.Stderr, opts)), nil
	case "text":
		return slog.New(slog.NewTextHandler(env.Stderr, opts)), nil
	}
	return nil, fmt.Errorf("--log-format %q: use json or text", format)
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// loadWorkflowDir validates every workflow file in dir and stores those
// that changed. One invalid file stops the start, with every problem listed.
// The files get the checks of a save through the API: their mcp.call steps
// are checked against the stored tool lists by mcpCalls.
func loadWorkflowDir(ctx context.Context, env *Env, st store.Store, reg *step.Registry, mcpCalls api.MCPCallChecker, dir string, logger *slog.Logger) error {
	files, err := readWorkflowDir(dir)
	if err != nil {
		return err
	}
	var bad workflow.Diagnostics
	var docs []loadedDoc
	for _, wf := range files {
		file, src := wf.path, wf.src
		c, err := workflow.Parse(file, src, reg)
		if err != nil {
			var ds workflow.Diagnostics
			if errors.As(err, &ds) {
				bad = append(bad, ds...)
				continue
			}
			return err
		}
		if err := api.CheckMCPCalls(ctx, mcpCalls, file, c); err != nil {
			var ds workflow.Diagnostics
			if errors.As(err, &ds) {
				bad = append(bad, ds...)
				continue
			}
			return fmt.Errorf("%s: %w", file, err)
		}
		docs = append(docs, loadedDoc{file: file, src: src, c: c})
	}
	if len(bad) > 0 {
		return fmt.Errorf("invalid workflow files in %s (--workflows):\n%s", dir, bad.Error())
	}
	for _, d := range docs {
		rec, changed, err := st.PutWorkflow(ctx, recordOf(d.c, d.src))
		if err != nil {
			return fmt.Errorf("storing %s: %w", d.file, err)
		}
		if changed {
			logger.Info("workflow loaded", "workflow", rec.Name, "version", rec.Version, "file", d.file)
		}
	}
	return nil
}

// seedExample installs bench/bench.yaml into an empty database, so a new
// user can call /hooks/bench right away.
func seedExample(ctx context.Context, st store.Store, reg *step.Registry, logger *slog.Logger) error {
	recs, _, err := st.ListWorkflows(ctx, store.Page{Limit: 1})
	if err != nil || len(recs) > 0 {
		return err
	}
	c, err := workflow.Parse("bench.yaml", bench.Workflow, reg)
	if err != nil {
		return fmt.Errorf("built-in example: %w", err)
	}
	if _, _, err := st.PutWorkflow(ctx, recordOf(c, bench.Workflow)); err != nil {
		return fmt.Errorf("installing the example workflow: %w", err)
	}
	logger.Info("installed the example workflow", "workflow", c.Workflow.Name, "webhook", "/hooks/bench")
	return nil
}

type loadedDoc struct {
	file string
	src  []byte
	c    *workflow.Compiled
}

// recordOf makes the stored record of a compiled document.
func recordOf(c *workflow.Compiled, src []byte) weft.WorkflowRecord {
	rec := weft.WorkflowRecord{Name: c.Workflow.Name, Source: string(src), Description: c.Workflow.Description, Enabled: c.Workflow.IsEnabled()}
	if c.Workflow.On.Webhook != nil {
		rec.WebhookPath = strings.Trim(c.Workflow.On.Webhook.Path, "/")
	}
	return rec
}
