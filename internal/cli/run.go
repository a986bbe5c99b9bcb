package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/engine"
	"github.com/weftworks/weft/workflow"
)

// runRun executes one workflow file in a throw-away store and prints the
// execution with its step runs as JSON. The exit code is 1 unless the
// execution succeeded, so users can test their workflows in CI.
func runRun(ctx context.Context, env *Env, args []string) error {
	var input, with, timeout, envAllow, allowPrivateNet string
	fs := newFlagSet(env, "run", "run FILE [--input JSON|@file] [--workflows DIR]")
	fs.stringVar(&input, "input", "WEFT_RUN_INPUT", "{}", "trigger input as JSON, or @file to read it from a file")
	fs.stringVar(&with, "workflows", "WEFT_WORKFLOWS", "", "directory of other workflows this one calls (workflow.call, on_error)")
	var connectors string
	fs.stringVar(&connectors, "connectors", "WEFT_CONNECTORS", "", "directory of imported app connectors (as for serve)")
	fs.stringVar(&timeout, "timeout", "WEFT_RUN_TIMEOUT", "10m", "give up waiting after this long")
	fs.stringVar(&envAllow, "env-allow", "WEFT_ENV_ALLOW", "", "comma-separated environment variables that expressions may read as env.NAME (as for serve)")
	fs.stringVar(&allowPrivateNet, "allow-private-net", "WEFT_ALLOW_PRIVATE_NET", "",
		"comma-separated CIDRs that outbound HTTP may reach although they are private, loopback or link-local (e.g. 127.0.0.0/8 to call a local service; as for serve)")
	var aiConfig string
	fs.stringVar(&aiConfig, "ai-config", "WEFT_AI_CONFIG", "", "YAML file with AI prices, budgets, cache and gateway routes (as for serve; see docs/ai.md)")
	var lf limitFlags
	lf.register(fs)
	var sf sqlFlags
	sf.register(fs)
	pos, err := fs.parse(args)
	if err != nil {
		return err
	}
	limits, err := lf.limits()
	if err != nil {
		return err
	}
	sqlCfg, err := sf.config()
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		fs.Usage()
		return ExitError{Code: 2}
	}
	file := pos[0]
	in, err := readInput(input)
	if err != nil {
		return err
	}
	limit, err := weft.ParseDuration(timeout)
	if err != nil {
		return fmt.Errorf("--timeout: %w", err)
	}

	src, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "weft-run-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	// The same wiring as serve (SSRF guard, vault, limits, redaction), on
	// a throw-away database.
	a, err := Wire(ctx, AppConfig{
		Env: env, Data: dir, DB: filepath.Join(dir, "run.db"), SQLiteSync: "NORMAL", Workflows: with,
		LogLevel: "warn", LogFormat: "text", EnvAllow: splitList(envAllow), AllowPrivateNet: allowPrivateNet,
		PollInterval: 50 * time.Millisecond, Limits: limits, SQL: sqlCfg, AIConfig: aiConfig,
		Connectors: connectors,
	})
	if err != nil {
		return err
	}
	defer a.Close()
	st, eng := a.Store, a.Engine
	c, err := workflow.Parse(file, src, a.Registry)
	if err != nil {
		var ds workflow.Diagnostics
		if errors.As(err, &ds) {
			fmt.Fprintln(env.Stderr, ds.Error())
			return ExitError{Code: 1}
		}
		return err
	}
	if _, _, err := st.PutWorkflow(ctx, recordOf(c, src)); err != nil {
		return err
	}
	stop := a.Start(ctx)
	defer stop()

	started, err := eng.Start(ctx, engine.StartRequest{Workflow: c.Workflow.Name, Input: in, Trigger: weft.TriggerManual})
	if err != nil {
		return err
	}
	waitCtx, cancel := context.WithTimeout(ctx, limit.D())
	defer cancel()
	ex, err := eng.Wait(waitCtx, started.Execution.ID)
	if err != nil {
		return fmt.Errorf("waiting for the execution (%s): %w", started.Execution.ID, err)
	}
	steps, err := st.GetStepRuns(ctx, ex.ID)
	if err != nil {
		return err
	}
	out, _ := json.MarshalIndent(struct {
		weft.Execution
		Steps []weft.StepRun `json:"steps"`
	}{ex, steps}, "", "  ")
	fmt.Fprintln(env.Stdout, string(out))
	if ex.Status != weft.ExecutionSucceeded {
		return ExitError{Code: 1}
	}
	return nil
}

// readInput reads --input: inline JSON or @file.
func readInput(s string) (json.RawMessage, error) {
	b := []byte(s)
	if strings.HasPrefix(s, "@") {
		var err error
		if b, err = os.ReadFile(s[1:]); err != nil {
			return nil, fmt.Errorf("--input: %w", err)
		}
	}
	if !json.Valid(b) {
		return nil, fmt.Errorf("--input is not valid JSON: pass an object like '{\"customer_id\": 42}' or @file.json")
	}
	return b, nil
}
