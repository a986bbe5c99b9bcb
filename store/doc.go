// Package store declares what Weft keeps on disk and how it is read and
// written: workflows and their versions, executions and step runs, dedupe
// keys and execution leases. storesqlite (the embedded default) and storepg
// (several processes on one PostgreSQL) implement it; storetest is the one
// conformance suite both must pass.
//
// Writes that change an execution go through Apply, one atomic Mutation at a
// time. A store may group many concurrent Mutations into one transaction
// (group commit) but each keeps its own all-or-nothing outcome.
package store
