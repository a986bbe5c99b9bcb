package apps

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/weftworks/weft/connectors/internal/input"
	"github.com/weftworks/weft/step"
)

// operation runs one app operation: each page is one http.request call.
type operation struct {
	app  *App
	op   *Operation
	spec step.Spec
	http step.Handler
	// prepare builds the body where the API needs Go (a MIME message); nil
	// for most operations.
	prepare Prepare
}

// Prepare builds an operation's body from its evaluated inputs: a JSON
// value, or raw text with its content type.
type Prepare func(with map[string]any) (body any, contentType string, err error)

var _ step.Handler = (*operation)(nil)

// CodeApp is the error code of a failure the app reported inside a 2xx
// answer (Slack's {"ok": false}).
const CodeApp = "app_error"

func (o *operation) Run(ctx context.Context, req *step.Request) (step.Result, error) {
	in := input.New(&o.spec, req.With)
	conn, err := in.String("connection")
	if err != nil {
		return step.Result{}, err
	}
	if req.Env == nil || req.Env.Connections == nil {
		return step.Result{}, step.Errorf(input.CodeValidation, "%s: needs connection %q, but this Weft has no credential vault", o.spec.Type, conn)
	}
	settings, err := req.Env.Connections.Settings(ctx, req.Workflow, conn)
	if err != nil {
		return step.Result{}, &step.CodedError{Code: "credential", Err: fmt.Errorf("%s: %w", o.spec.Type, err)}
	}
	base, err := o.app.baseURL(settings)
	if err != nil {
		return step.Result{}, step.Errorf("credential", "%s: connection %q: %v", o.spec.Type, conn, err)
	}
	pg, err := o.pager(in)
	if err != nil {
		return step.Result{}, err
	}
	st, err := restore(req.State)
	if err != nil {
		return step.Result{}, err
	}
	call, err := o.build(req.With, base, conn, in, st)
	if err != nil {
		return step.Result{}, err
	}
	sub := *req
	sub.Type, sub.With, sub.State = "http.request", call, nil
	res, err := o.http.Run(ctx, &sub)
	if err != nil {
		return step.Result{}, o.wrap(err)
	}
	if res.Suspend != nil {
		// Waiting for the connection's rate limit: keep the pages so far.
		res.Suspend.State = st.orNil()
		return res, nil
	}
	resp, _ := res.Output.(map[string]any)
	body := resp["body"]
	if text, ok := body.(string); ok && json.Valid([]byte(text)) {
		// Some servers label JSON as text/plain.
		_ = json.Unmarshal([]byte(text), &body)
		resp["body"] = body
	}
	if err := o.app.checkOK(o.spec.Type, body); err != nil {
		return step.Result{}, err
	}
	if pg == nil {
		if o.op.Output == "$response" {
			return step.Result{Output: resp}, nil
		}
		return step.Result{Output: pick(body, o.op.Output)}, nil
	}
	return o.page(req, pg, st, base, resp)
}

// wrap names the step in an error from http.request, keeping its code and
// whether it is retryable.
func (o *operation) wrap(err error) error {
	msg := strings.Replace(err.Error(), "http.request: ", o.spec.Type+": ", 1)
	var ce *step.CodedError
	code := "step_error"
	if errors.As(err, &ce) {
		code = ce.Code
	}
	out := &step.CodedError{Code: code, Err: errors.New(msg)}
	var re *step.RetryableError
	if errors.As(err, &re) {
		return &step.RetryableError{Err: out, After: re.After, Defaults: re.Defaults}
	}
	return out
}

// baseURL is where paths are resolved: the connection's base_url, else the
// token field the app names (instance_url), else the app's.
func (a *App) baseURL(s step.ConnectionSettings) (*url.URL, error) {
	raw := a.BaseURL
	switch {
	case s.BaseURL != "":
		raw = s.BaseURL
	case a.BaseURLFrom != "" && s.TokenFields[a.BaseURLFrom] != "":
		raw = strings.TrimRight(s.TokenFields[a.BaseURLFrom], "/") + a.BaseURLPath
	}
	u, err := url.Parse(strings.TrimRight(raw, "/"))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("base URL %q is not an absolute http(s) URL; fix the connection's base_url", raw)
	}
	return u, nil
}

// checkOK turns an app-level failure inside a 2xx answer into an error.
func (a *App) checkOK(typ string, body any) error {
	if a.Errors.OKField == "" {
		return nil
	}
	m, ok := body.(map[string]any)
	if !ok {
		return nil
	}
	if v, has := m[a.Errors.OKField]; has && v == false {
		msg, _ := pick(body, a.Errors.Message).(string)
		if msg == "" {
			msg = "unknown error"
		}
		return step.Errorf(CodeApp, "%s: %s answered %s=false: %s", typ, a.Title, a.Errors.OKField, msg)
	}
	return nil
}

// pick returns the part of v at a dotted path ("" : v itself; missing: nil).
func pick(v any, path string) any {
	if path == "" {
		return v
	}
	for _, k := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			v = x[k]
		case []any:
			i, err := strconv.Atoi(k)
			if err != nil || i < 0 || i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

// restore reads the pagination state a suspended run left.
func restore(raw json.RawMessage) (*pageState, error) {
	st := &pageState{}
	if len(raw) == 0 || string(raw) == "null" {
		return st, nil
	}
	if err := json.Unmarshal(raw, st); err != nil {
		return nil, step.Errorf("step_error", "reading pagination state: %v", err)
	}
	return st, nil
}
