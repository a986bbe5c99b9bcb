// Package spec declares the keys of `on.queue` for every broker as data: the
// workflow parser validates a binding with Parse, the JSON Schema of
// workflow files comes from JSONSchema, and docs/queues.md describes the
// same fields. It imports only the domain and the step SDK, so the parser
// does not pull in any broker client.
package spec

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/step"
)

// Broker kinds.
const (
	NATS     = "nats"
	RabbitMQ = "rabbitmq"
	MQTT     = "mqtt"
	Redis    = "redis"
	Kafka    = "kafka"
	Postgres = "postgres"
)

// CredentialType is the vault connection type a broker's bindings and
// publish steps need.
func CredentialType(broker string) string {
	switch broker {
	case RabbitMQ:
		return "amqp"
	case Postgres:
		return "postgres"
	}
	return broker
}

// What happens to a message Weft refuses (it is too large, or the workflow
// cannot accept it).
const (
	RefuseDeadLetter = "dead_letter"
	RefuseRequeue    = "requeue"
	RefuseDrop       = "drop"
)

// Defaults of the common keys.
const (
	DefaultPrefetch        = 32
	MaxPrefetch            = 1024
	DefaultMaxMessageBytes = 1 << 20
	MaxMaxMessageBytes     = 16 << 20
)

// Common are the keys every binding takes.
func Common() []step.Field {
	return []step.Field{
		{Name: "broker", Type: step.String, Required: true, Enum: Brokers(),
			Description: "Kind of broker: " + strings.Join(Brokers(), ", ") + "."},
		{Name: "connection", Type: step.String, Required: true,
			Description: "Vault connection holding the broker's address and credentials; its type must match the broker."},
		{Name: "prefetch", Type: step.Integer, Default: DefaultPrefetch,
			Description: fmt.Sprintf("Messages received but not yet acknowledged, per process (1–%d). Never more than the workflow's concurrency when that is set.", MaxPrefetch)},
		{Name: "on_refusal", Type: step.String, Default: RefuseDeadLetter, Enum: []string{RefuseDeadLetter, RefuseRequeue, RefuseDrop},
			Description: "What happens to a message that cannot become an execution (too large, workflow disabled): dead_letter (the broker's dead-letter path), requeue (delivered again later) or drop (acknowledged and logged)."},
		{Name: "max_message_bytes", Type: step.Integer, Default: DefaultMaxMessageBytes,
			Description: fmt.Sprintf("Largest message body accepted (bytes, at most %d); larger ones are refused.", MaxMaxMessageBytes)},
	}
}

// Fields returns the broker's own keys.
func Fields(broker string) []step.Field {
	switch broker {
	case NATS:
		return []step.Field{
			{Name: "stream", Type: step.String, Required: true, Description: "JetStream stream to consume."},
			{Name: "consumer", Type: step.String, Description: "Durable consumer name; default weft-<workflow>. Every Weft process shares it, so each message goes to one of them."},
			{Name: "subject", Type: step.String, Description: "Subject filter within the stream (wildcards allowed); default every subject."},
			{Name: "ack_wait", Type: step.Duration, Default: "30s", Description: "How long the server waits for an acknowledgement before it redelivers."},
		}
	case RabbitMQ:
		return []step.Field{
			{Name: "queue", Type: step.String, Required: true, Description: "Queue to consume. Several Weft processes are competing consumers of it."},
			{Name: "declare", Type: step.Boolean, Default: false, Description: "Declare the queue (durable) if it does not exist."},
		}
	case MQTT:
		return []step.Field{
			{Name: "topic", Type: step.String, Required: true, Description: "Topic filter (wildcards + and # allowed)."},
			{Name: "qos", Type: step.Integer, Default: 1, Description: "Subscription QoS: 1 (at least once) or 2 (exactly once between broker and Weft)."},
			{Name: "share_group", Type: step.String, Description: "Shared-subscription group ($share/<group>/<topic>); default weft-<workflow>. The broker gives each message to one process of the group."},
			{Name: "session_expiry", Type: step.Duration, Default: "1h", Description: "How long the broker keeps the persistent session (and queued QoS 1/2 messages) while Weft is away."},
		}
	case Redis:
		return []step.Field{
			{Name: "stream", Type: step.String, Required: true, Description: "Stream key to consume."},
			{Name: "group", Type: step.String, Description: "Consumer group; default weft-<workflow>. Created (with the stream) when missing."},
			{Name: "claim_idle", Type: step.Duration, Default: "1m", Description: "Pending messages idle this long (their consumer died) are claimed with XAUTOCLAIM."},
			{Name: "dead_letter_stream", Type: step.String, Description: "Stream refused messages are added to; default <stream>:dead."},
		}
	case Kafka:
		return []step.Field{
			{Name: "topics", Type: step.Array, Required: true, Items: &step.Field{Type: step.String}, Description: "Topics to consume."},
			{Name: "group", Type: step.String, Description: "Consumer group; default weft-<workflow>."},
			{Name: "ordered", Type: step.Boolean, Default: false, Description: "Start executions of one partition one at a time, in offset order."},
			{Name: "start", Type: step.String, Default: "earliest", Enum: []string{"earliest", "latest"}, Description: "Where a new group starts reading."},
		}
	case Postgres:
		return []step.Field{
			{Name: "channel", Type: step.String, Required: true, Description: "LISTEN channel. Notifications are not stored by PostgreSQL: those sent while no Weft process listens are lost."},
		}
	}
	return nil
}

