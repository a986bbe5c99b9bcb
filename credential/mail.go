package credential

import "github.com/weftworks/weft/step"

// TypeSMTP is the credential type of a mail submission server.
const TypeSMTP = "smtp"

// TypeIMAP is the credential type of a mailbox server (on.imap).
const TypeIMAP = "imap"

// TLS modes of a mail server connection.
var mailTLSModes = []string{"starttls", "tls", "opportunistic", "none"}

// mailTypes are the connection types of mail servers (email.send).
func mailTypes() []step.Spec {
	return []step.Spec{
		{Type: TypeSMTP, Title: "SMTP server", Description: "A mail submission server for email.send. Weft dials it through the SSRF guard.", Fields: []step.Field{
			plain("host", "Server host name, like smtp.example.com.", true),
			{Name: "port", Type: step.String, Default: "587", Description: "Server port: 587 (STARTTLS), 465 (implicit TLS) or 25."},
			plain("username", "User name; empty sends without authentication.", false),
			secret("password", "Password or app password.", false),
			{Name: "tls", Type: step.String, Enum: mailTLSModes, Default: "starttls",
				Description: "starttls: STARTTLS required; tls: TLS from the first byte (port 465); opportunistic: STARTTLS when offered; none: plain text (local relays only)."},
			plain("from", "Default sender address when a step gives no `from`.", false),
		}},
		{Type: TypeIMAP, Title: "IMAP mailbox", Description: "A mailbox server for the on.imap trigger. Weft dials it through the SSRF guard.", Fields: []step.Field{
			plain("host", "Server host name, like imap.example.com.", true),
			{Name: "port", Type: step.String, Default: "993", Description: "Server port: 993 (implicit TLS) or 143 (STARTTLS)."},
			plain("username", "User name.", true),
			secret("password", "Password or app password.", true),
			{Name: "tls", Type: step.String, Enum: []string{"tls", "starttls", "none"}, Default: "tls",
				Description: "tls: TLS from the first byte (port 993); starttls: STARTTLS required (port 143); none: plain text (local servers only)."},
		}},
	}
}
