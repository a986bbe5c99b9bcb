package http

import (
	"fmt"
	"net"
	nethttp "net/http"
	"time"

	"github.com/weftworks/weft/circuit"
	"github.com/weftworks/weft/step"
)

// Options hand http.request the services of the composition root.
type Options struct {
	// Breakers holds the per-host circuit breakers (shared with metrics and
	// the connections API); nil gives the step its own.
	Breakers *circuit.Breakers
}

// Register adds http.request to reg.
func Register(reg *step.Registry) error { return RegisterWith(reg, Options{}) }

// RegisterWith is Register with services from the composition root.
func RegisterWith(reg *step.Registry, o Options) error {
	if o.Breakers == nil {
		o.Breakers = circuit.New(circuit.Config{})
	}
	spec := requestSpec()
	if err := reg.Add(spec, &requester{spec: spec, fallback: defaultClient(), breakers: o.Breakers}); err != nil {
		return fmt.Errorf("registering http step types: %w", err)
	}
	return nil
}

// defaultClient is used when the engine lends no HTTP client. The overall
// limit is the step's `timeout` (a context deadline); these bound the phases
// so a dead host cannot hold a connection slot for the whole timeout.
func defaultClient() *nethttp.Client {
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	return &nethttp.Client{Transport: &nethttp.Transport{
		Proxy:                 nethttp.ProxyFromEnvironment,
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   10,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
	}}
}
