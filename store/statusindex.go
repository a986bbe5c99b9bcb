package store

import "github.com/weftworks/weft"

// StatusIndexTerm is the condition of both stores' executions_status index
// (migration 0014): succeeded executions, most rows and the ones written on
// the fast path, are left out of it. A query filtering on other statuses
// repeats the term word for word, so the planner may use that index (SQLite
// matches a partial index's condition only by the terms of the query, and
// PostgreSQL cannot prove it from a bound parameter in a generic plan).
// A query for succeeded executions walks the created_at or workflow index
// instead, where nearly every row matches.
const StatusIndexTerm = "status <> 'succeeded'"

// StatusIndexable reports whether a filter on statuses may add
// StatusIndexTerm: some statuses are given and none is succeeded.
func StatusIndexable(statuses ...weft.ExecutionStatus) bool {
	if len(statuses) == 0 {
		return false
	}
	for _, s := range statuses {
		if s == weft.ExecutionSucceeded {
			return false
		}
	}
	return true
}