// Brokers lists the broker kinds.
func Brokers() []string { return []string{Kafka, MQTT, NATS, Postgres, RabbitMQ, Redis} }

// Error is one problem with a binding, at Key.
type Error struct {
	Key     string
	Message string
	// AtKey is set when the key itself is wrong (unknown), not its value.
	AtKey bool
	// Choices are the keys that would be valid, for a "did you mean" hint.
	Choices []string
}

func (e Error) Error() string { return e.Key + ": " + e.Message }

// Errors are every problem with a binding.
type Errors []Error

func (es Errors) Error() string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "; ")
}

// Parse checks a binding (the decoded `on.queue` mapping) and returns it
// with the broker's defaults applied.
func Parse(m map[string]any) (weft.QueueTrigger, Errors) {
	var errs Errors
	bad := func(key, format string, args ...any) {
		errs = append(errs, Error{Key: key, Message: fmt.Sprintf(format, args...)})
	}
	out := weft.QueueTrigger{Options: map[string]any{}}
	broker, _ := m["broker"].(string)
	if _, has := m["broker"]; !has {
		bad("broker", "is required: one of %s", strings.Join(Brokers(), ", "))
	} else if !slices.Contains(Brokers(), broker) {
		bad("broker", "%v is not a broker Weft knows; use one of %s", m["broker"], strings.Join(Brokers(), ", "))
		broker = ""
	}
	out.Broker = broker
	fields := Common()
	if broker != "" {
		fields = append(fields, Fields(broker)...)
	}
	byName := map[string]step.Field{}
	for _, f := range fields {
		byName[f.Name] = f
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if k == "broker" {
			continue
		}
		f, ok := byName[k]
		if !ok {
			if broker == "" {
				continue // the broker error says enough
			}
			errs = append(errs, Error{Key: k, AtKey: true, Choices: names(fields),
				Message: fmt.Sprintf("is not a key of a %s binding; keys: %s", broker, strings.Join(names(fields), ", "))})
			continue
		}
		v, msg := check(f, m[k])
		if msg != "" {
			bad(k, "%s", msg)
			continue
		}
		if k == "connection" {
			out.Connection, _ = v.(string)
			continue
		}
		out.Options[k] = v
	}
	for _, f := range fields {
		if _, has := m[f.Name]; has || f.Name == "broker" {
			continue
		}
		if f.Required {
			bad(f.Name, "is required (%s)", f.Description)
			continue
		}
		if f.Default != nil {
			v, _ := check(f, f.Default)
			out.Options[f.Name] = v
		}
	}
	failed := map[string]bool{}
	for _, e := range errs {
		failed[e.Key] = true
	}
	for _, e := range ranges(out) {
		if !failed[e.Key] {
			errs = append(errs, e)
		}
	}
	sort.SliceStable(errs, func(i, j int) bool { return keyOrder(m, errs[i].Key) < keyOrder(m, errs[j].Key) })
	return out, errs
}

// keyOrder sorts problems of keys that are present before those of missing
// keys; the parser reports each at its own line anyway.
func keyOrder(m map[string]any, key string) int {
	if _, ok := m[key]; ok {
		return 0
	}
	return 1
}

