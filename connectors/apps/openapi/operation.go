package openapi

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/weftworks/weft/connectors/apps"
)

// methods Weft calls, in the order operations of one path are listed.
var methods = []string{"GET", "POST", "PUT", "PATCH", "DELETE"}

// reserved are the inputs every operation step has (apps' reserved list).
var reserved = []string{"connection", "paginate", "max_pages", "timeout"}

// skippedHeaders are parameters the credential or the HTTP client sets.
var skippedHeaders = []string{"accept", "authorization", "content-type", "content-length", "user-agent", "cookie"}

// idempotencyHeaders, declared as a header parameter, carry the step run's
// stable key instead of being an input.
var idempotencyHeaders = []string{"idempotency-key", "x-idempotency-key"}

// operations converts every path's operations, in path order.
func (c *converter) operations(ctx context.Context) ([]apps.Operation, error) {
	if c.doc.Paths == nil {
		return nil, nil
	}
	paths := c.doc.Paths.Map()
	keys := make([]string, 0, len(paths))
	for k := range paths {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []apps.Operation
	ids := map[string]bool{}
	for _, path := range keys {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		item := paths[path]
		if item == nil {
			continue
		}
		var other []string
		for m, op := range item.Operations() {
			if op != nil && !slices.Contains(methods, m) {
				other = append(other, m)
			}
		}
		sort.Strings(other)
		for _, m := range other {
			c.warnf("%s %s: method %s is not supported; left out", m, path, m)
		}
		for _, m := range methods {
			op := item.GetOperation(m)
			if op == nil {
				continue
			}
			if len(out) >= c.opts.MaxOperations {
				return nil, fmt.Errorf("the document declares more than %d operations; split it or raise the limit: %w", c.opts.MaxOperations, ErrTooLarge)
			}
			o, ok := c.operation(path, m, item, op)
			if !ok {
				continue
			}
			o.ID = unique(ids, o.ID)
			out = append(out, o)
		}
	}
	return out, nil
}

// unique returns id, or id_2, id_3, ... when taken, and records it.
func unique(ids map[string]bool, id string) string {
	out := id
	for n := 2; ids[out]; n++ {
		out = id + "_" + strconv.Itoa(n)
	}
	ids[out] = true
	return out
}

// operation converts one operation; false leaves it out (with a warning).
func (c *converter) operation(path, method string, item *openapi3.PathItem, op *openapi3.Operation) (apps.Operation, bool) {
	where := method + " " + path
	c.where, c.opNodes, c.opCut = where, 0, false
	o := apps.Operation{Method: method, Path: path}
	o.ID = operationID(op.OperationID, method, path)
	o.Title = oneLine(strings.TrimSuffix(strings.TrimSpace(op.Summary), "."), 120)
	if o.Title == "" {
		o.Title = humanize(o.ID)
	}
	o.Description = summary(op.Description, 300)
	if o.Description == o.Title {
		o.Description = ""
	}
	taken := map[string]string{}
	for _, p := range mergeParams(item.Parameters, op.Parameters) {
		c.param(where, &o, p, taken)
	}
	for _, m := range paramRE.FindAllStringSubmatch(path, -1) {
		if taken[m[1]] != "path" {
			// A path template without its parameter: declare it, the call
			// cannot be made without it.
			c.warnf("%s: path parameter %q is not declared; added as a string", where, m[1])
			c.addInput(&o, "path", m[1], &apps.Schema{Type: "string", Description: describe("", m[1])}, true)
			taken[m[1]] = "path"
		}
	}
	if rb := op.RequestBody; rb != nil && rb.Value != nil {
		c.body(where, &o, rb.Value, taken)
	}
	switch method {
	case "PUT", "DELETE":
		if o.Idempotency == nil {
			o.Idempotency = &apps.Idempotency{Safe: true}
		}
	}
	if method == "GET" {
		o.Paginate = c.pagination(&o, op)
	}
	return o, true
}

// mergeParams returns the path item's parameters overridden by the
// operation's (same name and location).
func mergeParams(item, op openapi3.Parameters) []*openapi3.Parameter {
	var out []*openapi3.Parameter
	index := map[string]int{}
	for _, list := range []openapi3.Parameters{item, op} {
		for _, ref := range list {
			if ref == nil || ref.Value == nil {
				continue
			}
			p := ref.Value
			key := p.In + " " + p.Name
			if i, ok := index[key]; ok {
				out[i] = p
				continue
			}
			index[key] = len(out)
			out = append(out, p)
		}
	}
	return out
}

// param adds one parameter as an input.
func (c *converter) param(where string, o *apps.Operation, p *openapi3.Parameter, taken map[string]string) {
	switch p.In {
	case "path", "query", "header":
	default:
		c.warnf("%s: %s parameter %q is not supported; left out", where, p.In, p.Name)
		return
	}
	if p.In == "header" {
		lower := strings.ToLower(p.Name)
		if slices.Contains(idempotencyHeaders, lower) {
			o.Idempotency = &apps.Idempotency{Header: p.Name}
			return
		}
		if slices.Contains(skippedHeaders, lower) {
			return
		}
	}
	if !c.free(where, p.In, p.Name, taken) {
		return
	}
	var sref *openapi3.SchemaRef = p.Schema
	if sref == nil {
		for _, mt := range p.Content {
			if mt != nil && mt.Schema != nil {
				sref = mt.Schema
				break
			}
		}
	}
	s := c.schema(sref, 1)
	if d := summary(p.Description, 300); d != "" {
		s.Description = d
	}
	s.Description = describe(s.Description, p.Name)
	if p.Example != nil && isScalar(p.Example) {
		s.Example = p.Example
	}
	if p.Deprecated {
		s.Description = "Deprecated. " + s.Description
	}
	c.addInput(o, p.In, p.Name, s, p.Required || p.In == "path")
	taken[p.Name] = p.In
}

// free says whether name may become an input, warning when it cannot.
func (c *converter) free(where, in, name string, taken map[string]string) bool {
	if slices.Contains(reserved, name) {
		c.warnf("%s: %s input %q has a name every step reserves (%v); left out", where, in, name, reserved)
		return false
	}
	if prev, dup := taken[name]; dup {
		c.warnf("%s: %s input %q is also a %s input; the %s one is kept", where, in, name, prev, prev)
		return false
	}
	if name == "" {
		c.warnf("%s: a %s input without a name; left out", where, in)
		return false
	}
	return true
}

func (c *converter) addInput(o *apps.Operation, in, name string, s *apps.Schema, required bool) {
	var part **apps.Schema
	switch in {
	case "path":
		part = &o.Inputs.Path
	case "query":
		part = &o.Inputs.Query
	case "header":
		part = &o.Inputs.Header
	default:
		part = &o.Inputs.Body
	}
	// Step inputs are snake_case; the provider's name stays on the wire
	// (a path template is Weft's own, so its placeholder is renamed).
	key := inputKey(name)
	if slices.Contains(reserved, key) {
		c.warnf("%s %s: %s input %q has a name every step reserves (%v); left out", o.Method, o.Path, in, name, reserved)
		return
	}
	for _, other := range []*apps.Schema{o.Inputs.Path, o.Inputs.Query, o.Inputs.Header, o.Inputs.Body} {
		if other != nil && other.Properties[key] != nil {
			c.warnf("%s %s: %s input %q is named %q like another input; left out", o.Method, o.Path, in, name, key)
			return
		}
	}
	if key != name {
		if in == "path" {
			o.Path = strings.ReplaceAll(o.Path, "{"+name+"}", "{"+key+"}")
		} else {
			s.Wire = name
		}
	}
	if *part == nil {
		*part = &apps.Schema{Type: "object", Properties: map[string]*apps.Schema{}}
	}
	(*part).Properties[key] = s
	(*part).Order = append((*part).Order, key)
	if required {
		(*part).Required = append((*part).Required, key)
	}
}

// inputKey is the snake_case step input for a provider's parameter or
// property name: petId is pet_id, X-Request-ID is x_request_id, 2fa is
// n_2fa.
func inputKey(name string) string {
	key := snake(name)
	if key == "" {
		key = "input"
	}
	if key[0] < 'a' || key[0] > 'z' {
		key = "n_" + key
	}
	return key
}

// body adds the request body's inputs: the properties of a JSON or form
// object, or one raw `body` input for anything else.
func (c *converter) body(where string, o *apps.Operation, rb *openapi3.RequestBody, taken map[string]string) {
	kind, mt := pickContent(rb.Content)
	if mt == nil {
		if len(rb.Content) > 0 {
			c.warnf("%s: request body types %v are not supported; the body is left out", where, contentTypes(rb.Content))
		}
		return
	}
	s := c.schema(mt.Schema, 0)
	if kind != "raw" && s.Type == "object" && len(s.Properties) > 0 {
		if kind == "form" {
			o.Body = "form"
		}
		for _, name := range s.Order {
			if !c.free(where, "body", name, taken) {
				continue
			}
			c.addInput(o, "body", name, s.Properties[name], slices.Contains(s.Required, name) && rb.Required)
			taken[name] = "body"
		}
		return
	}
	// Anything else is sent as given: JSON text, or the form or text the
	// step writes.
	if !c.free(where, "body", "body", taken) {
		return
	}
	o.Body = "raw"
	desc := "The request body, sent as it is"
	if kind == "json" {
		desc = "The request body as JSON text (a template such as {{ toJSON(x) }} writes one)"
	}
	if s.Description != "" {
		desc += ": " + s.Description
	}
	c.addInput(o, "body", "body", &apps.Schema{Type: "string", Description: desc + "."}, rb.Required)
	taken["body"] = "body"
}

// pickContent chooses the body's media type: JSON first, then a form, then
// any text.
func pickContent(content openapi3.Content) (string, *openapi3.MediaType) {
	types := contentTypes(content)
	for _, pass := range []struct {
		kind  string
		match func(string) bool
	}{
		{"json", func(t string) bool { return t == "application/json" || strings.HasSuffix(t, "+json") }},
		{"form", func(t string) bool { return t == "application/x-www-form-urlencoded" }},
		{"raw", func(t string) bool {
			return strings.HasPrefix(t, "text/") || t == "application/octet-stream" || t == "*/*"
		}},
	} {
		for _, t := range types {
			if pass.match(strings.ToLower(strings.TrimSpace(strings.Split(t, ";")[0]))) && content[t] != nil {
				return pass.kind, content[t]
			}
		}
	}
	return "", nil
}

func contentTypes(content openapi3.Content) []string {
	out := make([]string, 0, len(content))
	for t := range content {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

var (
	paramRE = regexp.MustCompile(`\{([^}]*)\}`)
	wordRE  = regexp.MustCompile(`[A-Z]+[a-z0-9]*|[a-z0-9]+|[A-Z]+`)
	upperRE = regexp.MustCompile(`([A-Z]+)([A-Z][a-z])`)
	lowerRE = regexp.MustCompile(`([a-z0-9])([A-Z])`)
)

// maxID bounds an operation id.
const maxID = 64

// operationID returns the snake_case operationId, or one made of the
// method and the path: GET /pets/{petId} is get_pets_by_pet_id.
func operationID(opID, method, path string) string {
	id := snake(opID)
	if id == "" {
		var parts []string
		parts = append(parts, strings.ToLower(method))
		for _, seg := range strings.Split(path, "/") {
			if seg == "" {
				continue
			}
			if m := paramRE.FindStringSubmatch(seg); m != nil {
				parts = append(parts, "by", snake(m[1]))
				continue
			}
			parts = append(parts, snake(seg))
		}
		id = snake(strings.Join(parts, "_"))
	}
	if id == "" || id[0] < 'a' || id[0] > 'z' {
		id = "op_" + id
	}
	if len(id) > maxID {
		id = strings.TrimRight(id[:maxID], "_")
	}
	return id
}

// snake writes s in lower snake_case: listPets, list-pets, ListPETs and
// "repos/get-content" become list_pets, list_pets, list_pets and
// repos_get_content.
func snake(s string) string {
	s = upperRE.ReplaceAllString(s, "${1}_${2}")
	s = lowerRE.ReplaceAllString(s, "${1}_${2}")
	words := wordRE.FindAllString(s, -1)
	for i, w := range words {
		words[i] = strings.ToLower(w)
	}
	return strings.Join(words, "_")
}

// humanize makes a title of an id: list_pets is "List pets".
func humanize(id string) string {
	s := strings.ReplaceAll(id, "_", " ")
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
