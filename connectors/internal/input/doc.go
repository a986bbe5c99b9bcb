// Package input reads a step's evaluated `with:` values as typed Go values.
//
// Defaults come from the step's Spec, so a connector never states a default
// twice: the engine applies the same defaults before calling a handler, and
// Reader applies them again for callers (tests, future engines) that do not.
// Every error is a step.CodedError with code "validation" that names the
// field and the expected shape but never echoes the value, because the value
// may hold a secret.
package input
