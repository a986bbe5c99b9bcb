package openapi

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/weftworks/weft/connectors/apps"
)

// Options bound and name an import. Zero values take the defaults of
// WithDefaults.
type Options struct {
	// Name is the app's name, the prefix of its step types
	// (`<name>.<operation>`). Required.
	Name string
	// Title replaces the document's info.title.
	Title string
	// BaseURL replaces the document's first server (needed when that URL
	// is relative or missing).
	BaseURL string
	// MaxBytes bounds the document's size (default 64 MiB; Stripe's full
	// document is 8 MB, GitHub's 13 MB).
	MaxBytes int
	// MaxOperations bounds the operations imported (default 5000; GitHub
	// has about 1100).
	MaxOperations int
	// MaxDepth is how deep nested object properties are described
	// (default 3); deeper values are taken as they are.
	MaxDepth int
	// MaxProperties bounds the properties described per object (default
	// 200); the rest are dropped with a warning.
	MaxProperties int
}

// WithDefaults fills the zero limits.
func (o Options) WithDefaults() Options {
	if o.MaxBytes == 0 {
		o.MaxBytes = 64 << 20
	}
	if o.MaxOperations == 0 {
		o.MaxOperations = 5000
	}
	if o.MaxDepth == 0 {
		o.MaxDepth = 3
	}
	if o.MaxProperties == 0 {
		o.MaxProperties = 200
	}
	return o
}

var nameRE = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// Validate checks the options; errors name the option and the fix.
func (o Options) Validate() error {
	if !nameRE.MatchString(o.Name) {
		return fmt.Errorf("name %q: use lower-case letters, digits and underscores, starting with a letter (e.g. --name acme)", o.Name)
	}
	if o.MaxBytes < 0 || o.MaxOperations < 0 || o.MaxDepth < 0 || o.MaxProperties < 0 {
		return errors.New("limits must not be negative")
	}
	return nil
}

// Result is an imported app and what the import left out.
type Result struct {
	App apps.App
	// Warnings say what could not be imported and why (an operation with
	// an unsupported method, a cookie parameter, a clashing input name).
	Warnings []string
}

// ErrTooLarge marks a document over one of the Options' limits.
var ErrTooLarge = errors.New("openapi document over the import limits")

// Import turns an OpenAPI 3.x document (YAML or JSON) into an app spec and
// validates it like a bundled one.
func Import(ctx context.Context, doc []byte, opts Options) (*Result, error) {
	opts = opts.WithDefaults()
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if len(doc) > opts.MaxBytes {
		return nil, fmt.Errorf("the document is %d bytes, more than the limit of %d: %w", len(doc), opts.MaxBytes, ErrTooLarge)
	}
	t, err := parse(ctx, doc, opts.MaxOperations)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c := &converter{opts: opts, doc: t}
	a, err := c.app(ctx)
	if err != nil {
		return nil, err
	}
	if err := a.Validate(); err != nil {
		return nil, fmt.Errorf("the imported spec does not validate (please report the document): %w", err)
	}
	return &Result{App: a, Warnings: c.warnings}, nil
}

// converter holds one import's state.
type converter struct {
	opts     Options
	doc      *openapi3.T
	warnings []string
	// where is the operation being converted, opNodes the schema nodes
	// described for it so far, opCut whether it hit maxOpNodes.
	where   string
	opNodes int
	opCut   bool
}

func (c *converter) warnf(format string, args ...any) {
	const maxWarnings = 200
	w := fmt.Sprintf(format, args...)
	if n := len(c.warnings); n > 0 && c.warnings[n-1] == w {
		return // the same schema seen again in one operation
	}
	switch {
	case len(c.warnings) < maxWarnings:
		c.warnings = append(c.warnings, w)
	case len(c.warnings) == maxWarnings:
		c.warnings = append(c.warnings, "more warnings left out")
	}
}

// app builds the whole spec.
func (c *converter) app(ctx context.Context) (apps.App, error) {
	info := c.doc.Info
	a := apps.App{Name: c.opts.Name, Title: c.opts.Title}
	if a.Title == "" && info != nil {
		a.Title = oneLine(info.Title, 80)
	}
	if a.Title == "" {
		a.Title = c.opts.Name
	}
	if info != nil {
		a.Description = summary(info.Description, 300)
	}
	if d := c.doc.ExternalDocs; d != nil && isHTTPURL(d.URL) {
		a.Docs = d.URL
	}
	a.Icon = icon(c.opts.Name)
	base, err := c.baseURL()
	if err != nil {
		return a, err
	}
	a.BaseURL = base
	a.Auth = c.auth()
	ops, err := c.operations(ctx)
	if err != nil {
		return a, err
	}
	if len(ops) == 0 {
		return a, errors.New("the document has no operation Weft can call (GET, POST, PUT, PATCH or DELETE under paths)")
	}
	a.Operations = ops
	a.Test = testCall(ops)
	return a, nil
}

// looksLikeOpenAPI3 checks the version key before the full parse, so a
// Swagger 2.0 document gets a clear error instead of a missing-paths one.
func looksLikeOpenAPI3(doc []byte) bool {
	return openapiKeyRE.Match(doc)
}

var openapiKeyRE = regexp.MustCompile(`(?m)(^|[{,\s])"?openapi"?\s*:\s*["']?3\.`)

// oneLine collapses whitespace and cuts s to at most n runes at a word.
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	cut := string(r[:n])
	if i := strings.LastIndex(cut, " "); i > n/2 {
		cut = cut[:i]
	}
	return strings.TrimRight(cut, " ,.;:") + "…"
}

// summary keeps the first paragraph of a Markdown or HTML description.
func summary(s string, n int) string {
	s = htmlTagRE.ReplaceAllString(s, "")
	s = strings.TrimSpace(s)
	if i := strings.Index(s, "\n\n"); i > 0 {
		s = s[:i]
	}
	return oneLine(s, n)
}

var htmlTagRE = regexp.MustCompile(`</?[a-zA-Z][^>]*>`)
