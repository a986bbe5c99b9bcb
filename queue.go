package weft

// TriggerQueue is the trigger kind recorded on executions started by a
// message from a broker (`on.queue`).
const TriggerQueue = "queue"

// QueueTrigger is one entry of `on.queue`: a broker binding that turns each
// message into one execution. Broker names the kind of broker (nats,
// rabbitmq, mqtt, redis, kafka, postgres); Connection the vault connection
// that holds its address and credentials. Options holds the broker's own
// keys (queue, subject, topic, stream, group…) after validation with their
// defaults applied, as declared by the trigger/queue/spec package.
type QueueTrigger struct {
	Broker     string         `json:"broker"`
	Connection string         `json:"connection"`
	Options    map[string]any `json:"options,omitempty"`
}
