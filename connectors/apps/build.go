package apps

import (
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/weftworks/weft/connectors/internal/input"
	"github.com/weftworks/weft/step"
)

// safeRetryHeader carries the step run's key on operations that are safe to
// repeat but use POST or PATCH (an upsert): http.request retries a call that
// carries a key, and the provider ignores the header.
const safeRetryHeader = "X-Weft-Idempotency-Key"

// build turns the step's inputs into the `with:` of one http.request call
// for the current page.
func (o *operation) build(with map[string]any, base *url.URL, conn string, in input.Reader, st *pageState) (map[string]any, error) {
	op, p := o.op, o.op.Paginate
	method := op.Method
	var target string
	continued := st.Pages > 0 && p != nil
	if continued && (p.Style == PageLink || p.Style == PageNextURL) {
		next, err := sameOrigin(base, st.Cursor)
		if err != nil {
			return nil, &step.CodedError{Code: CodePaginationLoop, Err: fmt.Errorf("%s: %w", o.spec.Type, err)}
		}
		method, target = "GET", next
	} else {
		path, err := o.path(with)
		if err != nil {
			return nil, err
		}
		if strings.HasPrefix(path, "http://") || strings.HasPrefix(path, "https://") {
			target = path
		} else {
			target = base.String() + path
		}
	}
	call := map[string]any{
		"method":     method,
		"url":        target,
		"credential": conn,
	}
	if t, ok := with["timeout"]; ok && t != nil {
		call["timeout"] = t
	}
	accept := []any{"2xx"}
	for _, s := range op.Accept {
		accept = append(accept, s)
	}
	call["accept_status"] = accept
	switch {
	case op.Idempotency != nil && op.Idempotency.Header != "":
		call["idempotency_header"] = op.Idempotency.Header
	case op.Idempotency != nil && op.Idempotency.Safe:
		call["idempotency_header"] = safeRetryHeader
	default:
		call["idempotency_header"] = ""
	}
	headers := map[string]any{}
	for k, v := range o.app.Headers {
		headers[k] = v
	}
	for k, v := range present(with, op.Inputs.Header) {
		headers[k] = v
	}
	if len(headers) > 0 {
		call["headers"] = headers
	}
	if continued && (p.Style == PageLink || p.Style == PageNextURL) {
		return call, nil // the next URL carries its query
	}
	query := flatten(present(with, op.Inputs.Query))
	body := present(with, op.Inputs.Body)
	if continued {
		var cur any = st.Cursor
		if p.Style == PageOffset || p.Style == PagePage {
			n, _ := strconv.Atoi(st.Cursor)
			cur = n
		}
		if p.In == "body" {
			body[p.Param] = cur
		} else {
			query[p.Param] = cur
		}
	}
	if len(query) > 0 {
		call["query"] = query
	}
	if method == "GET" || (method == "DELETE" && len(body) == 0) {
		return call, nil
	}
	var payload any = body
	switch {
	case op.BodyFrom != "":
		payload = body[op.BodyFrom]
		if payload == nil {
			payload = map[string]any{}
		}
	case strings.HasSuffix(op.BodyKey, "[]"):
		payload = map[string]any{strings.TrimSuffix(op.BodyKey, "[]"): []any{body}}
	case op.BodyKey != "":
		payload = map[string]any{op.BodyKey: body}
	}
	if o.prepare != nil {
		prepared, contentType, err := o.prepare(with)
		if err != nil {
			return nil, err
		}
		if text, ok := prepared.(string); ok && contentType != "" {
			headers["Content-Type"] = contentType
			call["headers"] = headers
			call["body"] = text
			return call, nil
		}
		payload = prepared
	}
	switch o.bodyKind() {
	case "form":
		call["form"] = flatten(body)
	case "raw":
		call["body"] = body["body"]
	default:
		call["json"] = payload
	}
	return call, nil
}

func (o *operation) bodyKind() string {
	if o.op.Body != "" {
		return o.op.Body
	}
	if o.app.Body != "" {
		return o.app.Body
	}
	return "json"
}

// path fills the operation's {name} segments, each escaped as one segment.
func (o *operation) path(with map[string]any) (string, error) {
	var err error
	out := paramRE.ReplaceAllStringFunc(o.op.Path, func(m string) string {
		name := m[1 : len(m)-1]
		s, ok := scalar(with[name])
		if !ok || s == "" {
			err = input.Invalid(name, "is required and must be a string or a number")
			return ""
		}
		if p := o.op.Inputs.Path.Properties[name]; p != nil && p.Format == "path" {
			segs := strings.Split(strings.Trim(s, "/"), "/")
			for i, seg := range segs {
				if seg == ".." || seg == "." {
					err = input.Invalid(name, "must not hold . or .. segments")
				}
				segs[i] = url.PathEscape(seg)
			}
			return strings.Join(segs, "/")
		}
		return url.PathEscape(s)
	})
	return out, err
}

// present returns the inputs of part that the step gives.
func present(with map[string]any, part *Schema) map[string]any {
	out := map[string]any{}
	if part == nil {
		return out
	}
	for name, p := range part.Properties {
		if v, ok := with[name]; ok && v != nil {
			if p.Wire != "" {
				name = p.Wire
			}
			out[name] = v
		}
	}
	return out
}

// flatten writes nested objects and lists with bracket keys, the form
// encoding Stripe and other form APIs read: metadata[order]=7, items[0][price]=p.
func flatten(m map[string]any) map[string]any {
	out := map[string]any{}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		flattenInto(out, k, m[k])
	}
	return out
}

func flattenInto(out map[string]any, key string, v any) {
	switch x := v.(type) {
	case map[string]any:
		for k, sub := range x {
			flattenInto(out, key+"["+k+"]", sub)
		}
	case []any:
		allScalar := true
		for _, e := range x {
			if _, ok := scalar(e); !ok {
				allScalar = false
			}
		}
		if allScalar && len(x) > 0 {
			for i, e := range x {
				s, _ := scalar(e)
				out[fmt.Sprintf("%s[%d]", key, i)] = s
			}
			return
		}
		for i, e := range x {
			flattenInto(out, fmt.Sprintf("%s[%d]", key, i), e)
		}
	default:
		if s, ok := scalar(v); ok {
			out[key] = s
		}
	}
}

func scalar(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case bool:
		return strconv.FormatBool(x), true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	case int:
		return strconv.Itoa(x), true
	case int64:
		return strconv.FormatInt(x, 10), true
	case nil:
		return "", false
	}
	return "", false
}

// sameOrigin resolves a next-page URL or path against base and refuses one
// on another host: a hostile server must not steer the credential away.
func sameOrigin(base *url.URL, next string) (string, error) {
	u, err := base.Parse(next)
	if err != nil {
		return "", fmt.Errorf("pagination: the next page %q is not a URL: %w", next, err)
	}
	if u.Scheme != base.Scheme || u.Host != base.Host {
		return "", fmt.Errorf("pagination: the provider pointed the next page at %s://%s, not at %s://%s; refusing to send the credential there", u.Scheme, u.Host, base.Scheme, base.Host)
	}
	return u.String(), nil
}
