// Package google_drive is the Google Drive app connector's folder: app.yaml
// (the spec, embedded by package apps) and Fake, a local Drive API.
package google_drive
