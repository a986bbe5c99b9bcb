// Package poll runs polling triggers (`on.poll`): for APIs without
// webhooks, a registered step type (http.request, graphql.query, an app
// operation) runs every interval; the items its output holds start one
// execution each.
//
// Guarantees, on one database shared by any number of processes:
//
//   - At most one poll per interval: a process polls a trigger only after
//     claiming its row (store.Polls.ClaimPoll), which is due once per
//     interval and held by one owner at a time.
//   - No item lost, none duplicated: each item starts its execution with a
//     dedupe key (workflow, trigger, item id), atomic in the store; the
//     cursor and the seen ids advance only after every new item's
//     execution is on disk. A crash in between makes the next poll fetch
//     the same items again, and the dedupe keys refuse the ones already
//     started.
//   - A source that answers 429 with Retry-After pauses the trigger until
//     then; it resumes by itself.
//   - Bounded work: a poll may return at most max_items items and an
//     output of at most Config.MaxOutputBytes; more fails the poll with an error
//     that says so, and the process carries on.
package poll
