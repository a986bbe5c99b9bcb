package apps

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

var (
	nameRE  = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	paramRE = regexp.MustCompile(`\{([^}]*)\}`)
)

// maxIcon bounds an app's icon: the palette shows it small.
const maxIcon = 4 << 10

// Reserved inputs every operation step has; no operation input may use
// these names.
var reserved = []string{"connection", "paginate", "max_pages", "timeout"}

// credential kinds an app may accept (credential.Types names them).
var authKinds = []string{"api_key", "basic", "bearer", "custom", "jwt", "oauth2_client_credentials", "oauth2_code", "oauth2_jwt_bearer", "none"}

// Validate checks an app spec; errors name the app, the operation and the
// key, and say how to fix it.
func (a *App) Validate() error {
	if !nameRE.MatchString(a.Name) {
		return fmt.Errorf("app name %q: use lower-case letters, digits and underscores, starting with a letter", a.Name)
	}
	where := "app " + a.Name
	if a.Title == "" {
		return fmt.Errorf("%s: title is empty", where)
	}
	if len(a.Icon) > maxIcon || !strings.Contains(a.Icon, "<svg") {
		return fmt.Errorf("%s: icon must be an SVG document of at most %d bytes", where, maxIcon)
	}
	if err := absURL(a.BaseURL); err != nil {
		return fmt.Errorf("%s: base_url: %w", where, err)
	}
	if a.Docs != "" {
		if err := absURL(a.Docs); err != nil {
			return fmt.Errorf("%s: docs: %w", where, err)
		}
	}
	if len(a.Auth) == 0 {
		return fmt.Errorf("%s: auth lists no credential kind; add at least one (bearer, api_key, oauth2_code, ...)", where)
	}
	for i, au := range a.Auth {
		if !slices.Contains(authKinds, au.Kind) {
			return fmt.Errorf("%s: auth[%d]: kind %q is not one of %v", where, i, au.Kind, authKinds)
		}
	}
	if !strings.HasPrefix(a.Test.Path, "/") {
		return fmt.Errorf("%s: test.path %q must start with /", where, a.Test.Path)
	}
	if err := bodyKind(a.Body); err != nil {
		return fmt.Errorf("%s: body: %w", where, err)
	}
	if len(a.Operations) == 0 {
		return fmt.Errorf("%s: no operations", where)
	}
	ids := map[string]bool{}
	for i := range a.Operations {
		op := &a.Operations[i]
		if op.ID == TestOperation {
			return fmt.Errorf("%s: operation id %q is reserved for the test call (declared under test:)", where, op.ID)
		}
		if ids[op.ID] {
			return fmt.Errorf("%s: operation %q declared twice", where, op.ID)
		}
		ids[op.ID] = true
		if err := op.validate(); err != nil {
			return fmt.Errorf("%s: operation %q: %w", where, op.ID, err)
		}
	}
	return nil
}

