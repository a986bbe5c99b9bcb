package ai

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// maxResponse bounds a provider's answer; no chat answer comes near it.
const maxResponse = 32 << 20

// post sends a JSON body and returns the response when its status is 2xx;
// otherwise it reads the provider's error body into a ProviderError using
// parseErr (which returns the error type and message).
func post(ctx context.Context, ep Endpoint, provider, url string, header http.Header, body any,
	parseErr func([]byte) (string, string)) (*http.Response, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return nil, fmt.Errorf("%s: encoding request: %w", provider, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", provider, err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, vs := range ep.Header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	if ep.Authorize != nil {
		if err := ep.Authorize(req); err != nil {
			return nil, err
		}
	}
	client := ep.HTTP
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%s: %w", provider, ctx.Err())
		}
		return nil, &ProviderError{Provider: provider, Err: redactURL(err)}
	}
	if resp.StatusCode/100 == 2 {
		return resp, nil
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	typ, msg := parseErr(raw)
	if msg == "" {
		msg = strings.TrimSpace(string(raw))
		if msg == "" {
			msg = http.StatusText(resp.StatusCode)
		}
	}
	return nil, &ProviderError{Provider: provider, Status: resp.StatusCode, Type: typ, Message: msg,
		RetryAfter: retryAfter(resp.Header, time.Now())}
}

// redactURL drops the query of a failed request's URL from a net/http
// error: Gemini's key may travel there.
func redactURL(err error) error {
	s := err.Error()
	if i := strings.Index(s, "?"); i >= 0 {
		if j := strings.IndexAny(s[i:], "\": "); j >= 0 {
			return fmt.Errorf("%s%s", s[:i], s[i+j:])
		}
		return fmt.Errorf("%s", s[:i])
	}
	return err
}

// decode reads a JSON response body.
func decode(provider string, resp *http.Response, out any) error {
	defer resp.Body.Close()
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxResponse)).Decode(out); err != nil {
		return &ProviderError{Provider: provider, Status: resp.StatusCode, Message: "unreadable answer: " + err.Error()}
	}
	return nil
}

// sseEvent is one Server-Sent Event.
type sseEvent struct {
	Event string
	Data  []byte
}

// readSSE calls fn for each event of a text/event-stream body until it ends,
// fn returns false, or ctx is done.
func readSSE(ctx context.Context, body io.Reader, fn func(sseEvent) (bool, error)) error {
	sc := bufio.NewScanner(body)
	sc.Buffer(make([]byte, 64<<10), 8<<20)
	var ev sseEvent
	var data bytes.Buffer
	for sc.Scan() {
		if err := ctx.Err(); err != nil {
			return err
		}
		line := sc.Text()
		switch {
		case line == "":
			if data.Len() > 0 || ev.Event != "" {
				ev.Data = bytes.TrimSuffix(data.Bytes(), []byte("\n"))
				more, err := fn(ev)
				if err != nil || !more {
					return err
				}
			}
			ev = sseEvent{}
			data.Reset()
		case strings.HasPrefix(line, ":"):
		case strings.HasPrefix(line, "event:"):
			ev.Event = strings.TrimSpace(strings.TrimPrefix(line, "event:"))
		case strings.HasPrefix(line, "data:"):
			data.WriteString(strings.TrimPrefix(strings.TrimPrefix(line, "data:"), " "))
			data.WriteByte('\n')
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	if data.Len() > 0 {
		ev.Data = bytes.TrimSuffix(data.Bytes(), []byte("\n"))
		_, err := fn(ev)
		return err
	}
	return nil
}
