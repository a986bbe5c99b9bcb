// Package imap runs mailbox triggers (`on.imap`): each new message in a
// mailbox of an `imap` connection starts one execution.
//
// Guarantees:
//
//   - One watcher per mailbox across processes on one database: the
//     trigger's row in the poll states (keyed "imap:<workflow>") is claimed
//     with a lease that the watcher renews every cycle; a process that
//     dies frees it when the lease ends.
//   - No message lost, none duplicated: the cursor is (UIDVALIDITY, last
//     UID); each message starts its execution with the dedupe key
//     (mailbox, uidvalidity, uid) before the cursor moves past it, so a
//     crash in between fetches the message again and the key refuses it.
//     A UIDVALIDITY change resets the cursor to the mailbox's UIDNEXT.
//   - A first start begins at UIDNEXT (start: new) so a mailbox of 100k
//     messages costs nothing; a cycle fetches at most max_per_cycle
//     messages and at most MaxMessageBytes of each.
//   - Never silent: IDLE (or NOOP when polling) must be answered within
//     Config.Watchdog; otherwise the trigger turns unhealthy, the
//     connection is dropped and redialled with exponential backoff.
package imap
