package queuemqtt

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/eclipse/paho.golang/paho"

	"github.com/weftworks/weft/step"
	"github.com/weftworks/weft/trigger/queue"
	"github.com/weftworks/weft/trigger/queue/spec"
)

// Publisher publishes with QoS 1 (default) or 2 and returns once the broker
// answered PUBACK or PUBCOMP. It keeps one plain paho client per connection
// (no session: a publish cut off by a crash is repeated by the step, with
// the same message-id user property) and reconnects on the next publish
// after a drop.
type Publisher struct {
	clients *queue.Clients[*paho.Client]
}

var _ queue.Publisher = (*Publisher)(nil)

// NewPublisher returns a Publisher.
func NewPublisher() *Publisher {
	return &Publisher{clients: queue.NewClients(
		func(cl *paho.Client) { _ = cl.Disconnect(&paho.Disconnect{ReasonCode: 0}) },
		func(cl *paho.Client) bool { return !done(cl) })}
}

// Name implements queue.Publisher.
func (*Publisher) Name() string { return spec.MQTT }

// CredentialType implements queue.Publisher.
func (*Publisher) CredentialType() string { return spec.CredentialType(spec.MQTT) }

func (p *Publisher) client(ctx context.Context, cred step.Credential, d step.DialFunc) (*paho.Client, error) {
	return p.clients.Get(cred, func() (*paho.Client, error) {
		srv, err := parse(cred)
		if err != nil {
			return nil, err
		}
		conn, err := srv.dial(ctx, d)
		if err != nil {
			return nil, err
		}
		var b [6]byte
		_, _ = rand.Read(b[:])
		cl := paho.NewClient(paho.ClientConfig{ClientID: "weft-pub-" + hex.EncodeToString(b[:]), Conn: conn})
		cctx, cancel := context.WithTimeout(ctx, queue.DialTimeout)
		defer cancel()
		ca, err := cl.Connect(cctx, &paho.Connect{KeepAlive: 30, CleanStart: true, Username: srv.user, UsernameFlag: srv.user != "",
			Password: srv.password, PasswordFlag: len(srv.password) > 0})
		if err != nil {
			_ = conn.Close()
			if ca != nil && ca.ReasonCode >= 0x80 {
				return nil, fmt.Errorf("the MQTT broker refused the connection: reason %d %s", ca.ReasonCode, reasonString(ca))
			}
			return nil, fmt.Errorf("connecting to MQTT at %s: %w", srv.u.Host, err)
		}
		return cl, nil
	})
}

func reasonString(ca *paho.Connack) string {
	if ca.Properties != nil {
		return ca.Properties.ReasonString
	}
	return ""
}

func done(cl *paho.Client) bool {
	select {
	case <-cl.Done():
		return true
	default:
		return false
	}
}

// Publish implements queue.Publisher. Target keys: topic, qos (1 or 2).
func (p *Publisher) Publish(ctx context.Context, cred step.Credential, d step.DialFunc, pub queue.Publication) (map[string]any, error) {
	topic, _ := pub.Target["topic"].(string)
	if topic == "" {
		return nil, errors.New("mqtt needs topic")
	}
	qos := byte(1)
	switch v := pub.Target["qos"].(type) {
	case nil:
	case int, int64, float64:
		switch fmt.Sprint(v) {
		case "1":
		case "2":
			qos = 2
		default:
			return nil, fmt.Errorf("qos %v is not supported; use 1 or 2", v)
		}
	default:
		return nil, fmt.Errorf("qos must be 1 or 2, not %v", v)
	}
	cl, err := p.client(ctx, cred, d)
	if err != nil {
		return nil, step.Retryable(err, 0)
	}
	props := &paho.PublishProperties{}
	if pub.ID != "" {
		props.User.Add(MessageIDProperty, pub.ID)
	}
	for k, v := range pub.Headers {
		props.User.Add(k, v)
	}
	if json.Valid(pub.Body) {
		props.ContentType = "application/json"
	}
	// Publish waits for PUBACK (QoS 1) or PUBCOMP (QoS 2); a reason code
	// of 0x80 or more is an error.
	res, err := cl.Publish(ctx, &paho.Publish{Topic: topic, QoS: qos, Payload: pub.Body, Properties: props})
	if err != nil {
		if done(cl) {
			err = fmt.Errorf("%w (the connection dropped; the next attempt reconnects)", err)
		}
		return nil, step.Retryable(fmt.Errorf("publishing to MQTT topic %q: %w", topic, err), 0)
	}
	out := map[string]any{"topic": topic, "qos": int(qos), "message_id": pub.ID, "confirmed": true}
	if res != nil {
		out["reason_code"] = int(res.ReasonCode)
	}
	return out, nil
}

// Close implements queue.Publisher.
func (p *Publisher) Close() error {
	p.clients.Close()
	return nil
}
