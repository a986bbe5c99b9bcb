package imap

import (
	"bytes"
	"io"
	"strings"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-message/mail"
)

// input builds a message's trigger input: headers from the envelope,
// text and html bodies (each at most maxText bytes) from the first
// maxBytes of the message, and attachments by name, type and size only.
func input(m *imapclient.FetchMessageBuffer, mailbox string, validity uint32, maxBytes, maxText int) map[string]any {
	in := map[string]any{"uid": uint32(m.UID), "uidvalidity": validity, "mailbox": mailbox, "size": m.RFC822Size}
	if env := m.Envelope; env != nil {
		in["message_id"] = env.MessageID
		in["subject"] = env.Subject
		if !env.Date.IsZero() {
			in["date"] = env.Date.UTC().Format("2006-01-02T15:04:05Z07:00")
		}
		in["from"] = addrs(env.From)
		in["to"] = addrs(env.To)
		in["cc"] = addrs(env.Cc)
	}
	attachments := []any{}
	if m.BodyStructure != nil {
		m.BodyStructure.Walk(func(_ []int, part imap.BodyStructure) bool {
			sp, ok := part.(*imap.BodyStructureSinglePart)
			if !ok {
				return true
			}
			if d := sp.Disposition(); d != nil && strings.EqualFold(d.Value, "attachment") || sp.Filename() != "" {
				attachments = append(attachments, map[string]any{"name": sp.Filename(), "type": sp.MediaType(), "size": sp.Size})
			}
			return true
		})
	}
	in["attachments"] = attachments
	var raw []byte
	for _, s := range m.BodySection {
		raw = s.Bytes
	}
	truncated := m.RFC822Size > int64(maxBytes)
	text, html, textCut := bodies(raw, maxText)
	in["text"], in["html"] = text, html
	in["truncated"] = truncated || textCut
	if truncated {
		in["note"] = "the message is larger than the bytes read of it; text and html hold its beginning, attachment contents are never included (names, types and sizes are)"
	}
	return in
}

func addrs(list []imap.Address) []any {
	out := make([]any, 0, len(list))
	for i := range list {
		out = append(out, map[string]any{"name": list[i].Name, "address": list[i].Addr()})
	}
	return out
}

// bodies reads the first text/plain and text/html inline parts, each cut
// at max bytes. A message cut short reads as far as it goes.
func bodies(raw []byte, max int) (text, html string, cut bool) {
	if len(raw) == 0 {
		return "", "", false
	}
	r, err := mail.CreateReader(bytes.NewReader(raw))
	if err != nil && r == nil {
		return "", "", false
	}
	defer r.Close()
	for {
		p, err := r.NextPart()
		if err != nil {
			break
		}
		h, ok := p.Header.(*mail.InlineHeader)
		if !ok {
			continue
		}
		ct, _, _ := h.ContentType()
		b, _ := io.ReadAll(io.LimitReader(p.Body, int64(max)+1))
		if len(b) > max {
			b, cut = b[:max], true
		}
		switch {
		case ct == "text/html" && html == "":
			html = strings.ToValidUTF8(string(b), "")
		case (ct == "text/plain" || ct == "") && text == "":
			text = strings.ToValidUTF8(string(b), "")
		}
	}
	return text, html, cut
}
