package signature_test

import (
	"testing"
	"time"

	"github.com/weftworks/weft/signature"
)

// The example of the Standard Webhooks spec (and its reference libraries).
func TestSignMatchesTheSpecExample(t *testing.T) {
	t.Parallel()
	got := signature.Sign([]byte("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"), "msg_p5jXN8AQM9LWM0D4loKWxJek",
		time.Unix(1614265330, 0), []byte(`{"test": 2432232314}`))
	if want := "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="; got != want {
		t.Fatalf("Sign = %q, want %q", got, want)
	}
}