func (op *Operation) validate() error {
	if !nameRE.MatchString(op.ID) {
		return fmt.Errorf("id: use lower-case letters, digits and underscores")
	}
	if op.Title == "" {
		return fmt.Errorf("title is empty")
	}
	switch op.Method {
	case "GET", "POST", "PUT", "PATCH", "DELETE":
	default:
		return fmt.Errorf("method %q: use GET, POST, PUT, PATCH or DELETE", op.Method)
	}
	if !strings.HasPrefix(op.Path, "/") && absURL(op.Path) != nil {
		return fmt.Errorf("path %q must start with / (or be an absolute URL)", op.Path)
	}
	if err := bodyKind(op.Body); err != nil {
		return fmt.Errorf("body: %w", err)
	}
	seen := map[string]string{}
	for _, part := range []struct {
		in string
		s  *Schema
	}{{"path", op.Inputs.Path}, {"query", op.Inputs.Query}, {"header", op.Inputs.Header}, {"body", op.Inputs.Body}} {
		if part.s == nil {
			continue
		}
		if part.s.Type != "" && part.s.Type != "object" {
			return fmt.Errorf("inputs.%s: must be a JSON Schema of type object", part.in)
		}
		for _, r := range part.s.Required {
			if part.s.Properties[r] == nil {
				return fmt.Errorf("inputs.%s: required names %q, which is not a property", part.in, r)
			}
		}
		for name, p := range part.s.Properties {
			if !nameRE.MatchString(name) {
				return fmt.Errorf("inputs.%s.%s: input names are snake_case; keep the provider's name in wire: (wire: %s)", part.in, name, name)
			}
			if slices.Contains(reserved, name) {
				return fmt.Errorf("inputs.%s.%s: the name is reserved for every operation (%v); rename it", part.in, name, reserved)
			}
			if prev, dup := seen[name]; dup {
				return fmt.Errorf("inputs.%s.%s: also declared in inputs.%s; input names are unique across path, query, header and body", part.in, name, prev)
			}
			seen[name] = part.in
			if err := p.validate(); err != nil {
				return fmt.Errorf("inputs.%s.%s: %w", part.in, name, err)
			}
		}
	}
	for _, m := range paramRE.FindAllStringSubmatch(op.Path, -1) {
		if seen[m[1]] != "path" {
			return fmt.Errorf("path %q names {%s}, which is not in inputs.path", op.Path, m[1])
		}
	}
	if op.Inputs.Path != nil {
		for name := range op.Inputs.Path.Properties {
			if !strings.Contains(op.Path, "{"+name+"}") {
				return fmt.Errorf("inputs.path.%s is not used in path %q", name, op.Path)
			}
			if !slices.Contains(op.Inputs.Path.Required, name) {
				return fmt.Errorf("inputs.path.%s: path inputs must be required", name)
			}
		}
	}
	if op.BodyFrom != "" && seen[op.BodyFrom] != "body" {
		return fmt.Errorf("body_from names %q, which is not in inputs.body", op.BodyFrom)
	}
	if p := op.Paginate; p != nil {
		if err := p.validate(op, seen); err != nil {
			return fmt.Errorf("paginate: %w", err)
		}
	}
	return nil
}

func (p *Pagination) validate(op *Operation, inputs map[string]string) error {
	if op.Method != "GET" && !(op.Method == "POST" && p.In == "body") && p.Style != PageNextURL {
		return fmt.Errorf("a %s operation can page only with its cursor in the body (in: body) or by next_url", op.Method)
	}
	switch p.In {
	case "", "query", "body":
	default:
		return fmt.Errorf("in %q: use query or body", p.In)
	}
	switch p.Style {
	case PageCursor:
		if p.Param == "" || (p.Cursor == "" && p.CursorFromLast == "") {
			return fmt.Errorf("style cursor needs param and cursor (or cursor_from_last)")
		}
	case PageOffset, PagePage:
		if p.Param == "" {
			return fmt.Errorf("style %s needs param", p.Style)
		}
		if p.Style == PageOffset && p.SizeParam == "" {
			return fmt.Errorf("style offset needs size_param")
		}
	case PageNextURL:
		if p.Cursor == "" {
			return fmt.Errorf("style next_url needs cursor (the path of the next URL)")
		}
	case PageLink:
	default:
		return fmt.Errorf("style %q: use cursor, link, offset, page or next_url", p.Style)
	}
	return nil
}

func (s *Schema) validate() error {
	switch s.Type {
	case "string", "integer", "number", "boolean", "object", "array", "":
	default:
		return fmt.Errorf("type %q: use string, integer, number, boolean, object or array", s.Type)
	}
	if len(s.Description) < 10 {
		return fmt.Errorf("description is missing or shorter than 10 characters; say what the value is")
	}
	for name, p := range s.Properties {
		if err := p.validate(); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	return nil
}

func bodyKind(s string) error {
	switch s {
	case "", "json", "form", "raw":
		return nil
	}
	return fmt.Errorf("%q: use json, form or raw", s)
}

func absURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("%q is not an absolute http(s) URL", s)
	}
	return nil
}
