package identity_test

import (
	"context"
	"errors"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/identity"
	"github.com/weftworks/weft/store"
	"github.com/weftworks/weft/store/storesqlite"
)

func newService(t *testing.T, now func() time.Time) (*identity.Service, store.Store) {
	t.Helper()
	st, err := storesqlite.Open(context.Background(), filepath.Join(t.TempDir(), "weft.db"), storesqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	s, err := identity.New(identity.Config{Store: st, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	return s, st
}

func TestPasswordHash(t *testing.T) {
	t.Parallel()
	h, err := identity.HashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash %q is not argon2id in PHC form", h)
	}
	if !identity.CheckPassword(h, "correct horse battery") || identity.CheckPassword(h, "correct horse batterx") {
		t.Fatal("CheckPassword does not tell right from wrong")
	}
	if _, err := identity.HashPassword("short"); !errors.Is(err, weft.ErrInvalid) {
		t.Fatalf("short password: %v", err)
	}
	// A hash claiming absurd parameters is refused, not computed.
	if identity.CheckPassword("$argon2id$v=19$m=4000000000,t=1,p=1$c2FsdA$a2V5", "x") {
		t.Fatal("accepted a hash with a 4 TB memory parameter")
	}
}

func TestSignInHostilePasswordCostsNothing(t *testing.T) {
	t.Parallel()
	s, _ := newService(t, nil)
	ctx := context.Background()
	if _, err := s.Bootstrap(ctx, identity.UserInput{Email: "a@example.com", Role: "owner", Password: "correct horse battery"}); err != nil {
		t.Fatal(err)
	}
	huge := strings.Repeat("x", 1<<20)
	if _, err := s.SignIn(ctx, "a@example.com", huge); !errors.Is(err, identity.ErrBadCredentials) {
		t.Fatalf("megabyte password: %v", err)
	}
	// Sign-ins queue for the bounded hashing slots and give up with ctx.
	cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	errs := make(chan error, 6)
	for range 6 {
		go func() { _, err := s.SignIn(cctx, "a@example.com", "wrong password here"); errs <- err }()
	}
	for range 6 {
		if err := <-errs; !errors.Is(err, identity.ErrBadCredentials) && !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("concurrent wrong sign-in: %v", err)
		}
	}
	if u, err := s.SignIn(ctx, "A@example.com", "correct horse battery"); err != nil || u.Role != "owner" {
		t.Fatalf("good sign-in: %+v, %v", u, err)
	}
	if _, err := s.SignIn(ctx, "nobody@example.com", "correct horse battery"); !errors.Is(err, identity.ErrBadCredentials) {
		t.Fatalf("unknown user: %v", err)
	}
}

func TestTokensExpireRevokeAndFollowTheRole(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	s, _ := newService(t, clock)
	ctx := context.Background()
	u, err := s.Bootstrap(ctx, identity.UserInput{Email: "ed@example.com", Role: "editor", Password: "correct horse battery"})
	if err != nil {
		t.Fatal(err)
	}
	me := identity.Principal{Name: u.Email, UserID: u.ID, Role: u.Role, Via: identity.ViaSession}
	if _, _, err := s.CreateToken(ctx, me, identity.TokenInput{Name: "x", Scopes: []string{"users:write:foo"}}); !errors.Is(err, weft.ErrInvalid) {
		t.Fatalf("narrowing users:write: %v", err)
	}
	if _, _, err := s.CreateToken(ctx, me, identity.TokenInput{Name: "x", Scopes: []string{"tokens:own"}}); !errors.Is(err, weft.ErrInvalid) {
		t.Fatalf("tokens:own as a scope: %v", err)
	}
	rec, value, err := s.CreateToken(ctx, me, identity.TokenInput{Name: "ci", Scopes: []string{"workflows:write"}, ExpiresIn: "2d"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(value, identity.TokenPrefix) || rec.Hash == value || rec.Hash != identity.HashSecret(value) {
		t.Fatalf("token %q stored as %q", value, rec.Hash)
	}
	p, err := s.Token(ctx, value)
	if err != nil || !p.Allowed("workflows:write", "") || p.Allowed("workflows:read", "") {
		t.Fatalf("token principal %+v, %v", p, err)
	}
	// Demoting the user demotes the token at once.
	viewer := "viewer"
	if _, _, err := s.UpdateUser(ctx, identity.AdminPrincipal(), u.ID, identity.UserPatch{Role: &viewer}); err != nil {
		t.Fatal(err)
	}
	if p, _ := s.Token(ctx, value); p.Allowed("workflows:write", "") {
		t.Fatal("a viewer's token still writes workflows")
	}
	now = now.Add(49 * time.Hour)
	if _, err := s.Token(ctx, value); !errors.Is(err, weft.ErrNotFound) {
		t.Fatalf("expired token: %v", err)
	}
	now = now.Add(-48 * time.Hour)
	if _, err := s.RevokeToken(ctx, me, rec.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Token(ctx, value); !errors.Is(err, weft.ErrNotFound) {
		t.Fatalf("revoked token: %v", err)
	}
}

func TestOnlyOwnersMakeOwnersAndOneOwnerStays(t *testing.T) {
	t.Parallel()
	s, _ := newService(t, nil)
	ctx := context.Background()
	owner, err := s.Bootstrap(ctx, identity.UserInput{Email: "o@example.com", Role: "owner", Password: "correct horse battery"})
	if err != nil {
		t.Fatal(err)
	}
	admin := identity.Principal{Name: "ad", UserID: "x", Role: "admin", Via: identity.ViaSession}
	if _, err := s.CreateUser(ctx, admin, identity.UserInput{Email: "b@example.com", Role: "owner"}); !errors.Is(err, identity.ErrForbidden) {
		t.Fatalf("admin making an owner: %v", err)
	}
	viewer := "viewer"
	if _, _, err := s.UpdateUser(ctx, admin, owner.ID, identity.UserPatch{Role: &viewer}); !errors.Is(err, identity.ErrForbidden) {
		t.Fatalf("admin demoting an owner: %v", err)
	}
	if _, _, err := s.UpdateUser(ctx, identity.AdminPrincipal(), owner.ID, identity.UserPatch{Role: &viewer}); !errors.Is(err, weft.ErrConflict) {
		t.Fatalf("demoting the last owner: %v", err)
	}
}

func TestParseRoleMap(t *testing.T) {
	t.Parallel()
	m, err := identity.ParseRoleMap("weft-admins=admin, weft-devs=editor")
	if err != nil || m["weft-admins"] != "admin" || m["weft-devs"] != "editor" {
		t.Fatalf("ParseRoleMap = %v, %v", m, err)
	}
	if _, err := identity.ParseRoleMap("devs=god"); err == nil || !strings.Contains(err.Error(), "owner, admin") {
		t.Fatalf("unknown role: %v", err)
	}
}

// New hashes nothing: one argon2id computation allocates 19 MiB, which at
// start-up was the largest heap of the process's life.
func TestNewDoesNotHash(t *testing.T) { // not parallel: it reads the process's allocation counter
	st, err := storesqlite.Open(context.Background(), filepath.Join(t.TempDir(), "weft.db"), storesqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	if _, err := identity.New(identity.Config{Store: st}); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	if got := after.TotalAlloc - before.TotalAlloc; got > 1<<20 {
		t.Fatalf("identity.New allocated %d bytes; want under 1 MiB", got)
	}
}
