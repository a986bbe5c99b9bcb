// Package trigger groups the ways executions start from outside: webhook/
// (HTTP requests to /hooks/{path}) and schedule/ (cron). Each turns an event
// into engine.StartRequest; the engine makes it durable.
package trigger
