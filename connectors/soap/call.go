package soap

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/antchfx/xmlquery"

	"github.com/weftworks/weft/connectors/internal/httpcall"
	"github.com/weftworks/weft/connectors/internal/input"
	"github.com/weftworks/weft/step"
)

type caller struct{ spec step.Spec }

var _ step.Handler = caller{}

// maxXMLOutput is the largest Body echoed as text in the output.
const maxXMLOutput = 64 << 10

func (c caller) Run(ctx context.Context, req *step.Request) (step.Result, error) {
	in := input.New(&c.spec, req.With)
	endpoint, err := in.String("endpoint")
	if err != nil {
		return step.Result{}, err
	}
	if u, perr := url.Parse(endpoint); perr != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return step.Result{}, input.Invalid("endpoint", "must be an absolute http:// or https:// URL")
	}
	version := "1.1"
	if in.Has("version") {
		if version, err = in.String("version"); err != nil {
			return step.Result{}, err
		}
		if version != "1.1" && version != "1.2" {
			return step.Result{}, input.Invalid("version", "must be 1.1 or 1.2")
		}
	}
	var action, ns, sel, connection string
	for name, dst := range map[string]*string{"action": &action, "namespace": &ns, "select": &sel, "connection": &connection} {
		if in.Has(name) {
			if *dst, err = in.String(name); err != nil {
				return step.Result{}, err
			}
		}
	}
	body, err := content(req.With["body"], ns, "body")
	if err != nil {
		return step.Result{}, err
	}
	header := ""
	if h, ok := req.With["header"]; ok && h != nil {
		if header, err = content(h, "", "header"); err != nil {
			return step.Result{}, err
		}
	}
	tok, err := c.token(ctx, req)
	if err != nil {
		return step.Result{}, err
	}
	now := time.Now
	if req.Env != nil && req.Env.Now != nil {
		now = req.Env.Now
	}
	doc, err := envelope(version, header, body, tok, now())
	if err != nil {
		return step.Result{}, err
	}
	timeout, maxBytes := 30*time.Second, int64(DefaultMaxResponseBytes)
	if in.Has("timeout") {
		if timeout, err = in.Duration("timeout"); err != nil {
			return step.Result{}, err
		}
	}
	if in.Has("max_response_bytes") {
		n, err := in.Int("max_response_bytes")
		if err != nil || n < 1 {
			return step.Result{}, input.Invalid("max_response_bytes", "must be a whole number of at least 1")
		}
		maxBytes = int64(n)
	}
	rctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	hreq, err := http.NewRequestWithContext(rctx, http.MethodPost, endpoint, strings.NewReader(doc))
	if err != nil {
		return step.Result{}, input.Invalid("endpoint", "%v", err)
	}
	if version == "1.1" {
		hreq.Header.Set("Content-Type", "text/xml; charset=utf-8")
		hreq.Header.Set("SOAPAction", `"`+action+`"`)
	} else {
		ct := "application/soap+xml; charset=utf-8"
		if action != "" {
			ct += `; action="` + action + `"`
		}
		hreq.Header.Set("Content-Type", ct)
	}
	if in.Has("headers") {
		h, err := in.StringMap("headers")
		if err != nil {
			return step.Result{}, err
		}
		for k, v := range h {
			hreq.Header.Set(k, v)
		}
	}
	resp, herr := httpcall.Do(rctx, req, Type, connection, hreq, maxBytes)
	if resp == nil {
		return step.Result{}, step.WithConnectionRetry(ctx, req, connection, herr)
	}
	root, perr := parse(resp.Body)
	if perr != nil {
		if herr != nil {
			return step.Result{}, step.WithConnectionRetry(ctx, req, connection, herr)
		}
		return step.Result{}, step.Errorf("soap_response", "soap.call: %s answered %d with XML that cannot be read: %v", hreq.URL.Host, resp.Status, perr)
	}
	bodyNode := xmlquery.FindOne(root, "/*[local-name()='Envelope']/*[local-name()='Body']")
	if bodyNode == nil {
		return step.Result{}, step.Errorf("soap_response", "soap.call: %s answered %d without a SOAP Body: %s", hreq.URL.Host, resp.Status, httpcall.Snippet(resp.Body))
	}
	if f := xmlquery.FindOne(bodyNode, "*[local-name()='Fault']"); f != nil {
		return step.Result{}, faultError(f)
	}
	if herr != nil {
		return step.Result{}, step.WithConnectionRetry(ctx, req, connection, herr)
	}
	if resp.Status < 200 || resp.Status > 299 {
		return step.Result{}, step.Errorf(fmt.Sprintf("http_%d", resp.Status), "soap.call: %s answered %d: %s", hreq.URL.Host, resp.Status, httpcall.Snippet(resp.Body))
	}
	result, err := selectJSON(bodyNode, sel)
	if err != nil {
		return step.Result{}, err
	}
	out := map[string]any{"result": result, "status": resp.Status}
	if x := bodyNode.OutputXML(false); len(x) <= maxXMLOutput {
		out["xml"] = x
	}
	return step.Result{Output: out}, nil
}

// content is the body or header: an object turned into escaped XML, or
// XML text as given.
func content(v any, ns, field string) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case map[string]any:
		s, err := toXML(x, ns)
		if err != nil {
			return "", input.Invalid(field, "%v", err)
		}
		return s, nil
	case nil:
		return "", input.Invalid(field, "is required")
	}
	return "", input.Invalid(field, "must be an object (element name to content) or XML text")
}

