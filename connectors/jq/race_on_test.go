//go:build race

package jq_test

// raceEnabled: under the race detector TestHostilePrograms and FuzzJQ's
// seeds leave out heavyPrograms (see there); .ci/run runs them in full
// without -race.
const raceEnabled = true
