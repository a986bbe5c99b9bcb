// Package logbound bounds what an unauthenticated request may make Weft
// write: strings it controls are clipped before they reach a log line or a
// stored row, and refusals are written at most at a per-source rate, the
// rest counted. Anyone on the network can send requests; without these
// bounds, each request could cost as much disk as it cost the sender in
// bandwidth, kept for days.
package logbound
