package email

import "github.com/weftworks/weft/step"

// Type is the step type.
const Type = "email.send"

// Bounds of one message.
const (
	MaxRecipients      = 100
	MaxAttachmentBytes = 25 << 20
)

// Spec declares email.send.
func Spec() step.Spec {
	recipients := func(name, desc string) step.Field {
		return step.Field{Name: name, Type: step.Any, Description: desc + " One address or a list (at most 100 recipients in all)."}
	}
	return step.Spec{
		Type:     Type,
		Title:    "Send email",
		Category: step.CategoryApps,
		Description: "Sends an email through the SMTP server of an `smtp` connection (STARTTLS, implicit TLS, or plain " +
			"for local relays). Give `text`, `html` or both (then the message is multipart/alternative). Attachments " +
			"come from expressions: text, or base64 for binary content. The Message-ID is derived from the step's " +
			"idempotency key, so a retried send carries the same id. Temporary SMTP failures (4xx, network) are retried.",
		Auth: []string{"smtp"},
		Fields: []step.Field{
			{Name: "connection", Type: step.String, Required: true, Example: "mailer", Description: "smtp connection to send through."},
			{Name: "from", Type: step.String, Example: "Weft <weft@example.com>", Description: "Sender; default the connection's `from`."},
			recipients("to", "Recipients."),
			recipients("cc", "Copy recipients."),
			recipients("bcc", "Blind copy recipients (not in the headers)."),
			{Name: "reply_to", Type: step.String, Description: "Reply-To address."},
			{Name: "subject", Type: step.String, Required: true, Description: "Subject line."},
			{Name: "text", Type: step.String, Description: "Plain text body."},
			{Name: "html", Type: step.String, Description: "HTML body."},
			{Name: "attachments", Type: step.Array, Description: "Files to attach (25 MB in all).", Items: &step.Field{Type: step.Object, Description: "One file: its name and content.", Fields: []step.Field{
				{Name: "filename", Type: step.String, Required: true, Description: "File name shown to the recipient."},
				{Name: "content", Type: step.String, Required: true, Description: "The content: text, or base64 when encoding is base64."},
				{Name: "encoding", Type: step.String, Enum: []string{"text", "base64"}, Default: "text", Description: "How content is written."},
				{Name: "content_type", Type: step.String, Description: "MIME type, like application/pdf (default from the file name)."},
			}}},
			{Name: "headers", Type: step.Object, Description: "Extra headers, like List-Unsubscribe."},
			{Name: "timeout", Type: step.Duration, Default: "30s", Description: "Time limit of the SMTP session."},
		},
		Output: "`{message_id, accepted}`: the Message-ID and the recipients the server accepted.",
		Example: `- id: notify
  uses: email.send
  with:
    connection: mailer
    to: "{{ trigger.body.email }}"
    subject: "Order {{ trigger.body.id }} shipped"
    text: "Hello {{ trigger.body.name }}, your order is on its way."
    attachments:
      - { filename: receipt.txt, content: "{{ steps.receipt.output.text }}" }
`,
	}
}

// Register adds email.send to reg.
func Register(reg *step.Registry) error {
	s := Spec()
	return reg.Add(s, sender{spec: s})
}
