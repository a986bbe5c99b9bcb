// Package fakes holds local stand-ins for the services Weft's examples talk
// to — a CRM and Slack's Web API — speaking their real wire formats, so
// end-to-end tests count real HTTP calls without leaving the machine. Each
// fake records what it received. AI providers are faked by package aifake.
package fakes
