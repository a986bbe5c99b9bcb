// Package signature computes Standard Webhooks signatures (HMAC-SHA256 over
// "id.timestamp.body", sent as webhook-signature: v1,<base64>). One
// implementation serves both directions: webhook.send and outbound
// subscriptions sign with it, and the standard-webhooks and svix verify
// schemes check against it. It imports the standard library only.
package signature

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"strings"
	"time"
)

// SecretKey decodes a Standard Webhooks secret: "whsec_" + base64 of the
// key. A value without the prefix is tried as base64 and else used as is.
func SecretKey(secret []byte) []byte {
	s := strings.TrimPrefix(string(secret), "whsec_")
	if k, err := base64.StdEncoding.DecodeString(s); err == nil && len(k) > 0 {
		return k
	}
	return secret
}

// MAC is HMAC-SHA256 with key over "id.timestamp.body", timestamp as sent
// (Unix seconds in decimal).
func MAC(key []byte, id, timestamp string, body []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id))
	m.Write([]byte("."))
	m.Write([]byte(timestamp))
	m.Write([]byte("."))
	m.Write(body)
	return m.Sum(nil)
}

// Sign returns the webhook-signature value ("v1,<base64>") of a message, per
// the Standard Webhooks spec.
func Sign(secret []byte, id string, ts time.Time, body []byte) string {
	sum := MAC(SecretKey(secret), id, strconv.FormatInt(ts.Unix(), 10), body)
	return "v1," + base64.StdEncoding.EncodeToString(sum)
}
