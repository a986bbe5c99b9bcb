// Package metrics holds Weft's Prometheus collectors. They live on a
// registry owned by the process (never the global default registry), so
// tests can build as many servers as they like.
package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/weftworks/weft/circuit"
)

// Metrics is the set of collectors the engine, triggers and stores update.
// A nil *Metrics is valid and records nothing.
type Metrics struct {
	Registry           *prometheus.Registry
	ExecutionsStarted  *prometheus.CounterVec
	ExecutionsFinished *prometheus.CounterVec
	StepDuration       *prometheus.HistogramVec
	StepAttempts       *prometheus.CounterVec
	WebhookRequests    *prometheus.CounterVec
	// WebhookRefusals counts webhook requests refused, by reason (the
	// delivery log outcome): counted always, even when the delivery log and
	// the server log leave them out.
	WebhookRefusals *prometheus.CounterVec
	// LogSuppressed counts lines not written because a source sent too many
	// refused requests, by log (delivery_log, server_log).
	LogSuppressed     *prometheus.CounterVec
	StoreLatency      *prometheus.HistogramVec
	RunningExecutions prometheus.Gauge
	// AI calls (connectors/ai and the gateway; workflow is "" for gateway calls).
	AIRequests *prometheus.CounterVec
	AITokens   *prometheus.CounterVec
	AICost     *prometheus.CounterVec
	// CircuitOpens counts how often a host's circuit breaker opened.
	CircuitOpens *prometheus.CounterVec
}

// New creates the collectors on a fresh registry, with Go runtime and
// process collectors.
func New() *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{
		Registry: reg,
		ExecutionsStarted: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "weft_executions_started_total", Help: "Executions created, by workflow and trigger.",
		}, []string{"workflow", "trigger"}),
		ExecutionsFinished: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "weft_executions_finished_total", Help: "Executions that reached a final status, by workflow and status.",
		}, []string{"workflow", "status"}),
		StepDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "weft_step_duration_seconds", Help: "Duration of step attempts, by step type and outcome.",
			Buckets: []float64{.0005, .001, .005, .01, .05, .1, .5, 1, 5, 30, 120},
		}, []string{"type", "outcome"}),
		StepAttempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "weft_step_attempts_total", Help: "Step attempts, by step type and outcome (succeeded, failed, retry, suspended).",
		}, []string{"type", "outcome"}),
		WebhookRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "weft_webhook_requests_total", Help: "Webhook requests answered, by HTTP status code.",
		}, []string{"code"}),
		WebhookRefusals: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "weft_webhook_refusals_total", Help: "Webhook requests refused, by reason (not_listening, rejected, forbidden, rate_limited, too_large, bad_request, bad_method, overloaded, error).",
		}, []string{"reason"}),
		LogSuppressed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "weft_log_suppressed_total", Help: "Log lines and delivery-log rows of refused requests left out by the per-source limit, by log (delivery_log, server_log).",
		}, []string{"log"}),
		StoreLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "weft_store_operation_seconds", Help: "Latency of store operations, by operation.",
			Buckets: []float64{.0001, .0005, .001, .0025, .005, .01, .025, .05, .1, .5, 1},
		}, []string{"op"}),
		RunningExecutions: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "weft_executions_in_process", Help: "Executions this process is running right now.",
		}),
		AIRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "weft_ai_requests_total", Help: "AI model calls, by workflow, provider, model and outcome (ok, error, cache_hit, fallback_answer, budget_exceeded).",
		}, []string{"workflow", "provider", "model", "outcome"}),
		AITokens: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "weft_ai_tokens_total", Help: "Tokens used by AI model calls, by workflow, provider, model and kind (input, output, cached).",
		}, []string{"workflow", "provider", "model", "kind"}),
		AICost: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "weft_ai_cost_usd_total", Help: "Cost of AI model calls in USD (from the price table), by workflow, provider and model.",
		}, []string{"workflow", "provider", "model"}),
		CircuitOpens: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "weft_circuit_breaker_opens_total", Help: "Times a host's circuit breaker opened in this process.",
		}, []string{"host"}),
	}
	reg.MustRegister(m.ExecutionsStarted, m.ExecutionsFinished, m.StepDuration, m.StepAttempts,
		m.WebhookRequests, m.WebhookRefusals, m.LogSuppressed, m.StoreLatency, m.RunningExecutions, m.AIRequests, m.AITokens, m.AICost, m.CircuitOpens,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// WebhookRefused counts a refused webhook request. Safe on a nil *Metrics.
func (m *Metrics) WebhookRefused(reason string) {
	if m != nil {
		m.WebhookRefusals.WithLabelValues(reason).Inc()
	}
}

// Suppressed counts n lines left out of log. Safe on a nil *Metrics.
func (m *Metrics) Suppressed(log string, n int) {
	if m != nil {
		m.LogSuppressed.WithLabelValues(log).Add(float64(n))
	}
}

// circuitStateDesc describes weft_circuit_breaker_state.
var circuitStateDesc = prometheus.NewDesc("weft_circuit_breaker_state",
	"State of each host's circuit breaker in this process: 0 closed, 1 half-open, 2 open.", []string{"host"}, nil)

// CircuitOpened counts an opening of host's circuit breaker (use it as
// circuit.Config.OnOpen). Safe on a nil *Metrics.
func (m *Metrics) CircuitOpened(host string) {
	if m != nil {
		m.CircuitOpens.WithLabelValues(host).Inc()
	}
}

// WatchCircuits exports weft_circuit_breaker_state{host} of b, read at
// scrape time (so an open circuit whose timeout passed shows half-open
// without waiting for the next call). Call it once per Breakers.
func (m *Metrics) WatchCircuits(b *circuit.Breakers) {
	if m == nil || b == nil {
		return
	}
	m.Registry.MustRegister(circuitCollector{b})
}

type circuitCollector struct{ b *circuit.Breakers }

func (c circuitCollector) Describe(ch chan<- *prometheus.Desc) { ch <- circuitStateDesc }

func (c circuitCollector) Collect(ch chan<- prometheus.Metric) {
	for host, s := range c.b.States() {
		ch <- prometheus.MustNewConstMetric(circuitStateDesc, prometheus.GaugeValue, float64(s), host)
	}
}

// AICall counts one AI call by outcome (connectors/ai's Meter).
func (m *Metrics) AICall(workflow, provider, model, outcome string) {
	m.AIRequests.WithLabelValues(workflow, provider, model, outcome).Inc()
}

// AIUsage adds an AI call's tokens and cost (connectors/ai's Meter).
func (m *Metrics) AIUsage(workflow, provider, model string, input, output, cached int64, costUSD float64) {
	m.AITokens.WithLabelValues(workflow, provider, model, "input").Add(float64(input))
	m.AITokens.WithLabelValues(workflow, provider, model, "output").Add(float64(output))
	m.AITokens.WithLabelValues(workflow, provider, model, "cached").Add(float64(cached))
	m.AICost.WithLabelValues(workflow, provider, model).Add(costUSD)
}
