package identity

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"

	"github.com/weftworks/weft"
)

// argon2id parameters: OWASP's recommended minimum (19 MiB, 2 passes, 1
// lane). They are written into every hash, so raising them later keeps old
// hashes verifiable.
const (
	argonMemory  = 19 * 1024 // KiB
	argonTime    = 2
	argonThreads = 1
	argonKeyLen  = 32
)

// dummyHash is the argon2id hash, with the parameters above, of a password
// nobody has. SignIn checks an unknown email's password against it so that
// the answer takes as long as for a known one. It is a constant rather than
// hashed at start-up: one argon2id computation allocates argonMemory, and
// doing it in New made the process's largest heap of its whole life (and,
// through the GC's heap goal, its peak RSS) before it served a request.
const dummyHash = "$argon2id$v=19$m=19456,t=2,p=1$DkJ/tzk2Bndj5NX5s9jeXg$7BMx0HMWPF/x8H4eowtQGKMO6/EzRq0eCDakOT1RXgI"

// Password bounds: a password longer than MaxPassword is refused before any
// hashing, so a sign-in flood with megabyte passwords costs nothing.
const (
	MinPassword = 12
	MaxPassword = 1024
)

// ErrBadCredentials is the one answer to a failed sign-in, whether the
// user is unknown, disabled or the password wrong.
var ErrBadCredentials = errors.New("the email or password is not correct")

// hasher bounds how many argon2id computations run at once: each takes
// argonMemory, and a burst of sign-ins must not take the process's memory.
type hasher struct{ slots chan struct{} }

func newHasher(n int) *hasher { return &hasher{slots: make(chan struct{}, n)} }

func (h *hasher) acquire(ctx context.Context) error {
	select {
	case h.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("waiting to check a password: %w", ctx.Err())
	}
}

func (h *hasher) release() { <-h.slots }

// checkPasswordPolicy reports a clear error for a password too short or
// too long.
func checkPasswordPolicy(pw string) error {
	switch {
	case len(pw) < MinPassword:
		return fmt.Errorf("the password must have at least %d characters: %w", MinPassword, weft.ErrInvalid)
	case len(pw) > MaxPassword:
		return fmt.Errorf("the password must have at most %d characters: %w", MaxPassword, weft.ErrInvalid)
	}
	return nil
}

// HashPassword returns the argon2id hash of pw in PHC string form.
func HashPassword(pw string) (string, error) {
	if err := checkPasswordPolicy(pw); err != nil {
		return "", err
	}
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("generating a salt: %w", err)
	}
	key := argon2.IDKey([]byte(pw), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

// CheckPassword reports whether pw matches the PHC hash.
func CheckPassword(hash, pw string) bool {
	if len(pw) > MaxPassword {
		return false
	}
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var version int
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || m == 0 || m > 1<<20 || t == 0 || t > 16 || p == 0 {
		return false
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[4])
	key, err2 := base64.RawStdEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(key) == 0 || len(key) > 128 {
		return false
	}
	got := argon2.IDKey([]byte(pw), salt, t, m, p, uint32(len(key)))
	return subtle.ConstantTimeCompare(got, key) == 1
}
