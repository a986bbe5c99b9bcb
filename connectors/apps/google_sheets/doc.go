// Package google_sheets is the Google Sheets app connector's folder:
// app.yaml (the spec, embedded by package apps) and Fake, a local Sheets API.
package google_sheets
