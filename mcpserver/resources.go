package mcpserver

import (
	"context"
	"encoding/json"
	"errors"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/weftworks/weft"
)

const uriPrefix = "weft://executions/"

func executionURI(id string) string { return uriPrefix + id }

// addResources makes executions and their step runs readable.
func (s *Server) addResources(srv *mcp.Server) {
	srv.AddResourceTemplate(&mcp.ResourceTemplate{Name: "execution", URITemplate: uriPrefix + "{id}", MIMEType: "application/json",
		Description: "A Weft execution: status, input, output, error."}, s.readResource)
	srv.AddResourceTemplate(&mcp.ResourceTemplate{Name: "execution-steps", URITemplate: uriPrefix + "{id}/steps", MIMEType: "application/json",
		Description: "The step runs of a Weft execution: status, attempts, output, error."}, s.readResource)
}

func (s *Server) readResource(ctx context.Context, req *mcp.ReadResourceRequest) (*mcp.ReadResourceResult, error) {
	uri := req.Params.URI
	rest := strings.TrimPrefix(uri, uriPrefix)
	id, steps := strings.CutSuffix(rest, "/steps")
	if rest == uri || id == "" || strings.Contains(id, "/") {
		return nil, mcp.ResourceNotFoundError(uri)
	}
	ex, err := s.cfg.Store.GetExecution(ctx, id)
	if errors.Is(err, weft.ErrNotFound) {
		return nil, mcp.ResourceNotFoundError(uri)
	}
	if err != nil {
		return nil, err
	}
	if s.cfg.Allow != nil {
		principal := ""
		if req.Extra != nil && req.Extra.TokenInfo != nil {
			principal = req.Extra.TokenInfo.UserID
		}
		if !s.cfg.Allow(ctx, principal, ex.Workflow) {
			return nil, mcp.ResourceNotFoundError(uri) // what a token may not call, it may not read
		}
	}
	var v any = ex
	if steps {
		runs, err := s.cfg.Store.GetStepRuns(ctx, id)
		if err != nil {
			return nil, err
		}
		v = runs
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return &mcp.ReadResourceResult{Contents: []*mcp.ResourceContents{{URI: uri, MIMEType: "application/json", Text: string(b)}}}, nil
}
