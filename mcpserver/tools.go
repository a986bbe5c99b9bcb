package mcpserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/engine"
	"github.com/weftworks/weft/store"
)

// addTools adds a tool for each workflow marked as one that principal may
// call, at most MaxTools, and returns the tools' names.
func (s *Server) addTools(ctx context.Context, srv *mcp.Server, principal string) map[string]bool {
	listed := map[string]bool{}
	n := 0
	cursor := ""
	for n < s.cfg.MaxTools {
		recs, next, err := s.cfg.Store.ListWorkflows(ctx, store.Page{Limit: 200, Cursor: cursor})
		if err != nil {
			s.cfg.Logger.Warn("mcp: listing workflows", "err", err)
			return listed
		}
		for _, rec := range recs {
			if n == s.cfg.MaxTools {
				s.cfg.Logger.Warn("mcp: more workflows are marked as tools than a session lists", "max_tools", s.cfg.MaxTools)
				return listed
			}
			if !rec.Enabled {
				continue
			}
			_, c, err := s.cfg.Engine.Compiled(ctx, rec.Name)
			if err != nil || c.Workflow.MCP == nil || !c.Workflow.MCP.Tool {
				continue
			}
			if s.cfg.Allow != nil && !s.cfg.Allow(ctx, principal, rec.Name) {
				continue
			}
			schema := c.Workflow.Inputs
			if schema == nil {
				schema = map[string]any{"type": "object"}
			}
			desc := c.Workflow.MCP.Description
			if desc == "" {
				desc = c.Workflow.Description
			}
			if desc == "" {
				desc = "Runs the Weft workflow " + rec.Name + "."
			}
			name, tool := rec.Name, c.Workflow.ToolName()
			if listed[tool] {
				s.cfg.Logger.Warn("mcp: two workflows have the same tool name; the first one listed keeps it", "tool", tool, "workflow", name)
				continue
			}
			srv.AddTool(&mcp.Tool{Name: tool, Description: desc, InputSchema: schema},
				func(ctx context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
					return s.call(ctx, req, principal, name)
				})
			listed[tool] = true
			n++
		}
		if next == "" {
			return listed
		}
		cursor = next
	}
	return listed
}

// toolError is an answer the model sees (isError), not a protocol error.
func toolError(format string, args ...any) *mcp.CallToolResult {
	return &mcp.CallToolResult{IsError: true, Content: []mcp.Content{&mcp.TextContent{Text: fmt.Sprintf(format, args...)}}}
}

// call starts an execution of workflow with the call's arguments and
// waits for it, sending progress notifications, up to MaxWait.
func (s *Server) call(ctx context.Context, req *mcp.CallToolRequest, principal, name string) (*mcp.CallToolResult, error) {
	refuse := func(reason string, res *mcp.CallToolResult) (*mcp.CallToolResult, error) {
		s.audit(ctx, req.Extra, ActionRefused, name, map[string]any{"reason": reason})
		return res, nil
	}
	if s.cfg.Allow != nil && !s.cfg.Allow(ctx, principal, name) {
		return refuse("not allowed", toolError("this token may not call the workflow %s", name))
	}
	select {
	case s.slots <- struct{}{}:
		defer func() { <-s.slots }()
	default:
		return refuse("busy", toolError("Weft is running %d tool calls already; try again in a moment", s.cfg.MaxCalls))
	}
	input := json.RawMessage(req.Params.Arguments)
	if len(input) == 0 || string(input) == "null" {
		input = json.RawMessage("{}")
	}
	started, err := s.cfg.Engine.Start(ctx, engine.StartRequest{Workflow: name, Input: input, Trigger: weft.TriggerMCP})
	switch {
	case errors.Is(err, weft.ErrInvalid):
		return refuse("invalid input", toolError("%v", err))
	case errors.Is(err, weft.ErrNotFound):
		return refuse("no such workflow", toolError("the workflow %s no longer exists", name))
	case err != nil:
		s.audit(ctx, req.Extra, ActionRefused, name, map[string]any{"reason": "start failed"})
		return nil, fmt.Errorf("starting workflow %s: %w", name, err)
	}
	id := started.Execution.ID
	s.audit(ctx, req.Extra, ActionCall, name, map[string]any{"execution_id": id})
	s.cfg.Logger.Info("mcp tool call", "workflow", name, "execution_id", id, "principal", principal)
	token := req.Params.GetProgressToken()
	deadline := time.Now().Add(s.cfg.MaxWait)
	for step := 1; ; step++ {
		wait := min(s.cfg.Progress, time.Until(deadline))
		wctx, cancel := context.WithTimeout(ctx, wait)
		ex, err := s.cfg.Engine.Wait(wctx, id)
		cancel()
		switch {
		case err == nil:
			return s.result(ctx, ex)
		case ctx.Err() != nil:
			// The client cancelled the call (or went away): so is the execution.
			if _, cerr := s.cfg.Engine.Cancel(context.WithoutCancel(ctx), id); cerr != nil {
				s.cfg.Logger.Warn("mcp: cancelling the execution of a cancelled call", "execution_id", id, "err", cerr)
			}
			return nil, ctx.Err()
		case !errors.Is(err, context.DeadlineExceeded):
			return nil, fmt.Errorf("waiting for execution %s: %w", id, err)
		}
		if !time.Now().Before(deadline) {
			return s.pending(id), nil
		}
		if token != nil && req.Session != nil {
			_ = req.Session.NotifyProgress(ctx, &mcp.ProgressNotificationParams{ProgressToken: token, Progress: float64(step),
				Message: fmt.Sprintf("execution %s of %s is still running", id, name)})
		}
	}
}

// result answers a finished execution.
func (s *Server) result(ctx context.Context, ex weft.Execution) (*mcp.CallToolResult, error) {
	out := map[string]any{"execution_id": ex.ID, "status": string(ex.Status)}
	if len(ex.Output) > 0 {
		out["output"] = json.RawMessage(ex.Output)
	}
	if ex.Error != nil {
		out["error"] = ex.Error.Message
	}
	b, err := json.Marshal(out)
	if err != nil {
		return nil, err
	}
	return &mcp.CallToolResult{IsError: ex.Status != weft.ExecutionSucceeded, StructuredContent: json.RawMessage(b),
		Content: []mcp.Content{&mcp.TextContent{Text: string(b)}}}, nil
}

// pending answers an execution that outlasted MaxWait: it goes on, and its
// resource tells how it ends.
func (s *Server) pending(id string) *mcp.CallToolResult {
	b, _ := json.Marshal(map[string]any{"execution_id": id, "status": "running", "resource": executionURI(id)})
	return &mcp.CallToolResult{StructuredContent: json.RawMessage(b), Content: []mcp.Content{
		&mcp.TextContent{Text: string(b)},
		&mcp.TextContent{Text: "The workflow is still running; read the resource " + executionURI(id) + " for its result."},
	}}
}
