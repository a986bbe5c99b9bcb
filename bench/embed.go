// Package bench holds Weft's load and comparison scripts (see
// docs/benchmarks.md) and embeds bench.yaml, the workflow a fresh server
// installs so /hooks/bench answers on first start.
package bench

import _ "embed"

// Workflow is bench.yaml.
//
//go:embed bench.yaml
var Workflow []byte
