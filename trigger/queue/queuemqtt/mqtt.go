// Package queuemqtt is the MQTT 5 broker of queue triggers and
// queue.publish, on github.com/eclipse/paho.golang (autopaho).
//
// A binding subscribes to `$share/<group>/<topic>` (group default
// weft-<workflow>) with QoS 1 or 2, so the broker hands each message to one
// Weft process of the group. The session is persistent (clean start false,
// session_expiry default 1h) and the client id is stable across restarts
// of one process (its host and data directory), so messages the broker sent
// but never saw acknowledged — the process was killed — come back when it
// reconnects. Acknowledgements are manual: a PUBACK (or PUBREC) is sent
// only once the execution is on disk, and in the order the messages came
// (paho holds back a later ack until the earlier ones are sent, as MQTT
// requires).
//
// MQTT has no message id that survives a redelivery: the id is the user
// property `message-id` when the publisher set one (queue.publish does),
// else a SHA-256 of the topic, content type, correlation data, user
// properties and payload — two identical messages within 7 days then start
// one execution.
package queuemqtt

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/eclipse/paho.golang/packets"
	"github.com/eclipse/paho.golang/paho"

	"github.com/weftworks/weft/step"
	"github.com/weftworks/weft/trigger/queue"
	"github.com/weftworks/weft/trigger/queue/spec"
)

// MessageIDProperty is the user property a message's id travels in.
const MessageIDProperty = "message-id"

// Broker is the MQTT 5 broker.
type Broker struct{}

var _ queue.Broker = Broker{}

// Name implements queue.Broker.
func (Broker) Name() string { return spec.MQTT }

// CredentialType implements queue.Broker.
func (Broker) CredentialType() string { return spec.CredentialType(spec.MQTT) }

// Consumer implements queue.Broker.
func (Broker) Consumer(b queue.Binding) (queue.Consumer, error) {
	o := b.Trigger.Options
	c := &consumer{b: b, topic: spec.String(o, "topic"), group: spec.String(o, "share_group"),
		qos: byte(spec.Int(o, "qos")), expiry: spec.Duration(o, "session_expiry")}
	if c.group == "" {
		c.group = "weft-" + b.Workflow
	}
	if c.qos != 2 {
		c.qos = 1
	}
	if c.expiry <= 0 {
		c.expiry = time.Hour
	}
	if strings.ContainsAny(c.group, "/+#") {
		return nil, fmt.Errorf("share_group %q may not contain /, + or #", c.group)
	}
	sum := sha256.Sum256([]byte(strings.Join([]string{b.Node, b.Workflow, fmt.Sprint(b.Index), c.group, c.topic}, "\x00")))
	c.clientID = "weft-" + b.Workflow + "-" + hex.EncodeToString(sum[:6])
	return c, nil
}

// server is what a credential says about where and how to connect.
type server struct {
	u        *url.URL
	tls      *tls.Config
	user     string
	password []byte
}

// parse reads the credential. Errors never quote the URL (it may hold a
// password).
func parse(cred step.Credential) (server, error) {
	u, err := url.Parse(cred.Data["url"])
	if err != nil || u.Host == "" {
		return server{}, errors.New("the connection's url must look like mqtt://host:1883 or mqtts://host:8883")
	}
	s := server{u: u}
	switch strings.ToLower(u.Scheme) {
	case "mqtt", "tcp":
		if u.Port() == "" {
			u.Host = net.JoinHostPort(u.Hostname(), "1883")
		}
	case "mqtts", "ssl", "tls":
		if u.Port() == "" {
			u.Host = net.JoinHostPort(u.Hostname(), "8883")
		}
		s.tls = &tls.Config{MinVersion: tls.VersionTLS12}
	default:
		return server{}, fmt.Errorf("the connection's url has scheme %q; use mqtt:// or mqtts://", u.Scheme)
	}
	if pem := cred.Data["ca"]; pem != "" {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM([]byte(pem)) {
			return server{}, errors.New("the connection's ca holds no PEM certificate")
		}
		if s.tls == nil {
			s.tls = &tls.Config{MinVersion: tls.VersionTLS12}
		}
		s.tls.RootCAs = pool
	}
	if u.User != nil {
		s.user = u.User.Username()
		p, _ := u.User.Password()
		s.password = []byte(p)
	}
	if v := cred.Data["username"]; v != "" {
		s.user = v
	}
	if v := cred.Data["password"]; v != "" {
		s.password = []byte(v)
	}
	u.User = nil
	return s, nil
}

