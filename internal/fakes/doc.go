// Package fakes holds local stand-ins for the services Weft's examples talk
// to — a CRM, an OpenAI-compatible chat API and Slack's Web API — speaking
// their real wire formats, so end-to-end tests count real HTTP calls without
// leaving the machine. Each fake records what it received.
package fakes
