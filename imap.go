package weft

// TriggerIMAP marks executions started by a mailbox trigger (`on.imap`).
const TriggerIMAP = "imap"

// IMAPTrigger watches one mailbox of an `imap` connection; each new
// message starts one execution.
type IMAPTrigger struct {
	// Connection names the imap credential (host, port, username,
	// password, tls).
	Connection string `json:"connection"`
	// Mailbox is the mailbox to watch (default INBOX).
	Mailbox string `json:"mailbox,omitempty"`
	// PollEvery is how often to look for new mail when the server has no
	// IDLE (default 1m).
	PollEvery Duration `json:"poll_every,omitempty"`
	// MaxPerCycle bounds the messages fetched in one cycle (default 100).
	MaxPerCycle int `json:"max_per_cycle,omitempty"`
	// Start is where a trigger without a cursor begins: "new" (default:
	// the next message to arrive) or "all" (every message in the mailbox).
	Start string `json:"start,omitempty"`
}

// IMAPPollKey is the workflow key of a mailbox trigger's row among the
// polling triggers' states (store.Polls): an IMAP trigger keeps its cursor
// and claim there, apart from workflow's `on.poll` triggers by this prefix.
// Deleting a workflow drops the rows under both keys.
func IMAPPollKey(workflow string) string { return "imap:" + workflow }
