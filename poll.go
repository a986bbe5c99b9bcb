package weft

import (
	"encoding/json"
	"time"
)

// TriggerPoll marks executions started by a polling trigger (`on.poll`).
const TriggerPoll = "poll"

// PollTrigger is one entry of `on.poll`: a step run every Every whose
// output holds a list of items; each item not seen before starts one
// execution. Cursor computes what the next poll passes on (as
// `poll.cursor` in With).
type PollTrigger struct {
	// Step is the step type that fetches items (written `step:` or
	// `operation:` in the file).
	Step  string         `json:"step"`
	With  map[string]any `json:"with,omitempty"`
	Every Duration       `json:"every"`
	// Items selects the list from the output (default: the output itself).
	Items string `json:"items,omitempty"`
	// ID is the template of an item's id, which dedupes it.
	ID string `json:"id"`
	// Cursor computes the next cursor from the output (empty: none).
	Cursor string `json:"cursor,omitempty"`
	// MaxItems bounds the items one poll may return (default 1000).
	MaxItems int `json:"max_items,omitempty"`
}

// PollState is the durable state of one polling trigger, shared by every
// process on the database.
type PollState struct {
	Workflow string `json:"workflow"`
	Index    int    `json:"index"`
	// Cursor is the JSON value the cursor template computed last (null
	// before the first poll).
	Cursor json.RawMessage `json:"cursor,omitempty"`
	// Seen holds the most recent item ids, newest last (bounded).
	Seen       []string  `json:"-"`
	NextPollAt time.Time `json:"next_poll_at"`
	// ClaimOwner holds the poll while ClaimUntil is ahead.
	ClaimOwner    string     `json:"claim_owner,omitempty"`
	ClaimUntil    *time.Time `json:"claim_until,omitempty"`
	LastPollAt    *time.Time `json:"last_poll_at,omitempty"`
	LastSuccessAt *time.Time `json:"last_success_at,omitempty"`
	LastErrorAt   *time.Time `json:"last_error_at,omitempty"`
	LastError     string     `json:"last_error,omitempty"`
	// ItemsSeen counts the new items the trigger started executions for.
	ItemsSeen int64 `json:"items_seen"`
	// PausedUntil is set while the source asked to wait (429 Retry-After).
	PausedUntil *time.Time `json:"paused_until,omitempty"`
}
