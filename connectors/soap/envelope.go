package soap

import (
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"
)

// Namespaces of the envelope.
const (
	ns11     = "http://schemas.xmlsoap.org/soap/envelope/"
	ns12     = "http://www.w3.org/2003/05/soap-envelope"
	nsWSSE   = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
	nsWSU    = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
	pwText   = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText"
	pwDigest = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest"
	b64Type  = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary"
)

var xmlName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9._-]*(:[A-Za-z_][A-Za-z0-9._-]*)?$`)

// usernameToken is a WS-Security UsernameToken.
type usernameToken struct {
	username, password string
	digest             bool
}

// envelope builds the whole document.
func envelope(version string, header, body string, tok *usernameToken, now time.Time) (string, error) {
	ns := ns11
	if version == "1.2" {
		ns = ns12
	}
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>`)
	b.WriteString(`<soap:Envelope xmlns:soap="` + ns + `">`)
	if tok != nil || header != "" {
		b.WriteString("<soap:Header>")
		if tok != nil {
			s, err := tok.xml(now)
			if err != nil {
				return "", err
			}
			b.WriteString(s)
		}
		b.WriteString(header)
		b.WriteString("</soap:Header>")
	}
	b.WriteString("<soap:Body>" + body + "</soap:Body></soap:Envelope>")
	return b.String(), nil
}

// xml renders the token. PasswordDigest is
// Base64(SHA-1(nonce + created + password)) per the UsernameToken Profile 1.0.
func (t *usernameToken) xml(now time.Time) (string, error) {
	created := now.UTC().Format("2006-01-02T15:04:05.000Z")
	var b strings.Builder
	b.WriteString(`<wsse:Security xmlns:wsse="` + nsWSSE + `" xmlns:wsu="` + nsWSU + `" soap:mustUnderstand="1">`)
	b.WriteString(`<wsse:UsernameToken><wsse:Username>` + escape(t.username) + `</wsse:Username>`)
	if !t.digest {
		b.WriteString(`<wsse:Password Type="` + pwText + `">` + escape(t.password) + `</wsse:Password>`)
	} else {
		nonce := make([]byte, 16)
		if _, err := rand.Read(nonce); err != nil {
			return "", fmt.Errorf("making a nonce: %w", err)
		}
		b.WriteString(`<wsse:Password Type="` + pwDigest + `">` + Digest(nonce, created, t.password) + `</wsse:Password>`)
		b.WriteString(`<wsse:Nonce EncodingType="` + b64Type + `">` + base64.StdEncoding.EncodeToString(nonce) + `</wsse:Nonce>`)
	}
	b.WriteString(`<wsu:Created>` + created + `</wsu:Created></wsse:UsernameToken></wsse:Security>`)
	return b.String(), nil
}

// Digest is the PasswordDigest of a UsernameToken.
func Digest(nonce []byte, created, password string) string {
	h := sha1.New()
	h.Write(nonce)
	h.Write([]byte(created))
	h.Write([]byte(password))
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

// toXML turns the object form into XML: keys are element names, "@x"
// attributes, "#text" text, lists repeat the element. Every value is
// escaped. ns, when set, becomes the default namespace of top elements.
func toXML(v any, ns string) (string, error) {
	var b strings.Builder
	m, ok := v.(map[string]any)
	if !ok {
		return "", fmt.Errorf("must be an object (element name to content) or XML text")
	}
	if err := writeElems(&b, m, ns, 0); err != nil {
		return "", err
	}
	return b.String(), nil
}

func writeElems(b *strings.Builder, m map[string]any, ns string, depth int) error {
	if depth > MaxDepth {
		return fmt.Errorf("nested deeper than %d elements", MaxDepth)
	}
	for _, k := range sortedKeys(m) {
		if strings.HasPrefix(k, "@") || k == "#text" {
			continue
		}
		if !xmlName.MatchString(k) {
			return fmt.Errorf("%q is not an XML element name", k)
		}
		vals, isList := m[k].([]any)
		if !isList {
			vals = []any{m[k]}
		}
		for _, v := range vals {
			if err := writeElem(b, k, v, ns, depth); err != nil {
				return err
			}
		}
	}
	return nil
}

func writeElem(b *strings.Builder, name string, v any, ns string, depth int) error {
	b.WriteString("<" + name)
	if ns != "" {
		b.WriteString(` xmlns="` + escape(ns) + `"`)
	}
	child, isMap := v.(map[string]any)
	if isMap {
		for _, k := range sortedKeys(child) {
			if a, ok := strings.CutPrefix(k, "@"); ok {
				if !xmlName.MatchString(a) {
					return fmt.Errorf("%q is not an XML attribute name", a)
				}
				b.WriteString(" " + a + `="` + escape(scalar(child[k])) + `"`)
			}
		}
	}
	b.WriteString(">")
	switch {
	case isMap:
		if t, ok := child["#text"]; ok {
			b.WriteString(escape(scalar(t)))
		}
		if err := writeElems(b, child, "", depth+1); err != nil {
			return err
		}
	case v != nil:
		b.WriteString(escape(scalar(v)))
	}
	b.WriteString("</" + name + ">")
	return nil
}

func scalar(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		if x == float64(int64(x)) {
			return fmt.Sprintf("%d", int64(x))
		}
	}
	return fmt.Sprint(v)
}

var escaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&apos;")

func escape(s string) string { return escaper.Replace(s) }

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
