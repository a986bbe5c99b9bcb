// Package email is the email.send step: a message (text and/or HTML,
// attachments built by expressions, extra headers) sent over SMTP with
// github.com/wneessen/go-mail, to the server of an `smtp` connection,
// dialled through the connection seam (the SSRF guard and its allowed
// hosts).
package email