// dial opens the network connection through d (the SSRF guard), with TLS
// when the URL asks for it; paho writes from several goroutines, so the
// connection is wrapped to make writes safe.
func (s server) dial(ctx context.Context, d step.DialFunc) (net.Conn, error) {
	if d == nil {
		return nil, queue.ErrNoDial
	}
	ctx, cancel := context.WithTimeout(ctx, queue.DialTimeout)
	defer cancel()
	conn, err := queue.WithTLS(d, s.tls)(ctx, "tcp", s.u.Host)
	if err != nil {
		return nil, fmt.Errorf("connecting to MQTT at %s: %w", s.u.Host, err)
	}
	return packets.NewThreadSafeConn(conn), nil
}

type consumer struct {
	b        queue.Binding
	topic    string
	group    string
	qos      byte
	expiry   time.Duration
	clientID string
}

// messageID is the user property message-id, else a hash of everything a
// redelivery keeps.
func messageID(p *paho.Publish) string {
	var user paho.UserProperties
	var ctype string
	var corr []byte
	if p.Properties != nil {
		user, ctype, corr = p.Properties.User, p.Properties.ContentType, p.Properties.CorrelationData
	}
	if id := user.Get(MessageIDProperty); id != "" {
		return id
	}
	h := sha256.New()
	field := func(b []byte) {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(b)))
		h.Write(n[:])
		h.Write(b)
	}
	field([]byte(p.Topic))
	field([]byte(ctype))
	field(corr)
	props := make([]string, 0, len(user))
	for _, u := range user {
		props = append(props, u.Key+"\x00"+u.Value)
	}
	sort.Strings(props)
	for _, kv := range props {
		field([]byte(kv))
	}
	field(p.Payload)
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// delivery turns a received PUBLISH into a delivery whose Ack goes to the
// client that received it, and only while that connection is up: after a
// reconnect the broker sends the message again (same session) and the
// store's dedupe acknowledges that copy. Requeue and DeadLetter: MQTT has
// no negative acknowledgement, and a later ack cannot overtake an earlier
// one, so a requeue drops the connection (the broker redelivers everything
// unacknowledged on the resumed session) and a refused message is
// acknowledged (it is logged and counted as dead-lettered).
func (c *consumer) delivery(pr paho.PublishReceived, requeue func()) queue.Delivery {
	p := pr.Packet
	headers := map[string]string{}
	meta := map[string]any{"topic": p.Topic, "qos": int(p.QoS), "retain": p.Retain}
	if p.Properties != nil {
		for _, u := range p.Properties.User {
			if u.Key != MessageIDProperty {
				headers[u.Key] = u.Value
			}
		}
		if p.Properties.ContentType != "" {
			meta["content_type"] = p.Properties.ContentType
		}
		if p.Properties.ResponseTopic != "" {
			meta["response_topic"] = p.Properties.ResponseTopic
		}
	}
	cl := pr.Client
	return queue.Delivery{
		Message: queue.Message{ID: messageID(p), Body: p.Payload, Headers: headers, Meta: meta, Redelivered: p.Duplicate()},
		Settle: func(_ context.Context, o queue.Outcome) error {
			if o == queue.Requeue {
				requeue()
				return nil
			}
			select {
			case <-cl.Done():
				return errors.New("the connection that received the message is gone; the broker redelivers it")
			default:
			}
			return cl.Ack(p)
		},
	}
}

// liveConn remembers the current network connection, so a requeue can
// drop it.
type liveConn struct {
	mu   sync.Mutex
	conn net.Conn
}

func (l *liveConn) set(c net.Conn) {
	l.mu.Lock()
	l.conn = c
	l.mu.Unlock()
}

func (l *liveConn) drop() {
	l.mu.Lock()
	if l.conn != nil {
		_ = l.conn.Close()
	}
	l.mu.Unlock()
}