func (c caller) token(ctx context.Context, req *step.Request) (*usernameToken, error) {
	ws, ok := req.With["ws_security"].(map[string]any)
	if !ok {
		return nil, nil
	}
	name, _ := ws["credential"].(string)
	if name == "" {
		return nil, input.Invalid("ws_security.credential", "is required: a basic credential with username and password")
	}
	kind, _ := ws["password_type"].(string)
	if kind == "" {
		kind = "PasswordDigest"
	}
	if kind != "PasswordText" && kind != "PasswordDigest" {
		return nil, input.Invalid("ws_security.password_type", "must be PasswordText or PasswordDigest")
	}
	if req.Env == nil || req.Env.Connections == nil {
		return nil, step.Errorf(input.CodeValidation, "soap.call: ws_security.credential %q is set but this Weft has no credential vault", name)
	}
	cred, err := req.Env.Connections.Get(ctx, req.Workflow, name)
	if err != nil {
		return nil, &step.CodedError{Code: "credential", Err: fmt.Errorf("soap.call: %w", err)}
	}
	if cred.Data["username"] == "" || cred.Data["password"] == "" {
		return nil, step.Errorf("credential", "soap.call: credential %q has no username and password; WS-Security needs a basic credential", name)
	}
	return &usernameToken{username: cred.Data["username"], password: cred.Data["password"], digest: kind == "PasswordDigest"}, nil
}

// errDTD refuses document type declarations: SOAP forbids them, and they
// are where entity expansion attacks live.
var errDTD = errors.New("the answer holds a document type declaration (<!DOCTYPE), which SOAP forbids")

// parse reads a bounded answer. Go's XML decoder never expands entities a
// DTD declares; DTDs are refused outright anyway.
func parse(b []byte) (*xmlquery.Node, error) {
	if bytes.Contains(b, []byte("<!DOCTYPE")) || bytes.Contains(b, []byte("<!ENTITY")) {
		return nil, errDTD
	}
	return xmlquery.Parse(bytes.NewReader(b))
}

// faultError turns a SOAP 1.1 or 1.2 Fault into a step error.
func faultError(f *xmlquery.Node) error {
	text := func(xpath string) string {
		if n := xmlquery.FindOne(f, xpath); n != nil {
			return strings.TrimSpace(n.InnerText())
		}
		return ""
	}
	code := text("*[local-name()='faultcode']")
	msg := text("*[local-name()='faultstring']")
	if code == "" { // SOAP 1.2
		code = text("*[local-name()='Code']/*[local-name()='Value']")
		if sub := text("*[local-name()='Code']/*[local-name()='Subcode']/*[local-name()='Value']"); sub != "" {
			code += "/" + sub
		}
		msg = text("*[local-name()='Reason']/*[local-name()='Text']")
	}
	return &step.CodedError{Code: "soap_fault", Err: fmt.Errorf("soap.call: fault %s: %s", code, msg)}
}

// selectJSON converts the nodes at sel (default: the Body's first element)
// to JSON values.
func selectJSON(body *xmlquery.Node, sel string) (any, error) {
	var nodes []*xmlquery.Node
	if sel == "" {
		if n := xmlquery.FindOne(body, "*[1]"); n != nil {
			nodes = []*xmlquery.Node{n}
		}
	} else {
		var err error
		if nodes, err = xmlquery.QueryAll(body, sel); err != nil {
			return nil, input.Invalid("select", "is not an XPath expression: %v", err)
		}
	}
	out := make([]any, 0, len(nodes))
	for _, n := range nodes {
		v, err := toJSON(n, 0)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	switch len(out) {
	case 0:
		return nil, nil
	case 1:
		if sel == "" {
			return map[string]any{nodes[0].Data: out[0]}, nil
		}
		return out[0], nil
	}
	return out, nil
}

// toJSON converts an element: text only becomes a string; otherwise an
// object of attributes ("@name"), children by local name (repeated ones
// as lists) and "#text" for text beside children.
func toJSON(n *xmlquery.Node, depth int) (any, error) {
	if depth > MaxDepth {
		return nil, step.Errorf("soap_response", "soap.call: the answer is nested deeper than %d elements", MaxDepth)
	}
	switch n.Type {
	case xmlquery.TextNode, xmlquery.CharDataNode:
		return n.Data, nil
	case xmlquery.AttributeNode:
		return n.InnerText(), nil
	}
	obj := map[string]any{}
	var text strings.Builder
	hasChild := false
	for _, a := range n.Attr {
		if a.Name.Space == "xmlns" || a.Name.Local == "xmlns" {
			continue
		}
		obj["@"+a.Name.Local] = a.Value
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		switch c.Type {
		case xmlquery.TextNode, xmlquery.CharDataNode:
			text.WriteString(c.Data)
		case xmlquery.ElementNode:
			hasChild = true
			v, err := toJSON(c, depth+1)
			if err != nil {
				return nil, err
			}
			// An element converts to a string or an object, never a
			// list, so a list here means the name repeated.
			switch prev := obj[c.Data].(type) {
			case nil:
				obj[c.Data] = v
			case []any:
				obj[c.Data] = append(prev, v)
			default:
				obj[c.Data] = []any{prev, v}
			}
		}
	}
	t := strings.TrimSpace(text.String())
	if !hasChild && len(obj) == 0 {
		return t, nil
	}
	if t != "" {
		obj["#text"] = t
	}
	return obj, nil
}
