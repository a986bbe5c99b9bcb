package verify

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"time"

	"github.com/weftworks/weft/signature"
)

// standardVerifier checks the Standard Webhooks headers (webhook-id,
// webhook-timestamp, webhook-signature), which Svix sends as svix-*.
type standardVerifier struct {
	scheme    string
	prefix    string // header prefix: "webhook-" or "svix-"
	fallback  string // also accepted (Svix sends both on some plans)
	tolerance time.Duration
}

// parseStandardSignatures reads webhook-signature: space-separated
// "version,base64" entries. Entries of other versions are skipped (v1a is
// asymmetric, not supported); malformed v1 entries cannot match and are
// skipped too.
func parseStandardSignatures(scheme, v string) ([][]byte, error) {
	var sigs [][]byte
	for _, item := range strings.Fields(v) {
		ver, b64, ok := strings.Cut(item, ",")
		if !ok {
			return nil, fail(scheme, ReasonMalformed, "signature entry is not version,signature")
		}
		if ver != "v1" {
			continue
		}
		sig, err := base64.StdEncoding.DecodeString(b64)
		if err != nil || len(sig) != sha256.Size {
			continue
		}
		if len(sigs) >= 16 {
			return nil, fail(scheme, ReasonMalformed, "more than 16 v1 signatures")
		}
		sigs = append(sigs, sig)
	}
	if len(sigs) == 0 {
		return nil, fail(scheme, ReasonMalformed, "no v1 signature")
	}
	return sigs, nil
}

func (s standardVerifier) header(h map[string][]string, name string) string {
	if _, ok := h[canonical(s.prefix+name)]; ok || s.fallback == "" {
		return s.prefix + name
	}
	return s.fallback + name
}

func canonical(name string) string {
	b := []byte(name)
	upper := true
	for i, c := range b {
		if upper && 'a' <= c && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
		upper = c == '-'
	}
	return string(b)
}

func (s standardVerifier) Verify(_ context.Context, r *Request, secrets []Secret) (Result, error) {
	res := Result{Scheme: s.scheme}
	if err := noSecret(s.scheme, secrets); err != nil {
		return res, err
	}
	idName, tsName, sigName := s.header(r.Header, "id"), s.header(r.Header, "timestamp"), s.header(r.Header, "signature")
	id, err := single(s.scheme, r.Header, idName)
	if err != nil {
		return res, err
	}
	ts, err := single(s.scheme, r.Header, tsName)
	if err != nil {
		return res, err
	}
	v, err := single(s.scheme, r.Header, sigName)
	if err != nil {
		return res, err
	}
	t, err := parseUnix(s.scheme, tsName, ts)
	if err != nil {
		return res, err
	}
	if err := checkTimestamp(s.scheme, t, r.Now, s.tolerance); err != nil {
		return res, err
	}
	sigs, err := parseStandardSignatures(s.scheme, v)
	if err != nil {
		return res, err
	}
	found, keyID := false, ""
	for _, sec := range secrets {
		if len(sec.Value) == 0 {
			continue
		}
		want := signature.MAC(signature.SecretKey(sec.Value), id, ts, r.Body)
		for _, sig := range sigs {
			if hmac.Equal(want, sig) && !found {
				found, keyID = true, sec.ID
			}
		}
	}
	if !found {
		return res, fail(s.scheme, ReasonBadSignature, "no active secret produces a v1 signature of %s", sigName)
	}
	res.KeyID, res.Timestamp = keyID, &t
	return res, nil
}
