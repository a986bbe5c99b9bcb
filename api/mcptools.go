package api

// GET /api/v1/connections/{name}/mcp/tools: the tools of an mcp
// connection's server, as last listed (by a call, a connection test or this
// endpoint with ?refresh=1). The same stored lists check the literal
// arguments of mcp.call steps when a workflow is saved.

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/weftworks/weft/connectors/mcp"
	"github.com/weftworks/weft/engine"
	"github.com/weftworks/weft/step"
	"github.com/weftworks/weft/workflow"
)

// MCPTools is the MCP client's view of mcp connections' tools.
type MCPTools interface {
	// Refresh lists connection's tools afresh from its server and stores
	// the list.
	Refresh(ctx context.Context, connection string) ([]mcp.ToolInfo, error)
	// Stored returns the stored list; found is false when the server was
	// never listed.
	Stored(ctx context.Context, connection string) (tools []mcp.ToolInfo, at time.Time, found bool, err error)
	// CheckSaved checks the mcp.call steps of a workflow being saved; one
	// error (or nil) per call.
	CheckSaved(ctx context.Context, calls []mcp.SavedCall) ([]error, error)
}

// MCPToolList is the answer of GET /api/v1/connections/{name}/mcp/tools.
type MCPToolList struct {
	Connection string         `json:"connection"`
	Tools      []mcp.ToolInfo `json:"tools"`
	ListedAt   time.Time      `json:"listed_at"`
}

func (s *server) listMCPTools(w http.ResponseWriter, r *http.Request) {
	if s.cfg.MCP == nil {
		writeError(w, r, s.log, &Error{Status: http.StatusNotFound, Code: "not_configured", Message: "this server has no MCP client"})
		return
	}
	v := s.vault(w, r)
	if v == nil {
		return
	}
	name := r.PathValue("name")
	md, err := v.Metadata(r.Context(), name)
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	if md.Type != "mcp" {
		writeError(w, r, s.log, badRequest("connection %q is of type %s; tools are listed for connections of type mcp", name, md.Type))
		return
	}
	ctx := r.Context()
	if r.URL.Query().Get("refresh") == "" {
		tools, at, found, err := s.cfg.MCP.Stored(ctx, name)
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		if found {
			writeJSON(w, http.StatusOK, MCPToolList{Connection: name, Tools: nonNil(tools), ListedAt: at})
			return
		}
	}
	rctx, cancel := context.WithTimeout(ctx, engine.ProbeTimeout)
	defer cancel()
	tools, err := s.cfg.MCP.Refresh(rctx, name)
	if err != nil {
		writeError(w, r, s.log, &Error{Status: http.StatusBadGateway, Code: "mcp_unreachable",
			Message: v.Redactor().String(fmt.Sprintf("listing the tools of connection %q: %s", name, step.ErrorInfo(err).Message))})
		return
	}
	writeJSON(w, http.StatusOK, MCPToolList{Connection: name, Tools: nonNil(tools), ListedAt: s.cfg.Now().UTC()})
}

func nonNil(t []mcp.ToolInfo) []mcp.ToolInfo {
	if t == nil {
		return []mcp.ToolInfo{}
	}
	return t
}

// maxMCPDiagnostics bounds the save-time problems reported for mcp.call
// steps (a workflow of thousands of wrong steps answers with the first).
const maxMCPDiagnostics = 50

// checkMCPCalls checks the literal arguments of c's mcp.call steps against
// the stored tool lists; the problems are diagnostics at the steps.
func (s *server) checkMCPCalls(ctx context.Context, file string, c *workflow.Compiled) error {
	if s.cfg.MCP == nil {
		return nil
	}
	return CheckMCPCalls(ctx, s.cfg.MCP, file, c)
}

// MCPCallChecker checks the mcp.call steps of a workflow being saved
// against the stored tool lists; one error (or nil) per call.
type MCPCallChecker interface {
	CheckSaved(ctx context.Context, calls []mcp.SavedCall) ([]error, error)
}

// CheckMCPCalls is the save-time check of c's mcp.call steps, shared by
// the API's create and replace and the files loaded at start: a tool the
// stored list lacks and literal arguments that do not match the tool's
// input schema are workflow.Diagnostics at the steps (at most
// maxMCPDiagnostics); other errors are the store's.
func CheckMCPCalls(ctx context.Context, m MCPCallChecker, file string, c *workflow.Compiled) error {
	var (
		calls []mcp.SavedCall
		nodes []*workflow.Node
	)
	for _, n := range c.Nodes {
		if n.Step.Uses != mcp.TypeCall {
			continue
		}
		conn, _ := n.Step.With["connection"].(string)
		tool, _ := n.Step.With["tool"].(string)
		calls = append(calls, mcp.SavedCall{Connection: conn, Tool: tool, Arguments: n.Step.With["arguments"]})
		nodes = append(nodes, n)
	}
	if len(calls) == 0 {
		return nil
	}
	errs, err := m.CheckSaved(ctx, calls)
	if err != nil {
		return fmt.Errorf("checking the mcp.call steps: %w", err)
	}
	var diags workflow.Diagnostics
	for i, e := range errs {
		if e == nil {
			continue
		}
		if len(diags) == maxMCPDiagnostics {
			break
		}
		st := nodes[i].Step
		diags = append(diags, workflow.Diagnostic{File: file, Line: st.Pos.Line, Column: st.Pos.Column,
			Message: fmt.Sprintf("step %q (mcp.call): %v", st.ID, e)})
	}
	if len(diags) > 0 {
		return diags
	}
	return nil
}

// forgetMCPTools drops the stored tool list of a connection that changed or
// went away: its server may be another one now.
func (s *server) forgetMCPTools(ctx context.Context, connection string) {
	if err := s.store.DeleteMCPTools(ctx, connection); err != nil {
		s.log.Warn("dropping the stored MCP tools failed", "connection", connection, "error", err)
	}
}

// testMCP tests an mcp connection by listing its server's tools (which
// stores the list for the save-time checks and the console).
func (s *server) testMCP(w http.ResponseWriter, r *http.Request, name string) {
	ctx, cancel := context.WithTimeout(r.Context(), engine.ProbeTimeout)
	defer cancel()
	start := time.Now()
	tools, err := s.cfg.MCP.Refresh(ctx, name)
	took := time.Since(start)
	out := CredentialTest{OK: err == nil, Target: "tools/list", DurationMS: took.Milliseconds()}
	if err != nil {
		out.Message = s.cfg.Credentials.Redactor().String(step.ErrorInfo(err).Message)
	} else {
		out.Message = fmt.Sprintf("tools/list answered %d tool(s) in %s", len(tools), took.Round(time.Millisecond))
	}
	writeJSON(w, http.StatusOK, out)
}
