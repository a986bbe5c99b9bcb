//go:build race

package expr

// raceEnabled: under the race detector TestHostileSizes and TestEvalErrors
// leave out heavyUnderRace (see there); .ci/run runs them in full without
// -race.
const raceEnabled = true
