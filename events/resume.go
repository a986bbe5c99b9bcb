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
	"strconv"
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

// MaxTokenLen bounds a resume token: a longer one is refused before it is
// parsed or anything is read (an execution id, a step id of at most 63
// bytes, an item index and the MAC fit in well under half of it).
const MaxTokenLen = 256

// ResumeURL implements step.Events: BaseURL/hooks/resume/<token>, where
// the token is <execution>.<step>[.<item>].<MAC of them under the shared
// secret>; the item is there only for an item of a for_each step, so each
// item has its own URL. It is computed, not stored, so any process can
// check it and expressions can hand it out before the step waits; the
// store keeps only the token's hash, as the dedupe key that makes it
// single-use.
func (s *Service) ResumeURL(executionID, stepID string, item int) string {
	return s.cfg.BaseURL + "/hooks/resume/" + s.token(executionID, stepID, item)
}

func (s *Service) token(executionID, stepID string, item int) string {
	mid := executionID + "." + stepID + "."
	if item != weft.WholeStep {
		mid += strconv.Itoa(item) + "."
	}
	return mid + base64.RawURLEncoding.EncodeToString(s.mac(executionID, stepID, item))
}

func (s *Service) mac(executionID, stepID string, item int) []byte {
	m := hmac.New(sha256.New, s.cfg.Secret)
	msg := "weft-resume\x00" + executionID + "\x00" + stepID
	if item != weft.WholeStep {
		msg += "\x00" + strconv.Itoa(item)
	}
	m.Write([]byte(msg))
	return m.Sum(nil)[:macLen]
}

// ResumeTarget is what a valid resume token names.
type ResumeTarget struct {
	ExecutionID, StepID string
	// Item is the for_each item, or weft.WholeStep.
	Item int
}

// ParseToken checks a token's MAC in constant time; it reads nothing.
func (s *Service) ParseToken(token string) (ResumeTarget, error) {
	if len(token) > MaxTokenLen {
		return ResumeTarget{}, ErrBadToken
	}
	parts := strings.Split(token, ".")
	t := ResumeTarget{Item: weft.WholeStep}
	switch len(parts) {
	case 3:
	case 4:
		n, err := strconv.Atoi(parts[2])
		if err != nil || n < 0 || strconv.Itoa(n) != parts[2] {
			return ResumeTarget{}, ErrBadToken
		}
		t.Item = n
	default:
		return ResumeTarget{}, ErrBadToken
	}
	t.ExecutionID, t.StepID = parts[0], parts[1]
	if t.ExecutionID == "" || t.StepID == "" {
		return ResumeTarget{}, ErrBadToken
	}
	got, err := base64.RawURLEncoding.DecodeString(parts[len(parts)-1])
	if err != nil || !hmac.Equal(got, s.mac(t.ExecutionID, t.StepID, t.Item)) {
		return ResumeTarget{}, ErrBadToken
	}
	return t, nil
}

// Resume delivers a POST to a resume URL: payload becomes the waiting
// step's output (or, for an approval, its decision). The first call wins;
// later ones get ErrUsed. A call that comes before the step waits is kept
// until the step gets there (or the event expires).
func (s *Service) Resume(ctx context.Context, token string, payload json.RawMessage) (ResumeTarget, error) {
	t, err := s.ParseToken(token)
	if err != nil {
		return ResumeTarget{}, err
	}
	return t, s.Deliver(ctx, t, token, payload)
}

// Deliver delivers payload to t, whose token the caller parsed (and, where
// the step asks for it, verified); token is the dedupe key's source.
func (s *Service) Deliver(ctx context.Context, t ResumeTarget, token string, payload json.RawMessage) error {
	if err := s.unfinished(ctx, t.ExecutionID); err != nil {
		// A call whose step took its resume already is "used", even when the
		// execution has finished since: the caller repeated itself.
		if errors.Is(err, ErrGone) {
			if ev, terr := s.cfg.Store.TakenEvent(ctx, weft.StepRunID(t.ExecutionID, t.StepID, t.Item)); terr == nil && ev.Name == step.EventResume {
				return fmt.Errorf("this resume URL's step was resumed already; it resumes its step once: %w", ErrUsed)
			}
		}
		return err
	}
	sum := sha256.Sum256([]byte(token))
	_, err := s.publish(ctx, step.EventResume, step.ResumeKey(t.ExecutionID, t.StepID, t.Item), payload, "resume:"+hex.EncodeToString(sum[:]))
	if errors.Is(err, weft.ErrDuplicate) {
		return fmt.Errorf("this resume URL was already used; it resumes its step once: %w", ErrUsed)
	}
	return err
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
