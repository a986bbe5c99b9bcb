package workflow

import (
	"fmt"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/weftworks/weft"
)

// Bounds of on.imap.
const (
	// DefaultIMAPPollEvery is how often a server without IDLE is asked.
	DefaultIMAPPollEvery = time.Minute
	// MinIMAPPollEvery is the shortest poll_every.
	MinIMAPPollEvery = time.Second
	// DefaultIMAPMaxPerCycle bounds the messages one cycle fetches.
	DefaultIMAPMaxPerCycle = 100
	// MaxIMAPMaxPerCycle is the largest max_per_cycle a file may set.
	MaxIMAPMaxPerCycle = 1000
)

var imapKeys = []string{"connection", "mailbox", "poll_every", "max_per_cycle", "start"}

// IMAPNode is one compiled `on.imap` entry, with its defaults filled in.
type IMAPNode struct {
	Trigger weft.IMAPTrigger
	Index   int
}

// decodeIMAPs reads `on.imap`: one mapping or a list of them.
func (d *decoder) decodeIMAPs(n *yaml.Node) []weft.IMAPTrigger {
	n = resolve(n)
	items, list := []*yaml.Node{n}, false
	if n.Kind == yaml.SequenceNode {
		items, list = n.Content, true
	}
	var out []weft.IMAPTrigger
	for i, e := range items {
		where := "on.imap"
		if list {
			where = fmt.Sprintf("on.imap[%d]", i)
		}
		fields, ok := d.mapping(e, where+" (like {connection: inbox, mailbox: INBOX})", imapKeys)
		if !ok {
			continue
		}
		var t weft.IMAPTrigger
		for _, f := range fields {
			v := f.val
			switch key := f.key.Value; key {
			case "connection":
				t.Connection, _ = d.str(v, where+".connection")
			case "mailbox":
				t.Mailbox, _ = d.str(v, where+".mailbox")
			case "poll_every":
				if dur, ok := d.duration(v, where+".poll_every"); ok {
					if dur.D() < MinIMAPPollEvery {
						d.errorf(v, "%s.poll_every must be at least %s, not %s", where, MinIMAPPollEvery, dur)
					}
					t.PollEvery = dur
				}
			case "max_per_cycle":
				if m, ok := d.integer(v, where+".max_per_cycle", 1); ok {
					if m > MaxIMAPMaxPerCycle {
						d.errorf(v, "%s.max_per_cycle may be at most %d, not %d", where, MaxIMAPMaxPerCycle, m)
					}
					t.MaxPerCycle = m
				}
			case "start":
				if s, ok := d.str(v, where+".start"); ok {
					if s != "new" && s != "all" {
						d.errorf(v, "%s.start must be new (the next message to arrive) or all (every message already in the mailbox), not %q", where, s)
					}
					t.Start = s
				}
			}
		}
		if t.Connection == "" {
			d.errorf(resolve(e), "%s needs connection: the name of an imap connection (host, port, username, password, tls)", where)
		}
		out = append(out, t)
	}
	return out
}

// compileIMAPs fills in the defaults of each on.imap entry.
func (k *compiler) compileIMAPs() {
	for i, t := range k.w.On.IMAP {
		if t.Mailbox == "" {
			t.Mailbox = "INBOX"
		}
		if t.PollEvery == 0 {
			t.PollEvery = weft.Duration(DefaultIMAPPollEvery)
		}
		if t.MaxPerCycle == 0 {
			t.MaxPerCycle = DefaultIMAPMaxPerCycle
		}
		if t.Start == "" {
			t.Start = "new"
		}
		k.c.IMAP = append(k.c.IMAP, IMAPNode{Trigger: t, Index: i})
	}
}

// imapSchema is the JSON schema of one on.imap entry.
func imapSchema(duration map[string]any) map[string]any {
	return object(imapKeys, map[string]any{
		"connection":    map[string]any{"type": "string", "description": "name of an imap connection"},
		"mailbox":       map[string]any{"type": "string", "default": "INBOX"},
		"poll_every":    duration,
		"max_per_cycle": map[string]any{"type": "integer", "minimum": 1, "maximum": MaxIMAPMaxPerCycle, "default": DefaultIMAPMaxPerCycle},
		"start":         map[string]any{"type": "string", "enum": []any{"new", "all"}, "default": "new"},
	}, []any{"connection"})
}
