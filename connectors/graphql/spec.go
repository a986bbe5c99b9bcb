package graphql

import "github.com/weftworks/weft/step"

// Type is the step type.
const Type = "graphql.query"

// Bounds.
const (
	DefaultMaxPages         = 10
	MaxMaxPages             = 1000
	DefaultMaxResponseBytes = 8 << 20
)

// Spec declares graphql.query.
func Spec() step.Spec {
	return step.Spec{
		Type:     Type,
		Title:    "GraphQL query",
		Category: step.CategoryHTTP,
		Description: "POSTs `query` with `variables` and `operation_name` to a GraphQL `endpoint` as JSON. A response whose " +
			"`errors` array is not empty fails the step with the messages (code `graphql_errors`). With `paginate`, the step " +
			"follows `pageInfo.endCursor` while `hasNextPage` is true, passing the cursor as a variable, and collects the " +
			"nodes of every page, up to `max_pages`. 408, 429 and 5xx are retried (Retry-After honoured).",
		Auth: []string{"bearer", "api_key", "basic", "oauth2", "headers"},
		Fields: []step.Field{
			{Name: "endpoint", Type: step.String, Required: true, Example: "https://api.github.com/graphql", Description: "GraphQL endpoint URL."},
			{Name: "query", Type: step.String, Required: true, Example: "query($after: String) { viewer { login } }", Description: "The query or mutation document."},
			{Name: "variables", Type: step.Object, Description: "Variables of the operation."},
			{Name: "operation_name", Type: step.String, Description: "Operation to run when the document holds several."},
			{Name: "headers", Type: step.Object, Description: "Extra request headers."},
			{Name: "connection", Type: step.String, Description: "Connection (credential) whose authentication, client and limits the call uses; see docs/connections.md."},
			{Name: "paginate", Type: step.Object, Description: "Cursor pagination (Relay connections).", Fields: []step.Field{
				{Name: "page_info", Type: step.String, Required: true, Example: "data.repository.issues.pageInfo", Description: "Dot path to the pageInfo object (with endCursor and hasNextPage)."},
				{Name: "nodes", Type: step.String, Example: "data.repository.issues.nodes", Description: "Dot path to the list of each page collected into `items`."},
				{Name: "cursor_variable", Type: step.String, Default: "after", Description: "Variable that receives endCursor."},
				{Name: "max_pages", Type: step.Integer, Default: DefaultMaxPages, Description: "Most pages fetched (at most 1000); the output says `truncated` when more were left."},
			}},
			{Name: "timeout", Type: step.Duration, Default: "30s", Description: "Time limit of each request."},
			{Name: "max_response_bytes", Type: step.Integer, Default: DefaultMaxResponseBytes, Description: "Largest response body, summed over all pages."},
		},
		Output: "`{data, status}`; with `paginate`: `{data, items, pages, truncated}` where `data` is the last page's data.",
		Example: `- id: issues
  uses: graphql.query
  with:
    endpoint: https://api.github.com/graphql
    connection: github
    query: |
      query($owner: String!, $after: String) {
        repository(owner: $owner, name: "weft") {
          issues(first: 100, after: $after) { nodes { number title } pageInfo { endCursor hasNextPage } }
        }
      }
    variables: { owner: weftworks }
    paginate: { page_info: data.repository.issues.pageInfo, nodes: data.repository.issues.nodes }
`,
	}
}

// Register adds graphql.query to reg.
func Register(reg *step.Registry) error {
	s := Spec()
	return reg.Add(s, querier{spec: s})
}
