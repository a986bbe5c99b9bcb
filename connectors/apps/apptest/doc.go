// Package apptest runs app connector operations in tests the way the engine
// does: defaults applied, http.request underneath, a connection lent by a
// small in-memory Connections, and suspensions (rate-limit waits, pages)
// resumed with the state the step recorded.
package apptest
