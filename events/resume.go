package events

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/step"
)

// Errors of a resume call, mapped to HTTP statuses by the API.
var (
	// ErrBadToken: the token is malformed or its MAC is wrong (404: the
	// caller learns nothing about which part was wrong).
	ErrBadToken = errors.New("unknown resume URL")
	// ErrUsed: the URL (or an approval) was used before (409).
	ErrUsed = errors.New("already used")
	// ErrGone: the execution finished or no longer exists (410).
	ErrGone = errors.New("execution finished")
)

// macLen is the MAC's length in bytes: 192 bits, beyond guessing.
const macLen = 24

// ResumeURL implements step.Events: BaseURL/hooks/resume/<token>, where
// the token is <execution>.<step>.<MAC of both under the shared secret>.
// It is computed, not stored, so any process can check it and expressions
// can hand it out before the step waits; the store keeps only the token's
// hash, as the dedupe key that makes it single-use.
func (s *Service) ResumeURL(executionID, stepID string) string {
	return s.cfg.BaseURL + "/hooks/resume/" + s.token(executionID, stepID)
}

func (s *Service) token(executionID, stepID string) string {
	return executionID + "." + stepID + "." + base64.RawURLEncoding.EncodeToString(s.mac(executionID, stepID))
}

func (s *Service) mac(executionID, stepID string) []byte {
	m := hmac.New(sha256.New, s.cfg.Secret)
	m.Write([]byte("weft-resume\x00" + executionID + "\x00" + stepID))
	return m.Sum(nil)[:macLen]
}

// parseToken checks a token's MAC in constant time.
func (s *Service) parseToken(token string) (executionID, stepID string, err error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" {
		return "", "", ErrBadToken
	}
	got, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil || !hmac.Equal(got, s.mac(parts[0], parts[1])) {
		return "", "", ErrBadToken
	}
	return parts[0], parts[1], nil
}

// Resume delivers a POST to a resume URL: payload becomes the waiting
// step's output (or, for an approval, its decision). The first call wins;
// later ones get ErrUsed. A call that comes before the step waits is kept
// until the step gets there (or the event expires).
func (s *Service) Resume(ctx context.Context, token string, payload json.RawMessage) (executionID, stepID string, err error) {
	executionID, stepID, err = s.parseToken(token)
	if err != nil {
		return "", "", err
	}
	if err := s.unfinished(ctx, executionID); err != nil {
		return "", "", err
	}
	sum := sha256.Sum256([]byte(token))
	_, err = s.publish(ctx, step.EventResume, step.ResumeKey(executionID, stepID), payload, "resume:"+hex.EncodeToString(sum[:]))
	if errors.Is(err, weft.ErrDuplicate) {
		return "", "", fmt.Errorf("this resume URL was already used; it resumes its step once: %w", ErrUsed)
	}
	return executionID, stepID, err
}

func (s *Service) unfinished(ctx context.Context, executionID string) error {
	ex, err := s.cfg.Store.GetExecution(ctx, executionID)
	if errors.Is(err, weft.ErrNotFound) {
		return fmt.Errorf("execution %s no longer exists: %w", executionID, ErrGone)
	}
	if err != nil {
		return err
	}
	if ex.Status.Finished() {
		return fmt.Errorf("execution %s already %s: %w", executionID, ex.Status, ErrGone)
	}
	return nil
}
