package mcp

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/weftworks/weft/step"
)

// ToolInfo is one tool a server lists.
type ToolInfo struct {
	Name        string         `json:"name"`
	Description string         `json:"description,omitempty"`
	InputSchema map[string]any `json:"input_schema,omitempty"`
}

// Tools returns the tools of connection's server, from the cache when a
// recent answer is there. It lists at most MaxTools tools over at most
// MaxPages pages, and fails clearly past either.
func (s *Service) Tools(ctx context.Context, req *step.Request, connection string) ([]ToolInfo, error) {
	return s.tools(ctx, s.callerOf(req), connection, nil)
}

func (s *Service) tools(ctx context.Context, c caller, connection string, cs *mcp.ClientSession) ([]ToolInfo, error) {
	key := c.workflow + "\x00" + connection
	s.mu.Lock()
	e, ok := s.cache[key]
	s.mu.Unlock()
	if ok && s.cfg.Now().Sub(e.at) < s.cfg.ToolsTTL {
		return e.tools, nil
	}
	if cs == nil {
		var err error
		if cs, err = s.open(ctx, c, connection); err != nil {
			return nil, err
		}
		defer cs.Close()
	}
	var out []ToolInfo
	cursor := ""
	for page := 0; ; page++ {
		if page == s.cfg.MaxPages {
			return nil, step.Errorf("mcp_limit", "MCP server %q: tools/list has more than %d pages; Weft reads at most that many", connection, s.cfg.MaxPages)
		}
		res, err := cs.ListTools(ctx, &mcp.ListToolsParams{Cursor: cursor})
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, step.Retryable(fmt.Errorf("MCP server %q: tools/list: %w", connection, err), 0)
		}
		for _, t := range res.Tools {
			if len(out) == s.cfg.MaxTools {
				return nil, step.Errorf("mcp_limit", "MCP server %q lists more than %d tools; Weft uses at most that many", connection, s.cfg.MaxTools)
			}
			out = append(out, toolInfo(t))
		}
		if res.NextCursor == "" {
			break
		}
		cursor = res.NextCursor
	}
	s.mu.Lock()
	s.cache[key] = toolsEntry{at: s.cfg.Now(), tools: out}
	s.mu.Unlock()
	s.remember(ctx, connection, out)
	return out, nil
}

func toolInfo(t *mcp.Tool) ToolInfo {
	ti := ToolInfo{Name: t.Name, Description: t.Description}
	if t.InputSchema != nil {
		b, err := json.Marshal(t.InputSchema)
		if err == nil {
			_ = json.Unmarshal(b, &ti.InputSchema)
		}
	}
	return ti
}

// forget drops the cached tools of connection (after a call names a tool
// the cache does not know: the server may have added it).
func (s *Service) forget(c caller, connection string) {
	s.mu.Lock()
	delete(s.cache, c.workflow+"\x00"+connection)
	s.mu.Unlock()
}
