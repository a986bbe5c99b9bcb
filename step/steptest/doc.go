// Package steptest is the conformance kit for connectors: every step type
// should pass CheckSpec (or CheckRegistry for a whole package), and its tests
// should run handlers the way the engine does, through Run and Resume, which
// send Output and Suspend.State through JSON exactly like the store.
//
// NewRequest builds a Request with a fake Env: a fixed Clock, a discarding
// logger and an in-memory Workflows, so tests never depend on wall-clock time.
//
//	reg := step.NewRegistry()
//	_ = core.Register(reg)
//	steptest.CheckRegistry(t, reg)
//	req := steptest.NewRequest(map[string]any{"for": "10m"})
//	res, err := steptest.Run(t, reg, "wait", req)
package steptest
