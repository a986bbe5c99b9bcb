package e2e

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

const signedJobWorkflow = `
name: signedjob
on:
  webhook: { path: signedjob, method: POST }
steps:
  - id: submit
    uses: transform
    with: { callback: "{{ execution.resume_url }}" }
  - id: callback
    uses: wait
    with:
      resume: true
      timeout: 10m
      verify:
        - { scheme: hmac, credential: jobsig, header: X-Signature, prefix: "sha256=" }
        - { scheme: stripe, credential: jobsig }
`

const jobSecret = "whsec_resume-0123456789abcdef"

func hmacHex(secret, msg string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(msg))
	return hex.EncodeToString(m.Sum(nil))
}

// postSigned posts body to url with headers and returns status and body.
func postSigned(t *testing.T, url, body string, hdr map[string]string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// resumeURLOf starts the workflow and returns the execution and its URL.
func resumeURLOf(t *testing.T, s *server) (string, string) {
	t.Helper()
	id, err := s.hook("signedjob", `{}`)
	if err != nil {
		t.Fatal(err)
	}
	ex := waitingAt(t, s, id, "callback")
	for _, st := range ex.Steps {
		if st.StepID == "submit" {
			if u, _ := st.Output["callback"].(string); u != "" {
				return id, u
			}
		}
	}
	t.Fatalf("no resume URL in %+v", ex)
	return "", ""
}

// TestResumeURLVerified: a resume wait with verify: refuses unsigned and
// wrongly signed calls with 401 without using the URL up, then accepts a
// call signed with a real HMAC (and, for another execution, a Stripe-style
// signature) through a real weft serve.
func TestResumeURLVerified(t *testing.T) {
	t.Parallel()
	s := startEventServer(t, nil, map[string]string{"signedjob": signedJobWorkflow})
	if code, err := s.api("PUT", "/api/v1/credentials/jobsig", map[string]any{"type": "webhook_secret",
		"data": map[string]any{"secret": jobSecret}, "workflows": []string{"signedjob"}}, nil); err != nil || code != 200 && code != 201 {
		t.Fatalf("creating the credential: %d %v", code, err)
	}

	id, url := resumeURLOf(t, s)
	body := `{"result":"signed"}`
	if code, b := postSigned(t, url, body, nil); code != http.StatusUnauthorized || !strings.Contains(b, "verification") {
		t.Fatalf("unsigned call: %d %s, want 401", code, b)
	}
	if code, b := postSigned(t, url, body, map[string]string{"X-Signature": "sha256=" + hmacHex("wrong secret", body)}); code != http.StatusUnauthorized {
		t.Fatalf("wrongly signed call: %d %s, want 401", code, b)
	}
	if code, b := postSigned(t, url, `{"result":"forged"}`, map[string]string{"X-Signature": "sha256=" + hmacHex(jobSecret, body)}); code != http.StatusUnauthorized {
		t.Fatalf("a signature of another body: %d %s, want 401", code, b)
	}
	// The refusals did not use the URL up: the signed call resumes.
	if code, b := postSigned(t, url, body, map[string]string{"X-Signature": "sha256=" + hmacHex(jobSecret, body)}); code != http.StatusAccepted {
		t.Fatalf("signed call: %d %s, want 202", code, b)
	}
	if code, b := postSigned(t, url, body, map[string]string{"X-Signature": "sha256=" + hmacHex(jobSecret, body)}); code != http.StatusConflict && code != http.StatusGone {
		t.Fatalf("the signed call again: %d %s, want 409 or 410", code, b)
	}

	// Stripe-style: Stripe-Signature: t=<unix>,v1=<hex HMAC of "t.body">.
	id2, url2 := resumeURLOf(t, s)
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	body2 := `{"result":"stripe"}`
	stale := strconv.FormatInt(time.Now().Add(-time.Hour).Unix(), 10)
	if code, b := postSigned(t, url2, body2, map[string]string{"Stripe-Signature": "t=" + stale + ",v1=" + hmacHex(jobSecret, stale+"."+body2)}); code != http.StatusUnauthorized {
		t.Fatalf("a stale Stripe signature: %d %s, want 401", code, b)
	}
	if code, b := postSigned(t, url2, body2, map[string]string{"Stripe-Signature": "t=" + ts + ",v1=" + hmacHex(jobSecret, ts+"."+body2)}); code != http.StatusAccepted {
		t.Fatalf("Stripe-signed call: %d %s, want 202", code, b)
	}

	done := waitFinished(t, s, []string{id, id2}, 30*time.Second)
	for _, x := range []string{id, id2} {
		if done[x].Status != "succeeded" {
			t.Fatalf("execution %s: %s %+v", x, done[x].Status, done[x].Error)
		}
	}
	var out struct {
		Output map[string]any `json:"output"`
	}
	if _, err := s.api("GET", "/api/v1/executions/"+id, nil, &out); err != nil || out.Output["result"] != "signed" {
		t.Fatalf("output = %v %v, want the signed call's body", out.Output, err)
	}
	if got := metricValue(t, s, `weft_webhook_refusals_total{reason="resume_unverified"}`); got != 4 {
		t.Errorf(`weft_webhook_refusals_total{reason="resume_unverified"} = %v, want 4`, got)
	}
}

// TestResumeVerifyCheckedAtSave: a bad verify block on a resume wait is
// refused when the workflow is saved, naming the key and the fix.
func TestResumeVerifyCheckedAtSave(t *testing.T) {
	t.Parallel()
	s := startEventServer(t, nil, nil)
	doc := strings.Replace(signedJobWorkflow, "scheme: hmac, credential: jobsig, header: X-Signature", "scheme: hmac-sha256, credential: jobsig", 1)
	req, _ := http.NewRequest("PUT", s.url+"/api/v1/workflows/signedjob", strings.NewReader(doc))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/yaml")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	code, body := resp.StatusCode, string(b)
	if code != http.StatusUnprocessableEntity && code != http.StatusBadRequest || !strings.Contains(body, "verify[0].scheme") ||
		!strings.Contains(body, "algorithm: sha256") {
		t.Fatalf("saving a bad verify: %d %s", code, body)
	}
}

// TestResumeTokenFlood: a 1 MiB token in the URL is refused by the server
// before any handler runs (431); a flood of bad tokens is answered 404,
// counted in /metrics and bounded in the log.
func TestResumeTokenFlood(t *testing.T) {
	t.Parallel()
	s := startEventServer(t, nil, map[string]string{"signedjob": signedJobWorkflow})
	if code, _ := postSigned(t, s.url+"/hooks/resume/"+strings.Repeat("a", 1<<20), `{}`, nil); code != http.StatusRequestHeaderFieldsTooLarge {
		t.Fatalf("a 1 MiB token answered %d, want 431", code)
	}
	const n = 400
	codes := postAll(t, n, func(i int) string {
		if i%2 == 0 {
			return fmt.Sprintf("%s/hooks/resume/01J0000000000000000000000%d.callback.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", s.url, i)
		}
		return s.url + "/hooks/resume/" + strings.Repeat("t", 4000+i) // over MaxTokenLen: refused before parsing
	}, nil)
	if codes[404] != n {
		t.Fatalf("bad tokens answered %v, want %d×404", codes, n)
	}
	if got := metricValue(t, s, `weft_webhook_refusals_total{reason="resume_unknown"}`); got != n {
		t.Errorf(`weft_webhook_refusals_total{reason="resume_unknown"} = %v, want %d`, got, n)
	}
	if got := metricValue(t, s, `weft_log_suppressed_total{log="server_log"}`); got < n/2 {
		t.Errorf(`weft_log_suppressed_total{log="server_log"} = %v, want most of the %d refusals`, got, n)
	}
	s.kill()
	if lines := strings.Count(s.logs.String(), "/hooks/resume/"); lines > 60 {
		t.Errorf("the log holds %d lines about refused resume calls of %d; want them bounded", lines, n)
	}
}
