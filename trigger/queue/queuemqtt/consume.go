package queuemqtt

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/url"
	"time"

	"github.com/eclipse/paho.golang/autopaho"
	"github.com/eclipse/paho.golang/paho"

	"github.com/weftworks/weft/trigger/queue"
)

// ackInterval is how often paho sends the acknowledgements that are due
// (in order): short, because the broker sends no more than prefetch
// unacknowledged messages.
const ackInterval = 10 * time.Millisecond

// ackDrain is how long a stopping consumer lets paho's ack ticker run after
// the last delivery settled, before it disconnects. paho exposes no flush of
// its ordered acknowledgements; a few ticks were not always enough on a
// loaded machine (the ticker's goroutine runs late), and every ack missed
// here is a redelivery on the next start (deduped, but avoidable). It is paid
// once per stop.
const ackDrain = 250 * time.Millisecond

// event is what autopaho's callbacks report to Consume (they must not
// block).
type event struct {
	up  bool
	err error
}

// Consume implements queue.Consumer. The first connection is the
// framework's (a failure returns, and the framework backs off and shows the
// error); once connected, autopaho reconnects by itself and each drop is
// reported to health through sink.Dropped.
func (c *consumer) Consume(ctx context.Context, sink queue.Sink) error {
	srv, err := parse(c.b.Credential)
	if err != nil {
		return err
	}
	if c.b.Dial == nil {
		return queue.ErrNoDial
	}
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	events := make(chan event, 16)
	report := func(e event) {
		select {
		case events <- e:
		default: // health only needs the latest news
		}
	}
	live := &liveConn{}
	filter := "$share/" + c.group + "/" + c.topic
	recvMax := uint16(max(1, min(c.b.Prefetch, 65535)))
	cfg := autopaho.ClientConfig{
		ServerUrls:                    []*url.URL{srv.u},
		KeepAlive:                     20,
		CleanStartOnInitialConnection: false,
		SessionExpiryInterval:         uint32(c.expiry / time.Second),
		ConnectTimeout:                queue.DialTimeout,
		ReconnectBackoff:              backoff,
		ConnectUsername:               srv.user,
		ConnectPassword:               srv.password,
		AttemptConnection: func(ctx context.Context, _ autopaho.ClientConfig, _ *url.URL) (net.Conn, error) {
			conn, err := srv.dial(ctx, c.b.Dial)
			if err == nil {
				live.set(conn)
			}
			return conn, err
		},
		// The broker sends at most prefetch messages that are not yet
		// acknowledged: MQTT's own flow control is the prefetch.
		ConnectPacketBuilder: func(cp *paho.Connect, _ *url.URL) (*paho.Connect, error) {
			if cp.Properties == nil {
				cp.Properties = &paho.ConnectProperties{}
			}
			cp.Properties.ReceiveMaximum = &recvMax
			return cp, nil
		},
		OnConnectionUp: func(cm *autopaho.ConnectionManager, ack *paho.Connack) {
			// Subscribing again is harmless when the session kept the
			// subscription, and needed when it expired.
			go func() {
				sctx, scancel := context.WithTimeout(cctx, queue.DialTimeout)
				defer scancel()
				sa, err := cm.Subscribe(sctx, &paho.Subscribe{Subscriptions: []paho.SubscribeOptions{{Topic: filter, QoS: c.qos}}})
				switch {
				case err != nil:
					report(event{err: fmt.Errorf("subscribing to %s: %w", filter, err)})
				case len(sa.Reasons) != 1 || sa.Reasons[0] >= 0x80:
					report(event{err: fmt.Errorf("the broker refused the subscription to %s (reason %v); check the topic and the user's ACL", filter, sa.Reasons)})
				default:
					report(event{up: true})
				}
			}()
		},
		OnConnectionDown: func() bool { report(event{err: errors.New("connection to the MQTT broker lost")}); return true },
		OnConnectError:   func(err error) { report(event{err: fmt.Errorf("connecting to MQTT: %w", err)}) },
		ClientConfig: paho.ClientConfig{
			ClientID:                   c.clientID,
			EnableManualAcknowledgment: true,
			SendAcksInterval:           ackInterval,
			OnPublishReceived: []func(paho.PublishReceived) (bool, error){
				func(pr paho.PublishReceived) (bool, error) {
					sink.Deliver(cctx, c.delivery(pr, live.drop))
					return true, nil
				},
			},
		},
	}
	cm, err := autopaho.NewConnection(cctx, cfg)
	if err != nil {
		return fmt.Errorf("mqtt client: %w", err)
	}
	stop := func() {
		sink.Wait()
		// Let paho send the acknowledgements that became due, then leave
		// the session to the broker (it keeps it for session_expiry).
		time.Sleep(ackDrain)
		dctx, dcancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		_ = cm.Disconnect(dctx)
		dcancel()
		cancel()
		<-cm.Done()
	}
	connected := false
	for {
		select {
		case <-ctx.Done():
			stop()
			return nil
		case e := <-events:
			switch {
			case e.up:
				connected = true
				sink.Connected()
			case !connected:
				stop()
				return e.err
			default:
				sink.Dropped(e.err)
			}
		}
	}
}

// backoff is autopaho's delay before connection attempt n: none for the
// first, then exponential with full jitter from 250ms up to 30s.
func backoff(n int) time.Duration {
	if n <= 0 {
		return 0
	}
	ceil := 250 * time.Millisecond << min(n, 7)
	return time.Duration(rand.Int64N(int64(min(ceil, 30*time.Second))))
}
