// Package gmail is the Gmail app connector's folder: app.yaml (the spec,
// embedded by package apps) and Fake, a local Gmail API.
package gmail
