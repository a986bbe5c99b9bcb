package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
)

// WebhookStore is what the webhook trigger, the API and outbound delivery
// need from a store.
type WebhookStore interface {
	store.WebhookDeliveries
	store.Subscriptions
}

// RunWebhooks runs the conformance suite of the delivery log and the
// subscriptions. open must return a fresh, empty store.
func RunWebhooks(t *testing.T, open func(t *testing.T) WebhookStore) {
	t.Helper()
	for name, test := range map[string]func(t *testing.T, s WebhookStore){
		"DeliveriesRoundTrip":   testDeliveriesRoundTrip,
		"DeliveriesFilterPage":  testDeliveriesFilterPage,
		"DeliveriesMixedBatch":  testDeliveriesMixedBatch,
		"DeliveriesPrune":       testDeliveriesPrune,
		"DeliveriesByOutcome":   testDeliveriesByOutcome,
		"DeliveriesDeferred":    testDeliveriesDeferred,
		"SubscriptionsCRUD":     testSubscriptionsCRUD,
		"SubscriptionsFailures": testSubscriptionsFailures,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			test(t, open(t))
		})
	}
}

func delivery(i int, workflow, outcome string) store.WebhookDelivery {
	return store.WebhookDelivery{ID: fmt.Sprintf("D%05d", i), Workflow: workflow, Path: "hooks/" + workflow,
		ReceivedAt: at(time.Duration(i) * time.Second).Truncate(time.Microsecond), SourceIP: "203.0.113.7", Method: "POST",
		Status: 202, Outcome: outcome}
}

