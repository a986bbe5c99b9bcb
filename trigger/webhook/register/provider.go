package register

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// Want is the subscription a workflow asks for.
type Want struct {
	Workflow   string   `json:"workflow"`
	Connection string   `json:"connection"`
	URL        string   `json:"url"`
	Events     []string `json:"events"`
	Repo       string   `json:"repo,omitempty"`
}

// Endpoint is what a provider holds for a workflow.
type Endpoint struct {
	ID string
	// Secret is the signing secret the provider returned or Weft generated;
	// "" when the endpoint was updated and the stored secret stays valid.
	Secret string
}

// Provider speaks one provider's webhook subscription API.
type Provider interface {
	// Ensure creates or updates the endpoint for w.URL; haveSecret says
	// whether Weft still holds the signing secret of an existing endpoint.
	Ensure(ctx context.Context, c *Caller, w Want, haveSecret bool) (Endpoint, error)
	// Remove deletes the endpoint for w.URL (id when known); a missing one
	// is not an error.
	Remove(ctx context.Context, c *Caller, w Want, id string) error
}

// Caller sends requests through a connection: base URL, authentication
// and the SSRF-guarded client.
type Caller struct {
	Base      *url.URL
	Client    *http.Client
	Authorize func(ctx context.Context, req *http.Request) error
}

// maxBody bounds a provider's answer.
const maxBody = 4 << 20

// APIError is a provider's non-2xx answer.
type APIError struct {
	Status int
	Body   string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("the provider answered %d: %s", e.Status, e.Body)
}

// do sends method path with body (form values or a JSON value) and decodes
// the JSON answer into out (nil: ignored).
func (c *Caller) do(ctx context.Context, method, path string, form url.Values, js any, out any) error {
	u := *c.Base
	rel, err := url.Parse(path)
	if err != nil {
		return fmt.Errorf("building %s: %w", path, err)
	}
	u.Path = strings.TrimRight(u.Path, "/") + rel.Path
	u.RawQuery = rel.RawQuery
	var body io.Reader
	ctype := ""
	switch {
	case form != nil:
		body, ctype = strings.NewReader(form.Encode()), "application/x-www-form-urlencoded"
	case js != nil:
		b, err := json.Marshal(js)
		if err != nil {
			return fmt.Errorf("encoding %s %s: %w", method, path, err)
		}
		body, ctype = bytes.NewReader(b), "application/json"
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return fmt.Errorf("building %s %s: %w", method, path, err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	req.Header.Set("Accept", "application/json")
	if err := c.Authorize(ctx, req); err != nil {
		return fmt.Errorf("authorizing %s %s: %w", method, path, err)
	}
	resp, err := c.Client.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return fmt.Errorf("%s %s: reading the answer: %w", method, path, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		msg := strings.TrimSpace(string(b))
		if len(msg) > 300 {
			msg = msg[:300] + "…"
		}
		return fmt.Errorf("%s %s: %w", method, path, &APIError{Status: resp.StatusCode, Body: msg})
	}
	if out == nil || len(b) == 0 {
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("%s %s: decoding the answer: %w", method, path, err)
	}
	return nil
}
