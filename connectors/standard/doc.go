// Package standard lists Weft's built-in step types and generates their
// reference pages. The composition root registers them in one call:
//
//	reg := step.NewRegistry()
//	if err := standard.Register(reg); err != nil { … }
//
// docs/steps/*.md is made from the registered specs by GenerateDocs; a golden
// test keeps the committed pages equal to the specs (refresh them with
// `go test ./connectors/standard -update`).
package standard