func ranges(t weft.QueueTrigger) Errors {
	var errs Errors
	bad := func(key, format string, args ...any) {
		errs = append(errs, Error{Key: key, Message: fmt.Sprintf(format, args...)})
	}
	if t.Connection != "" && !weft.NamePattern.MatchString(t.Connection) {
		bad("connection", "%q is not a connection name (lower-case letters, digits and dashes)", t.Connection)
	}
	if p, ok := t.Options["prefetch"].(int); ok && (p < 1 || p > MaxPrefetch) {
		bad("prefetch", "%d is out of range; use 1 to %d", p, MaxPrefetch)
	}
	if b, ok := t.Options["max_message_bytes"].(int); ok && (b < 1 || b > MaxMaxMessageBytes) {
		bad("max_message_bytes", "%d is out of range; use 1 to %d", b, MaxMaxMessageBytes)
	}
	if q, ok := t.Options["qos"].(int); ok && t.Broker == MQTT && q != 1 && q != 2 {
		bad("qos", "%d is not supported; use 1 or 2 (QoS 0 cannot be acknowledged after the write)", q)
	}
	if list, ok := t.Options["topics"].([]any); ok && t.Broker == Kafka && len(list) == 0 {
		bad("topics", "is empty; list at least one topic")
	}
	return errs
}

// check converts a literal to the field's type, or says why it cannot.
func check(f step.Field, v any) (any, string) {
	switch f.Type {
	case step.String:
		s, ok := v.(string)
		if !ok || s == "" {
			return nil, fmt.Sprintf("must be a non-empty string, not %v", v)
		}
		if len(f.Enum) > 0 && !slices.Contains(f.Enum, s) {
			return nil, fmt.Sprintf("%q is not one of %s", s, strings.Join(f.Enum, ", "))
		}
		return s, ""
	case step.Integer:
		switch n := v.(type) {
		case int:
			return n, ""
		case int64:
			return int(n), ""
		case float64:
			if n == math.Trunc(n) {
				return int(n), ""
			}
		}
		return nil, fmt.Sprintf("must be a whole number, not %v", v)
	case step.Boolean:
		b, ok := v.(bool)
		if !ok {
			return nil, fmt.Sprintf("must be true or false, not %v", v)
		}
		return b, ""
	case step.Duration:
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Sprintf("must be a duration like 30s or 5m, not %v", v)
		}
		d, err := weft.ParseDuration(s)
		if err != nil || d <= 0 {
			return nil, fmt.Sprintf("%q is not a positive duration like 30s or 5m", s)
		}
		return s, ""
	case step.Array:
		var list []any
		switch x := v.(type) {
		case []any:
			list = x
		case []string:
			for _, s := range x {
				list = append(list, s)
			}
		default:
			return nil, fmt.Sprintf("must be a list of strings, not %v", v)
		}
		out := make([]any, 0, len(list))
		for _, e := range list {
			s, ok := e.(string)
			if !ok || s == "" {
				return nil, fmt.Sprintf("must be a list of non-empty strings; %v is not one", e)
			}
			out = append(out, s)
		}
		return out, ""
	}
	return v, ""
}

func names(fs []step.Field) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.Name
	}
	return out
}

// Int reads an integer option (0 when absent).
func Int(opts map[string]any, key string) int {
	n, _ := opts[key].(int)
	return n
}

// String reads a string option ("" when absent).
func String(opts map[string]any, key string) string {
	s, _ := opts[key].(string)
	return s
}

// Bool reads a boolean option.
func Bool(opts map[string]any, key string) bool {
	b, _ := opts[key].(bool)
	return b
}

// Duration reads a duration option (0 when absent).
func Duration(opts map[string]any, key string) time.Duration {
	d, _ := weft.ParseDuration(String(opts, key))
	return time.Duration(d)
}

// Strings reads a list option.
func Strings(opts map[string]any, key string) []string {
	list, _ := opts[key].([]any)
	out := make([]string, 0, len(list))
	for _, e := range list {
		if s, ok := e.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// JSONSchema is the schema of one `on.queue` binding: common keys plus, per
// broker, its own keys (an if/then branch on broker).
func JSONSchema() map[string]any {
	props := map[string]any{}
	for _, f := range Common() {
		props[f.Name] = f.JSONSchema()
	}
	var branches []any
	for _, b := range Brokers() {
		bp := map[string]any{}
		var req []any
		for _, f := range Fields(b) {
			props[f.Name] = f.JSONSchema()
			bp[f.Name] = true
			if f.Required {
				req = append(req, f.Name)
			}
		}
		for _, f := range Common() {
			bp[f.Name] = true
		}
		then := map[string]any{"properties": bp, "additionalProperties": false}
		if len(req) > 0 {
			then["required"] = req
		}
		branches = append(branches, map[string]any{
			"if":   map[string]any{"properties": map[string]any{"broker": map[string]any{"const": b}}, "required": []any{"broker"}},
			"then": then,
		})
	}
	return map[string]any{
		"type":        "object",
		"description": "A message-queue binding: each message becomes one execution, acknowledged once the execution is on disk. See docs/queues.md.",
		"properties":  props,
		"required":    []any{"broker", "connection"},
		"allOf":       branches,
	}
}
