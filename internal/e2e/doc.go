// Package e2e holds tests that run the real weft binary as separate
// processes: crash recovery after SIGKILL, and several processes sharing one
// PostgreSQL database. They build the binary once per test run.
package e2e
