// Package hubspot is the HubSpot app connector's folder: app.yaml (the spec,
// embedded by package apps) and Fake, a local HubSpot CRM API for tests.
package hubspot
