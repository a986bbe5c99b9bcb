package register

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
)

// Stripe registers webhook endpoints (POST/GET/DELETE /v1/webhook_endpoints).
type Stripe struct{}

var _ Provider = Stripe{}

type stripeEndpoint struct {
	ID            string            `json:"id"`
	URL           string            `json:"url"`
	EnabledEvents []string          `json:"enabled_events"`
	Metadata      map[string]string `json:"metadata"`
	Secret        string            `json:"secret"`
}

// maxPages bounds the endpoints listed (Stripe allows 16 per account).
const maxPages = 20

// find returns the endpoint whose URL is w.URL, or nil.
func (Stripe) find(ctx context.Context, c *Caller, w Want) (*stripeEndpoint, error) {
	after := ""
	for range maxPages {
		q := url.Values{"limit": {"100"}}
		if after != "" {
			q.Set("starting_after", after)
		}
		var page struct {
			Data    []stripeEndpoint `json:"data"`
			HasMore bool             `json:"has_more"`
		}
		if err := c.do(ctx, http.MethodGet, "/v1/webhook_endpoints?"+q.Encode(), nil, nil, &page); err != nil {
			return nil, err
		}
		for i, e := range page.Data {
			if e.URL == w.URL {
				return &page.Data[i], nil
			}
		}
		if !page.HasMore || len(page.Data) == 0 {
			return nil, nil
		}
		after = page.Data[len(page.Data)-1].ID
	}
	return nil, nil
}

func stripeForm(w Want) url.Values {
	f := url.Values{"url": {w.URL}, "metadata[weft_workflow]": {w.Workflow}}
	for _, e := range w.Events {
		f.Add("enabled_events[]", e)
	}
	return f
}

// Ensure implements Provider.
func (s Stripe) Ensure(ctx context.Context, c *Caller, w Want, haveSecret bool) (Endpoint, error) {
	cur, err := s.find(ctx, c, w)
	if err != nil {
		return Endpoint{}, err
	}
	if cur != nil && haveSecret {
		if slices.Equal(cur.EnabledEvents, w.Events) && cur.Metadata["weft_workflow"] == w.Workflow {
			return Endpoint{ID: cur.ID}, nil
		}
		f := stripeForm(w)
		f.Del("url")
		var out stripeEndpoint
		if err := c.do(ctx, http.MethodPost, "/v1/webhook_endpoints/"+url.PathEscape(cur.ID), f, nil, &out); err != nil {
			return Endpoint{}, err
		}
		return Endpoint{ID: cur.ID}, nil
	}
	if cur != nil {
		// Stripe shows the signing secret only on create: without it the
		// endpoint is useless, so it is replaced.
		if err := c.do(ctx, http.MethodDelete, "/v1/webhook_endpoints/"+url.PathEscape(cur.ID), nil, nil, nil); err != nil {
			return Endpoint{}, err
		}
	}
	var out stripeEndpoint
	if err := c.do(ctx, http.MethodPost, "/v1/webhook_endpoints", stripeForm(w), nil, &out); err != nil {
		return Endpoint{}, err
	}
	if out.ID == "" || out.Secret == "" {
		return Endpoint{}, errors.New("stripe created an endpoint but returned no id or secret")
	}
	return Endpoint{ID: out.ID, Secret: out.Secret}, nil
}

// Remove implements Provider.
func (s Stripe) Remove(ctx context.Context, c *Caller, w Want, id string) error {
	cur, err := s.find(ctx, c, w)
	if err != nil {
		return err
	}
	if cur != nil {
		id = cur.ID
	} else {
		return nil
	}
	if err := c.do(ctx, http.MethodDelete, "/v1/webhook_endpoints/"+url.PathEscape(id), nil, nil, nil); err != nil {
		var ae *APIError
		if errors.As(err, &ae) && ae.Status == http.StatusNotFound {
			return nil
		}
		return fmt.Errorf("removing stripe endpoint %s: %w", id, err)
	}
	return nil
}
