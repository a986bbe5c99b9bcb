package credential

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/oauth2"
)

// keptFields returns the fields of a token answer that are kept with the
// token and lent to connectors (instance_url, id, issued_at, scope, ...):
// scalars only, and never a token, secret or signature.
func keptFields(raw map[string]any) map[string]string {
	out := map[string]string{}
	for k, v := range raw {
		lk := strings.ToLower(k)
		if strings.Contains(lk, "token") || strings.Contains(lk, "secret") || strings.Contains(lk, "signature") || strings.Contains(lk, "password") {
			continue
		}
		switch x := v.(type) {
		case string:
			out[k] = x
		case float64:
			out[k] = strconv.FormatFloat(x, 'f', -1, 64)
		case bool:
			out[k] = strconv.FormatBool(x)
		}
	}
	return out
}

// mergeFields keeps the fields of the last answer and adds those of the new
// one: a refresh answer that leaves out instance_url must not lose it.
func mergeFields(old, fresh map[string]string) map[string]string {
	if len(old) == 0 && len(fresh) == 0 {
		return nil
	}
	out := make(map[string]string, len(old)+len(fresh))
	for k, v := range old {
		out[k] = v
	}
	for k, v := range fresh {
		out[k] = v
	}
	return out
}

// answerRecorder keeps the JSON body of the token endpoint's answers, so
// every field of it (not only those x/oauth2 models) is kept.
type answerRecorder struct {
	base http.RoundTripper
	mu   sync.Mutex
	last map[string]any
}

func (a *answerRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := a.base.RoundTrip(req)
	if err != nil || resp.StatusCode/100 != 2 {
		return resp, err
	}
	body, rerr := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if rerr == nil {
		var m map[string]any
		if json.Unmarshal(body, &m) == nil {
			a.mu.Lock()
			a.last = m
			a.mu.Unlock()
		}
	}
	return resp, nil
}

func (a *answerRecorder) fields() map[string]string {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.last == nil {
		return nil
	}
	return keptFields(a.last)
}

// recordingContext returns a context whose x/oauth2 client records the
// token answers.
func (v *Vault) recordingContext(ctx context.Context) (context.Context, *answerRecorder) {
	return v.recordingContextOn(ctx, v.cfg.HTTP)
}

// recordingContextOn is recordingContext on a given client (a connection's
// own, with its private-network allowlist).
func (v *Vault) recordingContextOn(ctx context.Context, hc *http.Client) (context.Context, *answerRecorder) {
	base := http.DefaultTransport
	c := &http.Client{}
	if hc != nil {
		*c = *hc
		if hc.Transport != nil {
			base = hc.Transport
		}
	}
	rec := &answerRecorder{base: base}
	c.Transport = rec
	return context.WithValue(ctx, oauth2.HTTPClient, c), rec
}
