package mcp

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/weftworks/weft/step"
)

// ToolStore keeps each connection's last tools/list answer durably, so a
// workflow's mcp.call steps can be checked when it is saved and the console
// can offer a server's tools without calling it.
type ToolStore interface {
	SaveTools(ctx context.Context, connection string, tools []ToolInfo, at time.Time) error
	// LoadTools returns found false, without error, when the server of
	// connection was never listed.
	LoadTools(ctx context.Context, connection string) (tools []ToolInfo, at time.Time, found bool, err error)
}

// remember stores a fresh list; a store that fails costs the save-time
// checks only, so the call goes on.
func (s *Service) remember(ctx context.Context, connection string, tools []ToolInfo) {
	if s.cfg.Store == nil {
		return
	}
	if err := s.cfg.Store.SaveTools(ctx, connection, tools, s.cfg.Now()); err != nil {
		s.cfg.Logger.Warn("storing the MCP tool list failed", "connection", connection, "error", err)
	}
}

// Refresh lists the tools of connection's server afresh (whatever the
// cache holds), stores the list and returns it. conns and hc are the
// vault and HTTP client a step would get; the call is made for no workflow
// in particular, as a connection test is.
func (s *Service) Refresh(ctx context.Context, conns step.Connections, hc *http.Client, connection string) ([]ToolInfo, error) {
	s.mu.Lock()
	for k := range s.cache {
		if strings.HasSuffix(k, "\x00"+connection) {
			delete(s.cache, k)
		}
	}
	s.mu.Unlock()
	if hc == nil {
		hc = s.cfg.HTTP
	}
	return s.tools(ctx, caller{conns: conns, http: hc}, connection, nil)
}

// Stored returns the last stored list of connection's tools; found is
// false when it was never listed (or no store is configured).
func (s *Service) Stored(ctx context.Context, connection string) ([]ToolInfo, time.Time, bool, error) {
	if s.cfg.Store == nil {
		return nil, time.Time{}, false, nil
	}
	return s.cfg.Store.LoadTools(ctx, connection)
}

// SavedCall is one mcp.call step of a workflow being saved, its fields as
// written (strings may hold expressions).
type SavedCall struct {
	Connection, Tool string
	Arguments        any
}

// CheckSaved checks the mcp.call steps of a workflow being saved against
// the stored tool lists of their connections, and returns one error (or
// nil) per call. A call is accepted when nothing can be known yet: its
// connection or tool is an expression, the server was never listed, or the
// tool has no schema Weft can read. Arguments that hold expressions ({{ }})
// are left to the check before the call; the rest are checked. Each list is
// read and each schema compiled once per save, however many steps use it.
func (s *Service) CheckSaved(ctx context.Context, calls []SavedCall) ([]error, error) {
	type list struct {
		tools []ToolInfo
		at    time.Time
		found bool
	}
	lists := map[string]*list{}
	schemas := map[string]*jsonschema.Schema{}
	out := make([]error, len(calls))
	for i, c := range calls {
		if c.Connection == "" || c.Tool == "" || hasExpr(c.Connection) || hasExpr(c.Tool) {
			continue
		}
		l, ok := lists[c.Connection]
		if !ok {
			tools, at, found, err := s.Stored(ctx, c.Connection)
			if err != nil {
				return nil, err
			}
			l = &list{tools: tools, at: at, found: found}
			lists[c.Connection] = l
		}
		if !l.found {
			continue
		}
		key := c.Connection + "\x00" + c.Tool
		sch, seen := schemas[key]
		var err error
		if !seen {
			sch, err = toolSchema(c, l.tools, l.at)
			schemas[key] = sch
		}
		if err == nil && sch != nil {
			err = checkArgs(c, sch, l.at)
		}
		out[i] = err
	}
	return out, nil
}

// toolSchema finds c's tool in tools and compiles its input schema (nil
// when it has none Weft can read); an error when the tool is not listed.
func toolSchema(c SavedCall, tools []ToolInfo, at time.Time) (*jsonschema.Schema, error) {
	for i := range tools {
		if tools[i].Name != c.Tool {
			continue
		}
		if tools[i].InputSchema == nil {
			return nil, nil
		}
		sch, err := compile(tools[i].InputSchema)
		if err != nil {
			return nil, nil // a schema Weft cannot read is the server's to check
		}
		return sch, nil
	}
	names := make([]string, len(tools))
	for i, x := range tools {
		names[i] = x.Name
	}
	hint := "it lists: " + truncate(strings.Join(names, ", "), 500)
	if close := closeNames(c.Tool, names, 5); len(close) > 0 {
		hint = "did you mean " + strings.Join(close, ", ") + "?"
	}
	return nil, fmt.Errorf("the MCP server of connection %q lists no tool %q (%s); name one of its tools, or refresh the list (%s) if the server gained it since %s",
		c.Connection, c.Tool, hint, refreshHint(c.Connection), at.UTC().Format(time.RFC3339))
}

