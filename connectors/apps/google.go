package apps

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"mime"
	"net/mail"
	"strings"

	"github.com/weftworks/weft/connectors/internal/input"
)

// gmailMessage builds Gmail's {"raw": base64url(RFC 5322 message)} from
// to, cc, bcc, subject, text and html, so a workflow never writes MIME.
func gmailMessage(with map[string]any) (any, string, error) {
	str := func(k string) string { s, _ := scalar(with[k]); return s }
	var b strings.Builder
	for _, h := range []string{"to", "cc", "bcc"} {
		v := str(h)
		if v == "" {
			continue
		}
		if _, err := mail.ParseAddressList(v); err != nil {
			return nil, "", input.Invalid(h, "is not a list of email addresses: %v", err)
		}
		if strings.ContainsAny(v, "\r\n") {
			return nil, "", input.Invalid(h, "must not hold line breaks")
		}
		fmt.Fprintf(&b, "%s: %s\r\n", strings.ToUpper(h[:1])+h[1:], v)
	}
	if str("to") == "" {
		return nil, "", input.Invalid("to", "is required")
	}
	fmt.Fprintf(&b, "Subject: %s\r\nMIME-Version: 1.0\r\n", mime.QEncoding.Encode("utf-8", str("subject")))
	text, html := str("text"), str("html")
	switch {
	case html != "" && text != "":
		boundary := randomBoundary()
		fmt.Fprintf(&b, "Content-Type: multipart/alternative; boundary=%q\r\n\r\n", boundary)
		fmt.Fprintf(&b, "--%s\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n%s\r\n", boundary, text)
		fmt.Fprintf(&b, "--%s\r\nContent-Type: text/html; charset=UTF-8\r\n\r\n%s\r\n--%s--\r\n", boundary, html, boundary)
	case html != "":
		fmt.Fprintf(&b, "Content-Type: text/html; charset=UTF-8\r\n\r\n%s", html)
	default:
		fmt.Fprintf(&b, "Content-Type: text/plain; charset=UTF-8\r\n\r\n%s", text)
	}
	body := map[string]any{"raw": base64.URLEncoding.EncodeToString([]byte(b.String()))}
	if t := str("thread_id"); t != "" {
		body["threadId"] = t
	}
	return body, "", nil
}

// driveUpload builds Drive's multipart/related upload: the file's metadata
// as JSON, then its content (text, or base64 decoded when
// content_encoding is base64).
func driveUpload(with map[string]any) (any, string, error) {
	str := func(k string) string { s, _ := scalar(with[k]); return s }
	meta := map[string]any{"name": str("name")}
	if p := str("parent"); p != "" {
		meta["parents"] = []string{p}
	}
	mimeType := str("mime_type")
	if mimeType == "" {
		mimeType = "application/octet-stream"
	}
	meta["mimeType"] = mimeType
	content := []byte(str("content"))
	if str("content_encoding") == "base64" {
		raw, err := base64.StdEncoding.DecodeString(str("content"))
		if err != nil {
			return nil, "", input.Invalid("content", "is not valid base64: %v", err)
		}
		content = raw
	}
	metaJSON, _ := json.Marshal(meta)
	boundary := randomBoundary()
	var b strings.Builder
	fmt.Fprintf(&b, "--%s\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n%s\r\n", boundary, metaJSON)
	fmt.Fprintf(&b, "--%s\r\nContent-Type: %s\r\n\r\n%s\r\n--%s--\r\n", boundary, mimeType, content, boundary)
	return b.String(), "multipart/related; boundary=" + boundary, nil
}

func randomBoundary() string {
	var r [12]byte
	_, _ = rand.Read(r[:])
	return "weft" + hex.EncodeToString(r[:])
}
