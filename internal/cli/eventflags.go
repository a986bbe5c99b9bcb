package cli

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/events"
	"github.com/weftworks/weft/store"
)

// eventFlags configure waiting for events: the public address resume URLs
// start with and the bounds of the event buffer.
type eventFlags struct {
	publicURL, ttl     string
	buffer, maxPayload int
}

func (e *eventFlags) register(fs *flagSet) {
	fs.stringVar(&e.publicURL, "public-url", "WEFT_PUBLIC_URL", "",
		"address others reach this server at, used in resume URLs (default http://<addr>) and in webhooks registered at providers (on.webhook.register; required for them)")
	fs.stringVar(&e.ttl, "event-ttl", "WEFT_EVENT_TTL", "24h",
		"how long an event that no waiting step took stays buffered")
	fs.intVar(&e.buffer, "event-buffer", "WEFT_EVENT_BUFFER", 100,
		"most events buffered per event name and key that no waiting step took; more are refused with 429")
	fs.intVar(&e.maxPayload, "event-max-payload", "WEFT_EVENT_MAX_PAYLOAD", 256<<10,
		"largest event payload or resume URL body in bytes")
}

// EventConfig is what Wire needs for events.
type EventConfig struct {
	PublicURL string
	// RegisterURL is --public-url as given, "" when not set: webhooks are
	// registered at providers only with an address set on purpose.
	RegisterURL string
	Limits      events.Limits
}

func (e *eventFlags) config(addr string) (EventConfig, error) {
	ttl, err := weft.ParseDuration(e.ttl)
	if err != nil || ttl.D() <= 0 {
		return EventConfig{}, fmt.Errorf("--event-ttl %q: use a positive duration like 24h", e.ttl)
	}
	if e.buffer < 1 || e.buffer > 100_000 {
		return EventConfig{}, fmt.Errorf("--event-buffer %d: must be from 1 to 100000", e.buffer)
	}
	if e.maxPayload < 1<<10 || e.maxPayload > 16<<20 {
		return EventConfig{}, fmt.Errorf("--event-max-payload %d: must be from 1024 to 16777216 bytes", e.maxPayload)
	}
	u := e.publicURL
	if u == "" {
		u = "http://" + addr
	}
	if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
		return EventConfig{}, fmt.Errorf("--public-url %q: must start with http:// or https://", u)
	}
	reg := ""
	if e.publicURL != "" {
		reg = u
	}
	return EventConfig{PublicURL: u, RegisterURL: reg, Limits: events.Limits{TTL: ttl.D(), MaxPerKey: e.buffer, MaxPayload: e.maxPayload}}, nil
}

// resumeSecretKey names the setting holding the key of resume URL MACs,
// shared by every process on the database.
const resumeSecretKey = "resume_url_key"

func resumeSecret(ctx context.Context, st store.Settings) ([]byte, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, fmt.Errorf("generating the resume URL key: %w", err)
	}
	v, err := st.PutSettingIfAbsent(ctx, resumeSecretKey, hex.EncodeToString(b[:]))
	if err != nil {
		return nil, fmt.Errorf("storing the resume URL key: %w", err)
	}
	key, err := hex.DecodeString(v)
	if err != nil || len(key) < 16 {
		return nil, fmt.Errorf("the stored resume URL key (setting %q) is damaged", resumeSecretKey)
	}
	return key, nil
}
