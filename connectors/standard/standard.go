package standard

import (
	"github.com/weftworks/weft/circuit"
	"github.com/weftworks/weft/connectors/ai"
	"github.com/weftworks/weft/connectors/apps"
	"github.com/weftworks/weft/connectors/core"
	"github.com/weftworks/weft/connectors/email"
	"github.com/weftworks/weft/connectors/graphql"
	"github.com/weftworks/weft/connectors/http"
	"github.com/weftworks/weft/connectors/jq"
	"github.com/weftworks/weft/connectors/mcp"
	"github.com/weftworks/weft/connectors/queuepublish"
	"github.com/weftworks/weft/connectors/soap"
	sqlstep "github.com/weftworks/weft/connectors/sql"
	"github.com/weftworks/weft/connectors/webhooksend"
	"github.com/weftworks/weft/step"
	"github.com/weftworks/weft/trigger/queue"
)

// Options hand built-in steps the services of the composition root.
type Options struct {
	// AI backs the ai.* steps (prices, cache, usage store, budgets); nil
	// uses ai.Register's defaults.
	AI *ai.Service
	// Breakers are http.request's per-host circuit breakers; nil gives it
	// its own.
	Breakers *circuit.Breakers
	// SQL backs sql.query and sql.exec (pools, SQLite directory, row
	// ceiling); nil uses sqlstep.Register's defaults (no SQLite files).
	SQL *sqlstep.Service
	// Publishers are queue.publish's broker clients; none leaves the step
	// registered but failing with a clear error.
	Publishers []queue.Publisher
	// MCP backs mcp.call (stdio allowlist, tool-list cache); nil uses
	// mcp.Register's defaults (no stdio servers).
	MCP *mcp.Service
}

// Register adds every built-in step type to reg.
func Register(reg *step.Registry) error { return RegisterWith(reg, Options{}) }

// RegisterWith is Register with services from the composition root.
func RegisterWith(reg *step.Registry, o Options) error {
	registerAI := ai.Register
	if o.AI != nil {
		registerAI = o.AI.Register
	}
	registerSQL := sqlstep.Register
	if o.SQL != nil {
		registerSQL = o.SQL.Register
	}
	registerMCP := mcp.Register
	if o.MCP != nil {
		registerMCP = o.MCP.Register
	}
	for _, register := range []func(*step.Registry) error{
		core.Register,
		func(reg *step.Registry) error { return http.RegisterWith(reg, http.Options{Breakers: o.Breakers}) },
		apps.Register, // after http.request: every app call goes through it
		jq.Register,
		graphql.Register,
		soap.Register,
		email.Register,
		webhooksend.Register,
		func(reg *step.Registry) error { return queuepublish.Register(reg, o.Publishers) },
		registerAI,
		registerSQL,
		registerMCP,
	} {
		if err := register(reg); err != nil {
			return err
		}
	}
	return nil
}
