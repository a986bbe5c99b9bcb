// Package github is the GitHub app connector's folder: app.yaml (the spec,
// embedded by package apps) and Fake, a local GitHub REST API for tests.
package github
