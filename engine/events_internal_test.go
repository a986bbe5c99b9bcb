package engine

import "testing"

// hasSubscribers sees a subscription from the moment subscribe returns until
// its cancel, for its own execution only; a cancel called twice does not
// hide another subscriber.
func TestHasSubscribersFollowsSubscriptions(t *testing.T) {
	t.Parallel()
	b := newBroker()
	if b.hasSubscribers("a") {
		t.Fatal("subscriber before any subscription")
	}
	_, cancelA := b.subscribe("a")
	_, cancelB := b.subscribe("b")
	if !b.hasSubscribers("a") || !b.hasSubscribers("b") || b.hasSubscribers("c") {
		t.Fatal("subscriptions not seen per execution")
	}
	ch, cancelA2 := b.subscribe("a")
	cancelA()
	cancelA() // twice: the second must change nothing
	if !b.hasSubscribers("a") {
		t.Fatal("a's second subscriber lost when the first cancelled twice")
	}
	b.publish("a", Event{Type: "step"})
	if ev := <-ch; ev.Type != "step" {
		t.Fatalf("event %+v", ev)
	}
	cancelA2()
	cancelB()
	if b.hasSubscribers("a") || b.hasSubscribers("b") || b.nsubs.Load() != 0 {
		t.Fatalf("subscribers left after every cancel: count %d", b.nsubs.Load())
	}
}
