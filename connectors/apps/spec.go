package apps

// App is one app connector, as written in connectors/apps/<app>/app.yaml
// (or emitted by an importer). Field names are the YAML keys.
type App struct {
	// Name is the step type prefix: `<name>.<operation>`. Lower case
	// letters, digits and underscores.
	Name        string `yaml:"name" json:"name"`
	Title       string `yaml:"title" json:"title"`
	Description string `yaml:"description" json:"description"`
	// Icon is a small SVG document (at most 4 KiB) shown in the palette.
	Icon string `yaml:"icon" json:"icon"`
	// Docs links the provider's API reference.
	Docs string `yaml:"docs" json:"docs"`
	// BaseURL is where operation paths are resolved, e.g.
	// https://slack.com/api. A connection's `base_url` setting replaces it
	// (GitHub Enterprise, a sandbox, a test fake).
	BaseURL string `yaml:"base_url" json:"base_url"`
	// BaseURLFrom names a field of the connection's token response that
	// replaces BaseURL when present (Salesforce `instance_url`); BaseURLPath
	// is then appended (e.g. /services/data/v61.0).
	BaseURLFrom string `yaml:"base_url_from,omitempty" json:"base_url_from,omitempty"`
	BaseURLPath string `yaml:"base_url_path,omitempty" json:"base_url_path,omitempty"`
	// Auth lists the credential kinds a connection of this app may be.
	Auth []Auth `yaml:"auth" json:"auth"`
	// Test is the cheap call that checks a connection works.
	Test Test `yaml:"test" json:"test"`
	// Limits are the default rate limits suggested for a new connection.
	Limits Limits `yaml:"limits,omitempty" json:"limits,omitempty"`
	// Retry are the default retry manners suggested for a new connection.
	Retry Retry `yaml:"retry,omitempty" json:"retry,omitempty"`
	// Errors says how the app reports a failure inside a 2xx answer
	// (Slack: {"ok": false, "error": "channel_not_found"}) and where the
	// message of an error body is.
	Errors Errors `yaml:"errors,omitempty" json:"errors,omitempty"`
	// Body is the default body encoding of operations: json (default) or
	// form (Stripe: application/x-www-form-urlencoded with a[b]=c keys).
	Body string `yaml:"body,omitempty" json:"body,omitempty"`
	// Headers are sent with every call (an API version, Accept).
	Headers    map[string]string `yaml:"headers,omitempty" json:"headers,omitempty"`
	Operations []Operation       `yaml:"operations" json:"operations"`
}

// Auth is one credential kind an app accepts, with what can be pre-filled.
type Auth struct {
	// Kind is a credential type: bearer, api_key, basic, oauth2_code,
	// oauth2_client_credentials, oauth2_jwt_bearer, jwt.
	Kind  string `yaml:"kind" json:"kind"`
	Title string `yaml:"title,omitempty" json:"title,omitempty"`
	// Fields are credential fields pre-filled for this app: auth_url,
	// token_url, scopes, api key header name, ...
	Fields map[string]string `yaml:"fields,omitempty" json:"fields,omitempty"`
	// Note tells the user where to get the secret.
	Note string `yaml:"note,omitempty" json:"note,omitempty"`
}

// Test is a test-connection call: a GET (usually) that succeeds with any
// valid credential and changes nothing.
type Test struct {
	Method string `yaml:"method,omitempty" json:"method,omitempty"`
	Path   string `yaml:"path" json:"path"`
}

// Limits are default connection rate limits, written like "10/s".
type Limits struct {
	Requests    string `yaml:"requests,omitempty" json:"requests,omitempty"`
	Concurrency int    `yaml:"concurrency,omitempty" json:"concurrency,omitempty"`
}

// Retry are default retry manners.
type Retry struct {
	MaxAttempts int    `yaml:"max_attempts,omitempty" json:"max_attempts,omitempty"`
	Initial     string `yaml:"initial,omitempty" json:"initial,omitempty"`
	Max         string `yaml:"max,omitempty" json:"max,omitempty"`
}

// Errors describe an app's error reporting.
type Errors struct {
	// OKField names a boolean field of a 2xx body that is false on failure.
	OKField string `yaml:"ok_field,omitempty" json:"ok_field,omitempty"`
	// Message is the dotted path of the error text in a failure body.
	Message string `yaml:"message,omitempty" json:"message,omitempty"`
}

