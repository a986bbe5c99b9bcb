// Package weft holds Weft's domain types — workflows, steps, triggers,
// executions and step runs, with their states — and the sentinel errors the
// other packages share. It imports the standard library only, so every other
// package can depend on it without cycles.
//
// Read this package first: engine, store, api and the connectors all speak in
// these types.
package weft
