package graphql

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/weftworks/weft/connectors/internal/httpcall"
	"github.com/weftworks/weft/connectors/internal/input"
	"github.com/weftworks/weft/step"
)

type querier struct{ spec step.Spec }

var _ step.Handler = querier{}

// call is the step's inputs, read once.
type call struct {
	endpoint, query, operation, connection string
	variables                              map[string]any
	headers                                map[string]string
	timeout                                time.Duration
	maxBytes                               int64
	paginate                               *paginate
}

type paginate struct {
	pageInfo, nodes, variable string
	maxPages                  int
}

// response is the GraphQL response envelope.
type response struct {
	Data   any `json:"data"`
	Errors []struct {
		Message string `json:"message"`
		Path    []any  `json:"path"`
	} `json:"errors"`
}

func (q querier) Run(ctx context.Context, req *step.Request) (step.Result, error) {
	c, err := q.read(req)
	if err != nil {
		return step.Result{}, err
	}
	if c.paginate == nil {
		data, status, _, _, err := q.page(ctx, req, c, c.variables, c.maxBytes)
		if err != nil {
			return step.Result{}, err
		}
		return step.Result{Output: map[string]any{"data": data, "status": status}}, nil
	}
	vars := map[string]any{}
	for k, v := range c.variables {
		vars[k] = v
	}
	var (
		items     = []any{}
		data      any
		pages     int
		truncated bool
		left      = c.maxBytes
	)
	for {
		var doc any
		var used int64
		data, _, doc, used, err = q.page(ctx, req, c, vars, left)
		if err != nil {
			return step.Result{}, err
		}
		left -= used
		pages++
		if c.paginate.nodes != "" {
			nodes, ok := lookup(doc, c.paginate.nodes).([]any)
			if !ok && lookup(doc, c.paginate.nodes) != nil {
				return step.Result{}, step.Errorf("graphql_pagination", "graphql.query: paginate.nodes %q is not a list in page %d", c.paginate.nodes, pages)
			}
			items = append(items, nodes...)
		}
		info, ok := lookup(doc, c.paginate.pageInfo).(map[string]any)
		if !ok {
			return step.Result{}, step.Errorf("graphql_pagination", "graphql.query: paginate.page_info %q is not an object in page %d; select pageInfo { endCursor hasNextPage } in the query", c.paginate.pageInfo, pages)
		}
		next, _ := info["hasNextPage"].(bool)
		cursor, _ := info["endCursor"].(string)
		if !next || cursor == "" {
			break
		}
		if pages >= c.paginate.maxPages {
			truncated = true
			break
		}
		if cur, _ := vars[c.paginate.variable].(string); cur == cursor {
			return step.Result{}, step.Errorf("graphql_pagination", "graphql.query: page %d returned the cursor it was given (%q); the server does not advance", pages, cursor)
		}
		vars[c.paginate.variable] = cursor
	}
	return step.Result{Output: map[string]any{"data": data, "items": items, "pages": pages, "truncated": truncated}}, nil
}

// page runs one request and returns its data, status, whole document and
// body size.
func (q querier) page(ctx context.Context, req *step.Request, c *call, vars map[string]any, maxBytes int64) (any, int, any, int64, error) {
	if maxBytes <= 0 {
		return nil, 0, nil, 0, step.Errorf("response_too_large", "graphql.query: the pages so far used all of max_response_bytes (%d)", c.maxBytes)
	}
	payload := map[string]any{"query": c.query}
	if len(vars) > 0 {
		payload["variables"] = vars
	}
	if c.operation != "" {
		payload["operationName"] = c.operation
	}
	body, err := json.Marshal(payload)
	if err != nil {
		return nil, 0, nil, 0, step.Errorf(input.CodeValidation, "graphql.query: variables are not JSON: %v", err)
	}
	rctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	hreq, err := http.NewRequestWithContext(rctx, http.MethodPost, c.endpoint, bytes.NewReader(body))
	if err != nil {
		return nil, 0, nil, 0, step.Errorf(input.CodeValidation, "graphql.query: endpoint: %v", err)
	}
	hreq.Header.Set("Content-Type", "application/json")
	hreq.Header.Set("Accept", "application/graphql-response+json, application/json")
	for k, v := range c.headers {
		hreq.Header.Set(k, v)
	}
	resp, err := httpcall.Do(rctx, req, Type, c.connection, hreq, maxBytes)
	if err != nil {
		return nil, 0, nil, 0, step.WithConnectionRetry(ctx, req, c.connection, err)
	}
	var doc any
	var env response
	if jerr := json.Unmarshal(resp.Body, &env); jerr != nil || json.Unmarshal(resp.Body, &doc) != nil {
		return nil, resp.Status, nil, 0, step.Errorf(fmt.Sprintf("http_%d", resp.Status), "graphql.query: %s answered %d with a body that is not a GraphQL response: %s", hreq.URL.Host, resp.Status, httpcall.Snippet(resp.Body))
	}
	if len(env.Errors) > 0 {
		msgs := make([]string, 0, len(env.Errors))
		for i, e := range env.Errors {
			if i == 10 {
				msgs = append(msgs, fmt.Sprintf("and %d more", len(env.Errors)-10))
				break
			}
			m := e.Message
			if len(e.Path) > 0 {
				m += fmt.Sprintf(" (at %v)", pathString(e.Path))
			}
			msgs = append(msgs, m)
		}
		return nil, resp.Status, nil, 0, step.Errorf("graphql_errors", "graphql.query: the server returned %d error(s): %s", len(env.Errors), strings.Join(msgs, "; "))
	}
	if resp.Status < 200 || resp.Status > 299 {
		return nil, resp.Status, nil, 0, step.Errorf(fmt.Sprintf("http_%d", resp.Status), "graphql.query: %s answered %d: %s", hreq.URL.Host, resp.Status, httpcall.Snippet(resp.Body))
	}
	return env.Data, resp.Status, doc, int64(len(resp.Body)), nil
}

