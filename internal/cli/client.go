package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// defaultServer is where client commands look for `weft serve`.
const defaultServer = "http://127.0.0.1:8080"

// localTokenFile is read when no token was given: the file `weft serve`
// writes with its default --data.
var localTokenFile = filepath.Join("weft-data", "admin.token")

// clientFlags are the flags every command that talks to a server takes.
type clientFlags struct {
	server string
	token  string
}

func (c *clientFlags) register(f *flagSet) {
	f.stringVar(&c.server, "server", "WEFT_SERVER", defaultServer, "URL of the weft server")
	f.stringVar(&c.token, "token", "WEFT_TOKEN", "", "API token; default $WEFT_ADMIN_TOKEN, else ./"+filepath.ToSlash(localTokenFile))
}

// client builds the API client, finding the token.
func (c *clientFlags) client(env *Env) (*apiClient, error) {
	base := trimSlash(strings.TrimSpace(c.server))
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("--server %q is not an http(s) URL: write it like %s", c.server, defaultServer)
	}
	token := strings.TrimSpace(c.token)
	if token == "" {
		token = strings.TrimSpace(env.Getenv("WEFT_ADMIN_TOKEN"))
	}
	if token == "" {
		b, err := os.ReadFile(localTokenFile)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("reading the API token: %w", err)
		}
		token = strings.TrimSpace(string(b))
	}
	return &apiClient{base: base, token: token, http: &http.Client{Timeout: 6 * time.Minute}}, nil
}

// apiClient calls the REST API of a weft server.
type apiClient struct {
	base  string
	token string
	http  *http.Client
}

// apiError is an error answer of the server.
type apiError struct {
	Status  int             `json:"-"`
	Code    string          `json:"code"`
	Message string          `json:"message"`
	Details json.RawMessage `json:"details,omitempty"`
}

func (e *apiError) Error() string {
	msg := fmt.Sprintf("server answered %d %s: %s", e.Status, e.Code, e.Message)
	if e.Status == http.StatusUnauthorized {
		msg += " (pass --token, or set WEFT_TOKEN)"
	}
	return msg
}

// do sends a request and decodes a 2xx JSON answer into out (if not nil).
// It returns the status, or an *apiError for answers >= 400.
func (c *apiClient) do(ctx context.Context, method, path, contentType string, body []byte, out any) (int, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return 0, fmt.Errorf("building request %s %s: %w", method, path, err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Accept", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	res, err := c.http.Do(req)
	if err != nil {
		return 0, c.unreachable(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, 64<<20))
	if err != nil {
		return res.StatusCode, fmt.Errorf("reading the answer of %s %s: %w", method, c.base+path, err)
	}
	if res.StatusCode >= 400 {
		var eb struct {
			Error *apiError `json:"error"`
		}
		if json.Unmarshal(b, &eb) == nil && eb.Error != nil {
			eb.Error.Status = res.StatusCode
			return res.StatusCode, eb.Error
		}
		text := strings.TrimSpace(string(b))
		if len(text) > 200 {
			text = text[:200] + "…"
		}
		return res.StatusCode, &apiError{Status: res.StatusCode, Code: http.StatusText(res.StatusCode), Message: text +
			" (is " + c.base + " a weft server?)"}
	}
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			return res.StatusCode, fmt.Errorf("reading the answer of %s %s: %w (is %s a weft server?)", method, path, err, c.base)
		}
	}
	return res.StatusCode, nil
}

// unreachable explains a transport error: what, where, how to fix.
func (c *apiClient) unreachable(err error) error {
	reason := err.Error()
	var ue *url.Error
	if errors.As(err, &ue) {
		reason = ue.Err.Error()
	}
	var dnsErr *net.DNSError
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		reason = "connection refused"
	case errors.As(err, &dnsErr):
		reason = "unknown host " + dnsErr.Name
	case errors.Is(err, context.DeadlineExceeded):
		reason = "timed out"
	}
	return fmt.Errorf("cannot reach %s: is `weft serve` running? Pass --server or set WEFT_SERVER to its URL (%s)", c.base, reason)
}
