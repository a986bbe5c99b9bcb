package verify

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"strings"
	"time"

	"github.com/weftworks/weft/trigger/webhook/verifyspec"
)

// hubspotVerifier checks HubSpot's v3 signature: X-HubSpot-Signature-v3 is
// the base64 HMAC-SHA256 of method + URI + body + timestamp, with
// X-HubSpot-Request-Timestamp in Unix milliseconds within the tolerance
// (5 minutes by default, as HubSpot asks).
type hubspotVerifier struct{ tolerance time.Duration }

// hubspotDecode undoes the percent-encodings HubSpot decodes before
// signing the URI.
var hubspotDecode = strings.NewReplacer("%3A", ":", "%2F", "/", "%3F", "?", "%40", "@", "%21", "!", "%24", "$",
	"%27", "'", "%28", "(", "%29", ")", "%2A", "*", "%2C", ",", "%3B", ";",
	"%3a", ":", "%2f", "/", "%3f", "?", "%2a", "*", "%2c", ",", "%3b", ";")

// uri is the full URL the sender called: PublicURL (or the scheme and
// Host) + the request URI.
func (r *Request) uri() string {
	path := "/"
	if r.URL != nil {
		path = r.URL.RequestURI()
	}
	base := strings.TrimRight(r.PublicURL, "/")
	if base == "" {
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		base = scheme + "://" + r.Host
	}
	return hubspotDecode.Replace(base + path)
}

func (h hubspotVerifier) Verify(_ context.Context, r *Request, secrets []Secret) (Result, error) {
	res := Result{Scheme: verifyspec.SchemeHubSpot}
	if err := noSecret(verifyspec.SchemeHubSpot, secrets); err != nil {
		return res, err
	}
	ts, err := single(verifyspec.SchemeHubSpot, r.Header, "X-HubSpot-Request-Timestamp")
	if err != nil {
		return res, err
	}
	v, err := single(verifyspec.SchemeHubSpot, r.Header, "X-HubSpot-Signature-v3")
	if err != nil {
		return res, err
	}
	ms, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || ms <= 0 {
		return res, fail(verifyspec.SchemeHubSpot, ReasonMalformed, "X-HubSpot-Request-Timestamp is not Unix milliseconds")
	}
	t := time.UnixMilli(ms).UTC()
	if err := checkTimestamp(verifyspec.SchemeHubSpot, t, r.Now, h.tolerance); err != nil {
		return res, err
	}
	sig, err := base64.StdEncoding.DecodeString(v)
	if err != nil || len(sig) != sha256.Size {
		return res, fail(verifyspec.SchemeHubSpot, ReasonMalformed, "X-HubSpot-Signature-v3 is not a base64 SHA-256 MAC")
	}
	id, ok := matchAny(sha256.New, secrets, [][]byte{sig}, []byte(r.Method), []byte(r.uri()), r.Body, []byte(ts))
	if !ok {
		return res, fail(verifyspec.SchemeHubSpot, ReasonBadSignature, "no active secret produces X-HubSpot-Signature-v3 over method, URL, body and timestamp; check --public-url matches the URL HubSpot calls")
	}
	res.KeyID, res.Timestamp = id, &t
	return res, nil
}
