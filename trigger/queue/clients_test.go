package queue_test

import (
	"errors"
	"testing"

	"github.com/weftworks/weft/step"
	"github.com/weftworks/weft/trigger/queue"
)

type fakeClient struct {
	n      int
	closed bool
	dead   bool
}

func TestClientsKeepOnePerConnection(t *testing.T) {
	t.Parallel()
	opened := 0
	open := func() (*fakeClient, error) { opened++; return &fakeClient{n: opened}, nil }
	c := queue.NewClients(func(f *fakeClient) { f.closed = true }, func(f *fakeClient) bool { return !f.dead })
	cred := step.Credential{Name: "bus", Data: map[string]string{"url": "a"}}

	first, _ := c.Get(cred, open)
	if again, _ := c.Get(cred, open); again != first || opened != 1 {
		t.Fatalf("second Get opened again (%d opens)", opened)
	}
	changed := step.Credential{Name: "bus", Data: map[string]string{"url": "b"}}
	second, _ := c.Get(changed, open)
	if second == first || !first.closed {
		t.Fatalf("changed data: got the old client (closed %v)", first.closed)
	}
	second.dead = true
	third, _ := c.Get(changed, open)
	if third == second || !second.closed {
		t.Fatal("a dead client was handed out again")
	}
	if _, err := c.Get(step.Credential{Name: "other"}, func() (*fakeClient, error) { return nil, errors.New("refused") }); err == nil {
		t.Fatal("a failed open gave no error")
	}
	if got, _ := c.Get(step.Credential{Name: "other"}, open); got == nil || got.n != 4 {
		t.Fatalf("after a failed open the next Get must open anew, got %+v", got)
	}
	c.Close()
	if !third.closed {
		t.Fatal("Close left a client open")
	}
}