func testDeliveriesRoundTrip(t *testing.T, s WebhookStore) {
	ctx := ctxFor(t)
	d := delivery(1, "pay", store.OutcomeRejected)
	d.Status, d.Reason, d.Scheme, d.KeyID = 401, "stripe: stale_timestamp", "stripe", ""
	d.DedupeKey, d.ExecutionID = "evt_1", ""
	d.Request = json.RawMessage(`{"method":"POST","body":{"a":1}}`)
	d.ReceivedAt = base // sub-microsecond digits must be dropped
	if err := s.RecordDeliveries(ctx, []store.WebhookDelivery{d}); err != nil {
		t.Fatal(err)
	}
	// Recording the same id again is harmless (a retried batch).
	if err := s.RecordDeliveries(ctx, []store.WebhookDelivery{d}); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetDelivery(ctx, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := d
	want.ReceivedAt = base.Truncate(time.Microsecond)
	var a, b any
	_ = json.Unmarshal(got.Request, &a)
	_ = json.Unmarshal(want.Request, &b)
	if fmt.Sprint(a) != fmt.Sprint(b) {
		t.Errorf("request = %s, want %s", got.Request, want.Request)
	}
	got.Request, want.Request = nil, nil
	if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
	if _, err := s.GetDelivery(ctx, "nope"); !errors.Is(err, weft.ErrNotFound) {
		t.Errorf("missing delivery: err = %v, want ErrNotFound", err)
	}
}

// One batch holds rows with and without a kept request, every field set on
// some row, and a repeated id (a retried line): each row reads back as
// written and the repeat is dropped.
func testDeliveriesMixedBatch(t *testing.T, s WebhookStore) {
	ctx := ctxFor(t)
	a := delivery(1, "pay", store.OutcomeAccepted)
	a.DedupeKey, a.ExecutionID, a.Scheme, a.KeyID = "evt_1", "E1", "stripe", "k1"
	b := delivery(2, "pay", store.OutcomeBadRequest)
	b.Status, b.Reason, b.SourceIP = 400, "bad json", ""
	b.Request = json.RawMessage(`{"method":"POST","body":"x"}`)
	c := delivery(3, "", store.OutcomeNotListening)
	c.Status, c.Method = 404, "GET"
	if err := s.RecordDeliveries(ctx, []store.WebhookDelivery{a, b, a, c}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []store.WebhookDelivery{a, b, c} {
		got, err := s.GetDelivery(ctx, want.ID)
		if err != nil {
			t.Fatal(err)
		}
		if (len(got.Request) == 0) != (len(want.Request) == 0) {
			t.Errorf("%s: request = %s, want %s", want.ID, got.Request, want.Request)
		}
		got.Request, want.Request = nil, nil
		if !reflect.DeepEqual(got, want) {
			t.Errorf("delivery %s = %+v, want %+v", want.ID, got, want)
		}
	}
	page, _, err := s.ListDeliveries(ctx, store.DeliveryFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(page) != 3 {
		t.Errorf("listed %d deliveries, want 3 (the repeated id once)", len(page))
	}
}

func testDeliveriesFilterPage(t *testing.T, s WebhookStore) {
	ctx := ctxFor(t)
	var ds []store.WebhookDelivery
	for i := 0; i < 30; i++ {
		wf, outcome := "a", store.OutcomeAccepted
		if i%3 == 0 {
			wf = "b"
		}
		if i%2 == 0 {
			outcome = store.OutcomeDuplicate
		}
		ds = append(ds, delivery(i, wf, outcome))
	}
	if err := s.RecordDeliveries(ctx, ds); err != nil {
		t.Fatal(err)
	}
	var all []string
	cursor := ""
	for {
		page, next, err := s.ListDeliveries(ctx, store.DeliveryFilter{Page: store.Page{Limit: 7, Cursor: cursor}})
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range page {
			all = append(all, d.ID)
		}
		if next == "" {
			break
		}
		cursor = next
	}
	if len(all) != 30 || all[0] != "D00029" || all[29] != "D00000" {
		t.Fatalf("paged ids = %v", all)
	}
	got, _, err := s.ListDeliveries(ctx, store.DeliveryFilter{Workflow: "b", Outcome: store.OutcomeDuplicate})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 5 { // i in {0, 6, 12, 18, 24}
		t.Errorf("workflow b, duplicate: %d deliveries, want 5", len(got))
	}
	for _, d := range got {
		if d.Workflow != "b" || d.Outcome != store.OutcomeDuplicate {
			t.Errorf("filter let through %+v", d)
		}
	}
	if _, _, err := s.ListDeliveries(ctx, store.DeliveryFilter{Page: store.Page{Cursor: "%%%"}}); !errors.Is(err, weft.ErrInvalid) {
		t.Errorf("bad cursor: err = %v, want ErrInvalid", err)
	}
}

func testDeliveriesPrune(t *testing.T, s WebhookStore) {
	ctx := ctxFor(t)
	var ds []store.WebhookDelivery
	for i := 0; i < 10; i++ {
		ds = append(ds, delivery(i, "a", store.OutcomeAccepted))
	}
	if err := s.RecordDeliveries(ctx, ds); err != nil {
		t.Fatal(err)
	}
	total := 0
	for {
		n, err := s.PruneDeliveries(ctx, at(6*time.Second), 4)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		total += n
	}
	if total != 6 {
		t.Errorf("pruned %d, want 6", total)
	}
	left, _, _ := s.ListDeliveries(ctx, store.DeliveryFilter{})
	if len(left) != 4 || left[3].ID != "D00006" {
		t.Errorf("left %v", left)
	}
}

// The outcome index leaves accepted deliveries out (migration 0015): a list
// by any outcome, accepted or not, with or without a workflow, across pages,
// still returns exactly the deliveries of that outcome, newest first.
func testDeliveriesByOutcome(t *testing.T, s WebhookStore) {
	ctx := ctxFor(t)
	outcomes := []string{store.OutcomeAccepted, store.OutcomeAccepted, store.OutcomeRejected, store.OutcomeAccepted,
		store.OutcomeDuplicate, store.OutcomeError}
	var ds []store.WebhookDelivery
	for i := 0; i < 60; i++ {
		wf := "a"
		if i%4 == 0 {
			wf = "b"
		}
		ds = append(ds, delivery(i, wf, outcomes[i%len(outcomes)]))
	}
	if err := s.RecordDeliveries(ctx, ds); err != nil {
		t.Fatal(err)
	}
	for _, f := range []store.DeliveryFilter{
		{Outcome: store.OutcomeAccepted}, {Outcome: store.OutcomeRejected}, {Outcome: store.OutcomeDuplicate},
		{Outcome: store.OutcomeError}, {Outcome: store.OutcomeTooLarge},
		{Workflow: "b", Outcome: store.OutcomeAccepted}, {Workflow: "b", Outcome: store.OutcomeRejected},
	} {
		var want []string
		for i := len(ds) - 1; i >= 0; i-- {
			if ds[i].Outcome == f.Outcome && (f.Workflow == "" || ds[i].Workflow == f.Workflow) {
				want = append(want, ds[i].ID)
			}
		}
		var got []string
		f.Limit = 4
		for {
			page, next, err := s.ListDeliveries(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range page {
				got = append(got, d.ID)
			}
			if next == "" {
				break
			}
			f.Cursor = next
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("workflow %q, outcome %s: listed %v, want %v", f.Workflow, f.Outcome, got, want)
		}
	}
}

// RecordDeliveriesDeferred may wait for the store's next write (or write at
// once), but once it returns the rows are stored: readable, listed, and a
// repeated id is harmless as with RecordDeliveries.
func testDeliveriesDeferred(t *testing.T, s WebhookStore) {
	ctx := ctxFor(t)
	a, b := delivery(1, "a", store.OutcomeAccepted), delivery(2, "a", store.OutcomeRejected)
	if err := s.RecordDeliveriesDeferred(ctx, []store.WebhookDelivery{a, b}); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordDeliveriesDeferred(ctx, []store.WebhookDelivery{a}); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetDelivery(ctx, b.ID)
	if err != nil {
		t.Fatalf("delivery %s after RecordDeliveriesDeferred returned: %v", b.ID, err)
	}
	if got.Outcome != b.Outcome || got.Status != b.Status || !got.ReceivedAt.Equal(b.ReceivedAt) {
		t.Errorf("delivery = %+v, want %+v", got, b)
	}
	page, _, err := s.ListDeliveries(ctx, store.DeliveryFilter{Workflow: "a"})
	if err != nil {
		t.Fatal(err)
	}
	if len(page) != 2 || page[0].ID != b.ID || page[1].ID != a.ID {
		t.Errorf("listed %+v, want %s then %s", page, b.ID, a.ID)
	}
}

func testSubscriptionsCRUD(t *testing.T, s WebhookStore) {
	ctx := ctxFor(t)
	sub := store.Subscription{ID: "sub_1", URL: "https://example.com/hook", Events: []string{"execution.failed"},
		Workflows: []string{"pay"}, Secret: []byte("sealed"), Enabled: true, Description: "ops"}
	stored, err := s.PutSubscription(ctx, sub)
	if err != nil {
		t.Fatal(err)
	}
	if stored.CreatedAt.IsZero() || stored.UpdatedAt.IsZero() {
		t.Fatalf("timestamps not set: %+v", stored)
	}
	got, err := s.GetSubscription(ctx, "sub_1")
	if err != nil {
		t.Fatal(err)
	}
	if got.URL != sub.URL || string(got.Secret) != "sealed" || !got.Enabled || fmt.Sprint(got.Events) != "[execution.failed]" ||
		fmt.Sprint(got.Workflows) != "[pay]" || got.Description != "ops" || !got.CreatedAt.Equal(stored.CreatedAt) {
		t.Errorf("got %+v", got)
	}
	sub.URL, sub.Events = "https://example.com/v2", nil
	if _, err := s.PutSubscription(ctx, sub); err != nil {
		t.Fatal(err)
	}
	list, err := s.ListSubscriptions(ctx)
	if err != nil || len(list) != 1 || list[0].URL != "https://example.com/v2" || len(list[0].Events) != 0 || !list[0].CreatedAt.Equal(stored.CreatedAt) {
		t.Fatalf("list = %+v, %v", list, err)
	}
	if err := s.DeleteSubscription(ctx, "sub_1"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteSubscription(ctx, "sub_1"); !errors.Is(err, weft.ErrNotFound) {
		t.Errorf("second delete: %v", err)
	}
	if _, err := s.GetSubscription(ctx, "sub_1"); !errors.Is(err, weft.ErrNotFound) {
		t.Errorf("get after delete: %v", err)
	}
}

func testSubscriptionsFailures(t *testing.T, s WebhookStore) {
	ctx := ctxFor(t)
	if _, err := s.PutSubscription(ctx, store.Subscription{ID: "s", URL: "https://x", Secret: []byte("k"), Enabled: true}); err != nil {
		t.Fatal(err)
	}
	sub, err := s.RecordSubscriptionResult(ctx, "s", false, at(time.Hour))
	if err != nil || sub.FailingSince == nil || !sub.FailingSince.Equal(at(time.Hour).Truncate(time.Microsecond)) {
		t.Fatalf("first failure: %+v %v", sub, err)
	}
	sub, _ = s.RecordSubscriptionResult(ctx, "s", false, at(2*time.Hour))
	if !sub.FailingSince.Equal(at(time.Hour).Truncate(time.Microsecond)) {
		t.Errorf("a later failure moved FailingSince to %v", sub.FailingSince)
	}
	sub, _ = s.RecordSubscriptionResult(ctx, "s", true, at(3*time.Hour))
	if sub.FailingSince != nil || sub.LastSuccessAt == nil {
		t.Errorf("success: %+v", sub)
	}
	if err := s.DisableSubscription(ctx, "s", "failing for 5 days", at(4*time.Hour)); err != nil {
		t.Fatal(err)
	}
	sub, _ = s.GetSubscription(ctx, "s")
	if sub.Enabled || sub.DisabledReason != "failing for 5 days" {
		t.Errorf("disabled: %+v", sub)
	}
	if _, err := s.RecordSubscriptionResult(ctx, "missing", true, at(0)); !errors.Is(err, weft.ErrNotFound) {
		t.Errorf("missing: %v", err)
	}
}
