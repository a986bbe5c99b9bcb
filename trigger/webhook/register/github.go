package register

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// GitHub registers repository hooks (/repos/{owner}/{repo}/hooks). Weft
// generates the secret and sends it in config.secret.
type GitHub struct{}

var _ Provider = GitHub{}

type githubHook struct {
	ID     int64    `json:"id"`
	Events []string `json:"events"`
	Active bool     `json:"active"`
	Config struct {
		URL string `json:"url"`
	} `json:"config"`
}

func hooksPath(repo string) string {
	o, n, _ := strings.Cut(repo, "/")
	return "/repos/" + o + "/" + n + "/hooks"
}

func (GitHub) find(ctx context.Context, c *Caller, w Want) (*githubHook, error) {
	for page := 1; page <= maxPages; page++ {
		var hooks []githubHook
		if err := c.do(ctx, http.MethodGet, hooksPath(w.Repo)+"?per_page=100&page="+strconv.Itoa(page), nil, nil, &hooks); err != nil {
			return nil, err
		}
		for i, h := range hooks {
			if h.Config.URL == w.URL {
				return &hooks[i], nil
			}
		}
		if len(hooks) < 100 {
			return nil, nil
		}
	}
	return nil, nil
}

func newSecret() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generating a webhook secret: %w", err)
	}
	return hex.EncodeToString(b), nil
}

func githubBody(w Want, secret string) map[string]any {
	cfg := map[string]any{"url": w.URL, "content_type": "json", "insecure_ssl": "0"}
	if secret != "" {
		cfg["secret"] = secret
	}
	return map[string]any{"name": "web", "active": true, "events": w.Events, "config": cfg}
}

// Ensure implements Provider.
func (g GitHub) Ensure(ctx context.Context, c *Caller, w Want, haveSecret bool) (Endpoint, error) {
	cur, err := g.find(ctx, c, w)
	if err != nil {
		return Endpoint{}, err
	}
	if cur != nil {
		id := strconv.FormatInt(cur.ID, 10)
		if haveSecret && cur.Active && sameSet(cur.Events, w.Events) {
			return Endpoint{ID: id}, nil
		}
		secret := ""
		if !haveSecret {
			if secret, err = newSecret(); err != nil {
				return Endpoint{}, err
			}
		}
		body := githubBody(w, secret)
		delete(body, "name")
		if err := c.do(ctx, http.MethodPatch, hooksPath(w.Repo)+"/"+id, nil, body, nil); err != nil {
			return Endpoint{}, err
		}
		return Endpoint{ID: id, Secret: secret}, nil
	}
	secret, err := newSecret()
	if err != nil {
		return Endpoint{}, err
	}
	var out githubHook
	if err := c.do(ctx, http.MethodPost, hooksPath(w.Repo), nil, githubBody(w, secret), &out); err != nil {
		return Endpoint{}, err
	}
	if out.ID == 0 {
		return Endpoint{}, errors.New("github created a hook but returned no id")
	}
	return Endpoint{ID: strconv.FormatInt(out.ID, 10), Secret: secret}, nil
}

// Remove implements Provider.
func (g GitHub) Remove(ctx context.Context, c *Caller, w Want, _ string) error {
	cur, err := g.find(ctx, c, w)
	if err != nil || cur == nil {
		return err
	}
	if err := c.do(ctx, http.MethodDelete, hooksPath(w.Repo)+"/"+strconv.FormatInt(cur.ID, 10), nil, nil, nil); err != nil {
		var ae *APIError
		if errors.As(err, &ae) && ae.Status == http.StatusNotFound {
			return nil
		}
		return fmt.Errorf("removing github hook %d: %w", cur.ID, err)
	}
	return nil
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	m := map[string]bool{}
	for _, x := range a {
		m[x] = true
	}
	for _, x := range b {
		if !m[x] {
			return false
		}
	}
	return true
}
