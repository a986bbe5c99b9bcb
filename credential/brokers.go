package credential

import "github.com/weftworks/weft/step"

// Credential types of message brokers (queue triggers and queue.publish).
const (
	TypeAMQP  = "amqp"
	TypeNATS  = "nats"
	TypeMQTT  = "mqtt"
	TypeRedis = "redis"
	TypeKafka = "kafka"
)

// The LISTEN/NOTIFY trigger connects with a database credential of type
// TypePostgres, the same as the sql steps.

// brokerTypes are the connection types of message brokers. The URL is
// secret because it may carry a password.
func brokerTypes() []step.Spec {
	user := plain("username", "User name; overrides one in the URL.", false)
	pass := secret("password", "Password; overrides one in the URL.", false)
	ca := plain("ca", "CA certificates to trust for TLS instead of the system pool, PEM.", false)
	return []step.Spec{
		{Type: TypeAMQP, Title: "RabbitMQ (AMQP 0-9-1)", Description: "A RabbitMQ broker: amqp://host:5672/vhost or amqps://.", Fields: []step.Field{
			secret("url", "Broker URL, like amqp://rabbit.internal:5672/ (the path is the vhost).", true), user, pass, ca,
		}},
		{Type: TypeNATS, Title: "NATS", Description: "A NATS server with JetStream: nats://host:4222 (several comma-separated).", Fields: []step.Field{
			secret("url", "Server URL(s), like nats://nats.internal:4222.", true), user, pass,
			secret("token", "Authentication token, instead of a user and password.", false), ca,
		}},
		{Type: TypeMQTT, Title: "MQTT 5", Description: "An MQTT 5 broker: mqtt://host:1883 or mqtts://host:8883.", Fields: []step.Field{
			secret("url", "Broker URL, like mqtt://mosquitto.internal:1883.", true), user, pass, ca,
		}},
		{Type: TypeRedis, Title: "Redis", Description: "A Redis server (streams): redis://host:6379/0 or rediss://.", Fields: []step.Field{
			secret("url", "Server URL, like redis://redis.internal:6379/0.", true), user, pass,
		}},
		{Type: TypeKafka, Title: "Kafka", Description: "A Kafka cluster: comma-separated seed brokers host:port.", Fields: []step.Field{
			plain("brokers", "Seed brokers, like kafka-1:9092,kafka-2:9092.", true), user, pass,
			{Name: "sasl", Type: step.String, Enum: []string{"plain", "scram-sha-256", "scram-sha-512"}, Default: "plain", Description: "SASL mechanism when a user is set."},
			{Name: "tls", Type: step.String, Enum: []string{"true", "false"}, Default: "false", Description: "Connect with TLS."},
			ca,
		}},
	}
}
