//go:build race

package api

// raceEnabled: under the race detector TestGetLargeWorkflowDoesNotReparse
// builds a smaller workflow (see there).
const raceEnabled = true
