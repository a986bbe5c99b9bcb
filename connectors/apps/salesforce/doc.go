// Package salesforce is the Salesforce app connector's folder: app.yaml (the
// spec, embedded by package apps) and Fake, a local Salesforce REST API.
package salesforce
