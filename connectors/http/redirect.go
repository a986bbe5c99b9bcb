package http

import (
	"context"
	"errors"
	"fmt"
	nethttp "net/http"
	"net/url"
	"slices"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/step"
)

// authorize adds the step's credential to hreq and, when the step follows
// redirects, makes client authenticate every hop anew: the headers the
// credential added are removed from each redirected request and added again
// only where the credential's `hosts` allow it. A redirect to a host the
// credential may not reach is refused. Go strips Authorization and Cookie
// on a cross-domain redirect but forwards every other header, so without
// this an X-API-Key (or a custom credential's header) reached whatever host
// the server redirected to.
func authorize(ctx context.Context, req *step.Request, c *call, b *binding, hreq *nethttp.Request, client *nethttp.Client) error {
	before := hreq.Header.Clone()
	if err := b.conns.Authorize(ctx, req.Workflow, b.credential, hreq); err != nil {
		return credentialError(err)
	}
	if !c.follow {
		return nil
	}
	added := changedHeaders(before, hreq.Header)
	client.CheckRedirect = func(next *nethttp.Request, via []*nethttp.Request) error {
		if len(via) >= maxRedirects {
			return fmt.Errorf("stopped after %d redirects", maxRedirects)
		}
		for _, name := range added {
			next.Header.Del(name)
		}
		if err := b.conns.Authorize(ctx, req.Workflow, b.credential, next); err != nil {
			return &redirectError{to: next.URL, credential: b.credential, err: err}
		}
		return nil
	}
	return nil
}

// changedHeaders lists the headers whose values differ between before and
// after: those a credential set.
func changedHeaders(before, after nethttp.Header) []string {
	var out []string
	for k, vs := range after {
		if !slices.Equal(before[k], vs) {
			out = append(out, k)
		}
	}
	return out
}

// redirectError is a redirect the step's credential may not follow.
type redirectError struct {
	to         *url.URL
	credential string
	err        error
}

func (e *redirectError) Error() string {
	return fmt.Sprintf("redirect to %s refused: %v", safeURL(e.to), e.err)
}

func (e *redirectError) Unwrap() error { return e.err }

// redirectRefusal turns a refused redirect into the step's error: final
// when the credential may not go there (another attempt would be redirected
// again), retryable when only its token could not be had right now.
func redirectRefusal(c *call, re *redirectError) error {
	err := &step.CodedError{Code: "credential", Err: fmt.Errorf("http.request: %s %s: %w", c.method, safeURL(c.url), re)}
	if errors.Is(re.err, weft.ErrInvalid) {
		err.Err = fmt.Errorf("%w; a credential is sent on every redirect only to the hosts it allows: add the host to credential %q's hosts if it may have it, or set follow_redirects: false and handle the 3xx in the workflow", err.Err, re.credential)
		return err
	}
	var temp interface{ Temporary() bool }
	if errors.As(re.err, &temp) && temp.Temporary() {
		return step.Retryable(err, 0)
	}
	return err
}