func (q querier) read(req *step.Request) (*call, error) {
	in := input.New(&q.spec, req.With)
	c := &call{timeout: 30 * time.Second, maxBytes: DefaultMaxResponseBytes}
	var err error
	if c.endpoint, err = in.String("endpoint"); err != nil {
		return nil, err
	}
	if u, perr := url.Parse(c.endpoint); perr != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, input.Invalid("endpoint", "must be an absolute http:// or https:// URL")
	}
	if c.query, err = in.String("query"); err != nil {
		return nil, err
	}
	if strings.TrimSpace(c.query) == "" {
		return nil, input.Invalid("query", "is empty")
	}
	if in.Has("operation_name") {
		if c.operation, err = in.String("operation_name"); err != nil {
			return nil, err
		}
	}
	if in.Has("connection") {
		if c.connection, err = in.String("connection"); err != nil {
			return nil, err
		}
	}
	if v, ok := req.With["variables"]; ok && v != nil {
		m, isMap := v.(map[string]any)
		if !isMap {
			return nil, input.Invalid("variables", "must be an object")
		}
		c.variables = m
	}
	if in.Has("headers") {
		if c.headers, err = in.StringMap("headers"); err != nil {
			return nil, err
		}
	}
	if in.Has("timeout") {
		if c.timeout, err = in.Duration("timeout"); err != nil {
			return nil, err
		}
	}
	if in.Has("max_response_bytes") {
		n, err := in.Int("max_response_bytes")
		if err != nil {
			return nil, err
		}
		if n < 1 {
			return nil, input.Invalid("max_response_bytes", "must be at least 1")
		}
		c.maxBytes = int64(n)
	}
	if p, ok := req.With["paginate"].(map[string]any); ok {
		c.paginate = &paginate{variable: "after", maxPages: DefaultMaxPages}
		c.paginate.pageInfo, _ = p["page_info"].(string)
		if c.paginate.pageInfo == "" {
			return nil, input.Invalid("paginate.page_info", "is required: the dot path to pageInfo, like data.repository.issues.pageInfo")
		}
		c.paginate.nodes, _ = p["nodes"].(string)
		if v, _ := p["cursor_variable"].(string); v != "" {
			c.paginate.variable = v
		}
		if v, ok := p["max_pages"]; ok {
			n, isInt := input.ToInt(v)
			if !isInt || n < 1 || n > MaxMaxPages {
				return nil, input.Invalid("paginate.max_pages", "must be a whole number from 1 to %d", MaxMaxPages)
			}
			c.paginate.maxPages = n
		}
	}
	return c, nil
}

// lookup follows a dot path (list indexes as numbers) through a document.
func lookup(doc any, path string) any {
	cur := doc
	for _, part := range strings.Split(path, ".") {
		switch v := cur.(type) {
		case map[string]any:
			cur = v[part]
		case []any:
			var i int
			if _, err := fmt.Sscanf(part, "%d", &i); err != nil || i < 0 || i >= len(v) {
				return nil
			}
			cur = v[i]
		default:
			return nil
		}
	}
	return cur
}

func pathString(p []any) string {
	parts := make([]string, len(p))
	for i, v := range p {
		parts[i] = fmt.Sprint(v)
	}
	return strings.Join(parts, ".")
}
