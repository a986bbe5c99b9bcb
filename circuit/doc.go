// Package circuit holds Weft's circuit breakers: one sony/gobreaker breaker
// per host (and failure threshold), shared by every step of the process that
// asks for one (http.request's circuit_breaker, a connection's
// retry.breaker). The composition root builds one Breakers and hands it to
// the connectors, the metrics (weft_circuit_breaker_state{host},
// weft_circuit_breaker_opens_total{host}) and the connections API, so an
// open circuit is visible where operators look.
//
// Breakers are per process: an open circuit protects this process's calls;
// other processes sharing the database keep their own.
package circuit
