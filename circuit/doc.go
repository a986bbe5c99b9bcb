// Package circuit holds Weft's circuit breakers: one sony/gobreaker breaker
// per host (and failure threshold), shared by every step of the process that
// asks for one (http.request's circuit_breaker, a connection's
// retry.breaker). The composition root builds one Breakers and hands it to
// the connectors, the metrics (weft_circuit_breaker_state{host},
// weft_circuit_breaker_opens_total{host}) and the connections API, so an
// open circuit is visible where operators look.
//
// Each process keeps its own breakers, and on PostgreSQL they are shared:
// with Config.Shared set, Run records every circuit that opens here in the
// database and reads the circuits open anywhere every SyncEvery (500ms), so
// a host that failed for one process is skipped by all within a second.
// Counting failures stays local: only the decision (open until when) is
// shared, one small write per opening and one read per tick.
package circuit