// Operation is one call of the app; it becomes step type <app>.<id>.
type Operation struct {
	ID          string `yaml:"id" json:"id"`
	Title       string `yaml:"title" json:"title"`
	Description string `yaml:"description,omitempty" json:"description,omitempty"`
	Method      string `yaml:"method" json:"method"`
	// Path is appended to the base URL; {name} segments come from Path
	// inputs. A path starting with http(s):// is absolute (an upload host).
	Path string `yaml:"path" json:"path"`
	// Inputs, by where they go. Each is a JSON Schema object whose
	// properties are the step's `with:` keys; names are unique across the
	// three.
	Inputs Inputs `yaml:"inputs,omitempty" json:"inputs,omitempty"`
	// Body overrides the app's body encoding: json, form, or raw (the
	// `body` input sent as it is).
	Body string `yaml:"body,omitempty" json:"body,omitempty"`
	// BodyKey, when set, wraps the body inputs under this key; a key
	// ending in [] wraps them in a one-element list under it (HubSpot's
	// batch upsert: {"inputs": [{...}]}).
	BodyKey string `yaml:"body_key,omitempty" json:"body_key,omitempty"`
	// BodyFrom names one body input whose value is the whole body
	// (Salesforce: the record's fields are the body).
	BodyFrom string `yaml:"body_from,omitempty" json:"body_from,omitempty"`
	// Output is the dotted path of the part of the response body that
	// becomes the step's output ("" : the whole body; a number selects a
	// list element, results.0). "$response" returns http.request's whole
	// answer {status, headers, body, body_encoding} (a download).
	Output string `yaml:"output,omitempty" json:"output,omitempty"`
	// OutputDoc documents the output for users.
	OutputDoc string `yaml:"output_doc,omitempty" json:"output_doc,omitempty"`
	// Paginate, when set, lets the step follow pages.
	Paginate *Pagination `yaml:"paginate,omitempty" json:"paginate,omitempty"`
	// Idempotency says how a retry is made harmless.
	Idempotency *Idempotency `yaml:"idempotency,omitempty" json:"idempotency,omitempty"`
	// Accept lists extra statuses that count as success (e.g. 404 for a
	// lookup that may find nothing).
	Accept []int `yaml:"accept,omitempty" json:"accept,omitempty"`
}

// Inputs split an operation's inputs by where they go in the request.
type Inputs struct {
	Path   *Schema `yaml:"path,omitempty" json:"path,omitempty"`
	Query  *Schema `yaml:"query,omitempty" json:"query,omitempty"`
	Header *Schema `yaml:"header,omitempty" json:"header,omitempty"`
	Body   *Schema `yaml:"body,omitempty" json:"body,omitempty"`
}

// Schema is the subset of JSON Schema an operation's inputs use.
type Schema struct {
	Type        string             `yaml:"type,omitempty" json:"type,omitempty"`
	Description string             `yaml:"description,omitempty" json:"description,omitempty"`
	Properties  map[string]*Schema `yaml:"properties,omitempty" json:"properties,omitempty"`
	// Order lists Properties in the order they were written (filled by
	// the loader; documentation and forms follow it).
	Order    []string `yaml:"-" json:"-"`
	Required []string `yaml:"required,omitempty" json:"required,omitempty"`
	Items    *Schema  `yaml:"items,omitempty" json:"items,omitempty"`
	Enum     []string `yaml:"enum,omitempty" json:"enum,omitempty"`
	Default  any      `yaml:"default,omitempty" json:"default,omitempty"`
	Example  any      `yaml:"example,omitempty" json:"example,omitempty"`
	// Wire is the name the provider uses when it differs from the
	// property's key, which is the step's snake_case input name
	// (id_property → idProperty). Only top-level inputs are renamed.
	Wire string `yaml:"wire,omitempty" json:"x-wire,omitempty"`
	// Format "path" lets a path input hold slashes (a file path in a
	// repository); other path inputs are escaped as one segment.
	Format string `yaml:"format,omitempty" json:"format,omitempty"`
	// Secret marks a value never logged or echoed.
	Secret bool `yaml:"secret,omitempty" json:"x-secret,omitempty"`
}

// Pagination styles.
const (
	PageCursor  = "cursor"   // a token from the body goes back in a parameter
	PageLink    = "link"     // RFC 8288 Link: <...>; rel="next" (GitHub)
	PageOffset  = "offset"   // offset += page size
	PagePage    = "page"     // page number += 1
	PageNextURL = "next_url" // a URL (or path) in the body (Salesforce nextRecordsUrl)
)

// Pagination describes how an operation's results continue.
type Pagination struct {
	Style string `yaml:"style" json:"style"`
	// Items is the dotted path of the list in each page's body ("" : the
	// body is the list). Pages' lists are concatenated.
	Items string `yaml:"items,omitempty" json:"items,omitempty"`
	// Cursor is the dotted path of the next cursor (cursor) or next URL
	// (next_url) in the body; empty or missing ends the pages.
	Cursor string `yaml:"cursor,omitempty" json:"cursor,omitempty"`
	// Param is the input the cursor, offset or page number goes in.
	Param string `yaml:"param,omitempty" json:"param,omitempty"`
	// In is where Param goes: query (default) or body.
	In string `yaml:"in,omitempty" json:"in,omitempty"`
	// HasMore is the dotted path of a boolean that is false on the last page.
	HasMore string `yaml:"has_more,omitempty" json:"has_more,omitempty"`
	// CursorFromLast is the field of the last item that is the next cursor
	// (Stripe: starting_after = id of the last object).
	CursorFromLast string `yaml:"cursor_from_last,omitempty" json:"cursor_from_last,omitempty"`
	// SizeParam is the input that sets the page size (offset style uses
	// it to advance).
	SizeParam string `yaml:"size_param,omitempty" json:"size_param,omitempty"`
}

// Idempotency says whether and how an operation's retries are harmless.
type Idempotency struct {
	// Header carries the step run's stable key (execution + step + item):
	// Stripe's Idempotency-Key. A repeat after a crash is then dropped by
	// the provider.
	Header string `yaml:"header,omitempty" json:"header,omitempty"`
	// Safe marks an operation harmless to repeat without a key (an upsert,
	// a PUT, a delete).
	Safe bool `yaml:"safe,omitempty" json:"safe,omitempty"`
}
