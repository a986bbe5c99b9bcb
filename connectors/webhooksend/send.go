package webhooksend

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/weftworks/weft/connectors/internal/input"
	"github.com/weftworks/weft/signature"
	"github.com/weftworks/weft/step"
)

// Type is the step type.
const Type = "webhook.send"

// DefaultSchedule is the wait before each retry (Svix's schedule).
var DefaultSchedule = []time.Duration{5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour, 10 * time.Hour, 10 * time.Hour}

// Spec declares webhook.send.
func Spec() step.Spec {
	return step.Spec{
		Type:     Type,
		Title:    "Send signed webhook",
		Category: step.CategoryHTTP,
		Description: "POSTs `payload` as JSON to `url`, signed per the Standard Webhooks spec with the secret of " +
			"`credential` (a webhook_secret credential; `whsec_` + base64). A non-2xx answer or a network error is retried " +
			"on `schedule` with the same message id; the step waits between attempts without holding a worker. " +
			"410 Gone stops at once. After the last attempt the step fails (the dead letter); retrying the execution delivers again.",
		Auth: []string{"webhook_secret"},
		Fields: []step.Field{
			{Name: "url", Type: step.String, Required: true, Example: "https://example.com/webhooks/weft", Description: "Endpoint to POST to."},
			{Name: "payload", Type: step.Any, Required: true, Description: "The event, sent as the JSON body."},
			{Name: "credential", Type: step.String, Required: true, Example: "partner-webhook", Description: "webhook_secret credential whose `secret` signs the request."},
			{Name: "message_id", Type: step.String, Description: "webhook-id header; default: derived from the step's idempotency key, stable across attempts."},
			{Name: "headers", Type: step.Object, Description: "Extra request headers."},
			{Name: "schedule", Type: step.Array, Items: &step.Field{Type: step.Duration, Description: "Wait before one retry, like 5m."}, Example: []any{"5s", "5m", "30m", "2h", "5h", "10h", "10h"},
				Description: "Waits before each retry; the number of entries is the number of retries."},
			{Name: "timeout", Type: step.Duration, Default: "15s", Description: "Time limit of one attempt."},
		},
		Output: "`{status, attempts, message_id}` of the delivery that succeeded.",
		Example: `- id: notify_partner
  uses: webhook.send
  with:
    url: https://partner.example.com/hooks/orders
    credential: partner-webhook
    payload: { type: order.paid, data: "{{ trigger.body }}" }
`,
	}
}

// Register adds webhook.send to reg.
func Register(reg *step.Registry) error {
	s := Spec()
	if err := reg.Add(s, sender{spec: s}); err != nil {
		return fmt.Errorf("registering %s: %w", Type, err)
	}
	return nil
}

type sender struct{ spec step.Spec }

var _ step.Handler = sender{}

// state is kept across suspensions.
type state struct {
	Attempt   int    `json:"attempt"` // attempts made so far
	LastError string `json:"last_error,omitempty"`
}

func (s sender) Run(ctx context.Context, req *step.Request) (step.Result, error) {
	in := input.New(&s.spec, req.With)
	url, err := in.String("url")
	if err != nil {
		return step.Result{}, err
	}
	payload, _, err := in.Value("payload")
	if err != nil {
		return step.Result{}, err
	}
	credName, err := in.String("credential")
	if err != nil {
		return step.Result{}, err
	}
	msgID, _ := in.String("message_id")
	if msgID == "" {
		sum := sha256.Sum256([]byte(req.IdempotencyKey))
		msgID = "msg_" + hex.EncodeToString(sum[:12])
	}
	timeout := 15 * time.Second
	if in.Has("timeout") {
		if timeout, err = in.Duration("timeout"); err != nil {
			return step.Result{}, err
		}
	}
	schedule, err := readSchedule(req.With["schedule"])
	if err != nil {
		return step.Result{}, err
	}
	var st state
	if req.State != nil {
		if err := json.Unmarshal(req.State, &st); err != nil {
			return step.Result{}, fmt.Errorf("webhook.send: reading saved state: %w", err)
		}
	}
	if req.Env == nil || req.Env.Connections == nil {
		return step.Result{}, step.Errorf(input.CodeValidation, "webhook.send: no credential store is configured")
	}
	cred, err := req.Env.Connections.Get(ctx, req.Workflow, credName)
	if err != nil {
		// The vault's errors name the credential already.
		return step.Result{}, fmt.Errorf("webhook.send: %w", err)
	}
	secret := cred.Data["secret"]
	if secret == "" {
		return step.Result{}, step.Errorf(input.CodeValidation, "webhook.send: credential %q has no secret", credName)
	}
	body, err := json.Marshal(payload)
	if err != nil {
		return step.Result{}, step.Errorf(input.CodeValidation, "webhook.send: payload is not JSON: %v", err)
	}
	headers := map[string]string{}
	if h, ok := req.With["headers"].(map[string]any); ok {
		for k, v := range h {
			headers[k] = fmt.Sprint(v)
		}
	}
	now := time.Now
	if req.Env.Now != nil {
		now = req.Env.Now
	}

	st.Attempt++
	status, err := deliver(ctx, req.Env.HTTP, url, msgID, []byte(secret), body, headers, timeout, now())
	if err == nil {
		return step.Result{Output: map[string]any{"status": status, "attempts": st.Attempt, "message_id": msgID}}, nil
	}
	if req.Env.Emit != nil {
		req.Env.Emit("attempt", map[string]any{"attempt": st.Attempt, "error": err.Error()})
	}
	if status == http.StatusGone || st.Attempt > len(schedule) {
		return step.Result{}, step.Errorf("delivery_failed", "webhook.send: %d attempt(s) to %s failed; last: %v", st.Attempt, url, err)
	}
	st.LastError = err.Error()
	return step.Result{Suspend: &step.Suspend{Until: now().Add(schedule[st.Attempt-1]), State: st}}, nil
}

func readSchedule(v any) ([]time.Duration, error) {
	if v == nil {
		return DefaultSchedule, nil
	}
	list, ok := v.([]any)
	if !ok {
		return nil, input.Invalid("schedule", "must be a list of durations like [5s, 5m, 30m]")
	}
	out := make([]time.Duration, 0, len(list))
	for _, e := range list {
		s, _ := e.(string)
		d, err := time.ParseDuration(s)
		if err != nil || d < 0 {
			return nil, input.Invalid("schedule", "%v is not a duration like 5m", e)
		}
		out = append(out, d)
	}
	return out, nil
}

// deliver makes one attempt and returns the status (0 on a network error).
func deliver(ctx context.Context, client *http.Client, url, id string, secret, body []byte, headers map[string]string, timeout time.Duration, now time.Time) (int, error) {
	if client == nil {
		client = http.DefaultClient
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Weft-Webhooks/1")
	req.Header.Set("webhook-id", id)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(now.Unix(), 10))
	req.Header.Set("webhook-signature", signature.Sign(secret, id, now, body))
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, errors.New("answered " + resp.Status)
	}
	return resp.StatusCode, nil
}
