// Package step is the connector SDK: a step type is a Spec (data that drives
// validation, the JSON Schema of workflow files, the /api/v1/steps catalog and
// the generated docs) plus a Handler that runs it. Connectors register their
// types in an explicit Registry:
//
//	reg := step.NewRegistry()
//	standard.Register(reg)
//
// Handlers get a Request with their resolved inputs and an Env with the
// services the engine lends them (HTTP client, logger, workflow starter). They
// return a Result, or an error; wrap an error with Retryable to ask the engine
// for another attempt after a backoff.
package step
