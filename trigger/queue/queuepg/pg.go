// Package queuepg is the PostgreSQL LISTEN/NOTIFY trigger (`broker:
// postgres`), on github.com/jackc/pgx/v5.
//
// NOTIFY has no acknowledgement and no redelivery: a notification sent while
// nobody listens is gone, and every listening session receives every one.
// So with several Weft processes exactly one of them listens: each tries a
// session-level advisory lock named after the workflow and channel, the
// holder LISTENs, the others wait and try again every few seconds — when the
// holder dies its session ends, the lock is freed and another process takes
// over (notifications in that gap are lost; use a queue or a table when that
// matters). Each notification becomes one execution.
package queuepg

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/weftworks/weft/trigger/queue"
	"github.com/weftworks/weft/trigger/queue/spec"
)

// Broker is the LISTEN/NOTIFY trigger.
type Broker struct{}

var _ queue.Broker = Broker{}

// Name implements queue.Broker.
func (Broker) Name() string { return spec.Postgres }

// CredentialType implements queue.Broker.
func (Broker) CredentialType() string { return spec.CredentialType(spec.Postgres) }

// Consumer implements queue.Broker.
func (Broker) Consumer(b queue.Binding) (queue.Consumer, error) {
	return &consumer{b: b, channel: spec.String(b.Trigger.Options, "channel")}, nil
}

type consumer struct {
	b       queue.Binding
	channel string
	seq     atomic.Int64
}

// Consume implements queue.Consumer.
func (c *consumer) Consume(ctx context.Context, sink queue.Sink) error {
	if c.b.Dial == nil {
		return queue.ErrNoDial
	}
	cfg, err := pgx.ParseConfig(connString(c.b.Credential.Data))
	if err != nil {
		return fmt.Errorf("the connection's url is not a PostgreSQL URL: %w", err) // pgconn redacts the password
	}
	// Dial through the SSRF guard, handing the host name on unresolved so
	// the connection's hosts list applies to it (the guard resolves).
	cfg.LookupFunc = func(_ context.Context, host string) ([]string, error) { return []string{host}, nil }
	cfg.DialFunc = func(ctx context.Context, network, addr string) (net.Conn, error) { return c.b.Dial(ctx, network, addr) }
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("connecting to PostgreSQL: %w", err) // pgconn names host, user and database, never the password
	}
	defer conn.Close(context.WithoutCancel(ctx))
	sink.Connected()
	key := "weft-listen:" + c.b.Workflow + ":" + c.channel
	for {
		var leader bool
		if err := conn.QueryRow(ctx, "SELECT pg_try_advisory_lock(hashtext($1))", key).Scan(&leader); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("electing the listener: %w", err)
		}
		if leader {
			break
		}
		sink.Lag(-1)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(3 * time.Second):
		}
	}
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{c.channel}.Sanitize()); err != nil {
		return fmt.Errorf("LISTEN %s: %w", c.channel, err)
	}
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("waiting for notifications: %w", err)
		}
		// A notification is never delivered again: its id only has to be
		// unique, so repeated payloads each start an execution.
		id := c.channel + ":" + strconv.FormatUint(uint64(n.PID), 10) + ":" + strconv.FormatInt(time.Now().UnixNano(), 10) + ":" + strconv.FormatInt(c.seq.Add(1), 10)
		m := queue.Message{ID: id, Body: []byte(n.Payload), Meta: map[string]any{"channel": n.Channel, "pid": n.PID}}
		// Nothing can be requeued: a transient failure is retried in place.
		for sink.Handle(ctx, m) == queue.Requeue {
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(time.Second):
			}
		}
	}
}

// connString is the credential's url, or one made of the fields a database
// credential may give instead (host, port, user, password, database,
// sslmode), as the sql steps accept.
func connString(d map[string]string) string {
	if d["url"] != "" {
		return d["url"]
	}
	u := url.URL{Scheme: "postgres", Host: d["host"], Path: "/" + d["database"]}
	if p := d["port"]; p != "" {
		u.Host = net.JoinHostPort(d["host"], p)
	}
	if d["user"] != "" {
		u.User = url.UserPassword(d["user"], d["password"])
	}
	if m := d["sslmode"]; m != "" {
		u.RawQuery = url.Values{"sslmode": {m}}.Encode()
	}
	return u.String()
}
