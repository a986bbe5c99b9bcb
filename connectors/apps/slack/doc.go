// Package slack is the Slack app connector's folder: app.yaml (the spec,
// embedded by package apps) and Fake, a local Slack Web API for tests.
package slack
