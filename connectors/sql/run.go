package sql

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/connectors/internal/input"
	"github.com/weftworks/weft/step"
)

// common are the inputs both steps read.
type common struct {
	credential string
	timeout    time.Duration
	idempotent bool
}

func readCommon(in input.Reader) (common, error) {
	var c common
	var err error
	if c.credential, err = in.String("credential"); err != nil {
		return c, err
	}
	if c.timeout, err = in.Duration("timeout"); err != nil {
		return c, err
	}
	if c.timeout <= 0 {
		return c, input.Invalid("timeout", "must be longer than 0s")
	}
	if c.idempotent, err = in.Bool("idempotent"); err != nil {
		return c, err
	}
	return c, nil
}

// pool returns the credential's pool for this request.
func (s *Service) pool(ctx context.Context, req *step.Request, typ, name string) (*pool, error) {
	if req.Env == nil || req.Env.Connections == nil {
		return nil, step.Errorf(input.CodeValidation, "%s: credential %q is set but this Weft has no credential vault", typ, name)
	}
	pl, err := s.pools.get(ctx, req.Env.Connections, req.Workflow, name)
	if err != nil {
		var ce *step.CodedError
		if errors.As(err, &ce) {
			return nil, err
		}
		var temp interface{ Temporary() bool }
		wrapped := &step.CodedError{Code: CodeCredential, Err: fmt.Errorf("%s: %w", typ, err)}
		if !errors.Is(err, weft.ErrInvalid) && !errors.Is(err, weft.ErrNotFound) && errors.As(err, &temp) && temp.Temporary() {
			return nil, step.Retryable(wrapped, 0)
		}
		return nil, wrapped
	}
	return pl, nil
}

// report tells the connection's status how a call went (connection
// failures only: a refused statement says nothing about the connection).
func report(req *step.Request, name string, err error) {
	if req.Env == nil || req.Env.Connections == nil {
		return
	}
	if err != nil && !isConnectionError(err) {
		err = nil
	}
	req.Env.Connections.Report(name, err)
}

// sleepCtx waits d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