func refreshHint(connection string) string {
	return fmt.Sprintf("GET /api/v1/connections/%s/mcp/tools?refresh=1", connection)
}

func checkArgs(c SavedCall, sch *jsonschema.Schema, at time.Time) error {
	args := c.Arguments
	if str, ok := args.(string); ok && hasExpr(str) {
		return nil
	}
	if args == nil {
		args = map[string]any{}
	}
	if _, ok := args.(map[string]any); !ok {
		return fmt.Errorf("arguments of MCP tool %q must be an object (argument names to values), not %T", c.Tool, args)
	}
	b, err := json.Marshal(args)
	if err != nil {
		return fmt.Errorf("arguments of MCP tool %q: %w", c.Tool, err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		return fmt.Errorf("arguments of MCP tool %q: %w", c.Tool, err)
	}
	verr := sch.Validate(inst)
	if verr == nil {
		return nil
	}
	exprs := map[string]bool{}
	exprPaths(args, "", exprs)
	problems := literalProblems(verr, exprs)
	if len(problems) == 0 {
		return nil
	}
	return fmt.Errorf("arguments of MCP tool %q (connection %q) do not match its input schema: %s; give each argument the type and value the schema asks for, or an expression ({{ }}) checked when the step runs (schema as listed at %s; see or refresh it: %s)",
		c.Tool, c.Connection, strings.Join(problems, "; "), at.UTC().Format(time.RFC3339), refreshHint(c.Connection))
}

func hasExpr(s string) bool { return strings.Contains(s, "{{") }

// exprPaths records the JSON pointer of every string value holding an
// expression.
func exprPaths(v any, path string, out map[string]bool) {
	switch x := v.(type) {
	case string:
		if hasExpr(x) {
			out[path] = true
		}
	case map[string]any:
		for k, e := range x {
			exprPaths(e, path+"/"+k, out)
		}
	case []any:
		for i, e := range x {
			exprPaths(e, fmt.Sprintf("%s/%d", path, i), out)
		}
	}
}

// literalProblems flattens a validation error to one line per failed
// rule, leaving out the rules about values that are expressions (their
// value is known when the step runs).
func literalProblems(err error, exprs map[string]bool) []string {
	ve, ok := err.(*jsonschema.ValidationError)
	if !ok {
		return []string{err.Error()}
	}
	var out []string
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) > 0 {
			for _, c := range e.Causes {
				walk(c)
			}
			return
		}
		loc := ""
		if len(e.InstanceLocation) > 0 {
			loc = "/" + strings.Join(e.InstanceLocation, "/")
		}
		for p := loc; ; {
			if exprs[p] {
				return
			}
			i := strings.LastIndexByte(p, '/')
			if i < 0 {
				break
			}
			p = p[:i]
		}
		if loc == "" {
			loc = "/"
		}
		out = append(out, fmt.Sprintf("at %s: %s", loc, e.ErrorKind.LocalizedString(enPrinter)))
	}
	walk(ve)
	return out
}

// closeNames returns up to n names near name: those that contain it or
// that it contains, and those a few edits away, nearest first.
func closeNames(name string, names []string, n int) []string {
	type cand struct {
		name string
		d    int
	}
	var cs []cand
	lname := strings.ToLower(name)
	limit := max(2, len(name)/3)
	for _, x := range names {
		lx := strings.ToLower(x)
		d := editDistance(lname, lx)
		if lname != "" && (strings.Contains(lx, lname) || strings.Contains(lname, lx)) {
			d = min(d, 1)
		}
		if d <= limit {
			cs = append(cs, cand{x, d})
		}
	}
	sort.SliceStable(cs, func(i, j int) bool { return cs[i].d < cs[j].d })
	out := make([]string, 0, n)
	for _, c := range cs {
		if len(out) == n {
			break
		}
		out = append(out, c.name)
	}
	return out
}

// editDistance is the Levenshtein distance of a and b (tool names are
// short: at most a few dozen bytes each, bounded by the list's size).
func editDistance(a, b string) int {
	if len(a) > 128 || len(b) > 128 {
		return 1 << 20
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
