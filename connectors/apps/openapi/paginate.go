package openapi

import (
	"slices"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/weftworks/weft/connectors/apps"
)

// Names that make a pagination style obvious.
var (
	cursorParams = []string{"cursor", "page_token", "pageToken", "next_token", "nextToken", "after", "continuation_token"}
	cursorFields = []string{"next_cursor", "nextCursor", "next_page_token", "nextPageToken", "next_token", "nextToken", "cursor", "next"}
	sizeParams   = []string{"per_page", "page_size", "pageSize", "limit", "size"}
)

// pagination declares the obvious cases: Stripe's starting_after with
// has_more and data, a cursor parameter answered by a next cursor in the
// body, offset and limit, and a page number. Anything less clear is left
// for the user to add.
func (c *converter) pagination(o *apps.Operation, op *openapi3.Operation) *apps.Pagination {
	q := o.Inputs.Query
	if q == nil {
		return nil
	}
	// Inputs are snake_case (inputKey); the lists hold providers' names.
	has := func(name string) bool { return q.Properties[inputKey(name)] != nil }
	resp := okSchema(op)
	items, arrayBody := listOf(resp)
	switch {
	case has("starting_after") && hasProp(resp, "has_more") && items != "":
		return &apps.Pagination{Style: apps.PageCursor, Items: items, CursorFromLast: "id", Param: "starting_after", HasMore: "has_more"}
	case (items != "" || arrayBody) && firstIn(cursorParams, has) != "":
		if f := firstIn(cursorFields, func(n string) bool { return hasProp(resp, n) }); f != "" {
			return &apps.Pagination{Style: apps.PageCursor, Items: items, Cursor: f, Param: inputKey(firstIn(cursorParams, has))}
		}
	case (items != "" || arrayBody) && has("offset") && firstIn(sizeParams, has) != "":
		return &apps.Pagination{Style: apps.PageOffset, Items: items, Param: "offset", SizeParam: keyOrEmpty(firstIn(sizeParams, has))}
	case (items != "" || arrayBody) && has("page") && q.Properties["page"].Type == "integer":
		return &apps.Pagination{Style: apps.PagePage, Items: items, Param: "page", SizeParam: keyOrEmpty(firstIn(sizeParams, has))}
	}
	return nil
}

// okSchema is the schema of the first 2xx JSON response.
func okSchema(op *openapi3.Operation) *openapi3.Schema {
	if op.Responses == nil {
		return nil
	}
	for _, code := range []string{"200", "201", "2XX", "default"} {
		r := op.Responses.Value(code)
		if r == nil || r.Value == nil {
			continue
		}
		if _, mt := pickContent(r.Value.Content); mt != nil && mt.Schema != nil {
			return mt.Schema.Value
		}
	}
	return nil
}

// listOf names the single array property of an object response, or says
// the response is itself an array.
func listOf(s *openapi3.Schema) (items string, arrayBody bool) {
	if s == nil {
		return "", false
	}
	if s.Type != nil && s.Type.Is("array") {
		return "", true
	}
	for name, p := range s.Properties {
		if p == nil || p.Value == nil || p.Value.Type == nil || !p.Value.Type.Is("array") {
			continue
		}
		if items != "" {
			return "", false // two lists: not obvious
		}
		items = name
	}
	return items, false
}

func hasProp(s *openapi3.Schema, name string) bool {
	return s != nil && s.Properties[name] != nil
}

// keyOrEmpty is inputKey of a name found, "" when none was.
func keyOrEmpty(name string) string {
	if name == "" {
		return ""
	}
	return inputKey(name)
}

func firstIn(names []string, has func(string) bool) string {
	if i := slices.IndexFunc(names, has); i >= 0 {
		return names[i]
	}
	return ""
}
