package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
)

func identityTests() map[string]func(t *testing.T, s store.Store) {
	return map[string]func(t *testing.T, s store.Store){
		"UsersRoundTrip": func(t *testing.T, s store.Store) {
			ctx := ctxFor(t)
			u, err := s.CreateUser(ctx, store.User{ID: "u1", Email: "Ada@Example.com", Role: "editor", Kind: store.UserPerson, PasswordHash: "$argon2id$x"})
			if err != nil {
				t.Fatal(err)
			}
			if u.Email != "ada@example.com" {
				t.Fatalf("email = %q, want lower-case", u.Email)
			}
			if _, err := s.CreateUser(ctx, store.User{ID: "u2", Email: "ada@example.com", Role: "viewer", Kind: store.UserPerson}); !errors.Is(err, weft.ErrConflict) {
				t.Fatalf("duplicate email: %v, want ErrConflict", err)
			}
			got, err := s.GetUserByEmail(ctx, "ADA@example.com")
			if err != nil || got.ID != "u1" || got.PasswordHash != "$argon2id$x" || got.Role != "editor" {
				t.Fatalf("GetUserByEmail = %+v, %v", got, err)
			}
			got.Role, got.Subject = "admin", "https://idp sub-1"
			if _, err := s.UpdateUser(ctx, got); err != nil {
				t.Fatal(err)
			}
			bySub, err := s.GetUserBySubject(ctx, "https://idp sub-1")
			if err != nil || bySub.ID != "u1" || bySub.Role != "admin" {
				t.Fatalf("GetUserBySubject = %+v, %v", bySub, err)
			}
			if err := s.TouchUserLogin(ctx, "u1", at(time.Minute)); err != nil {
				t.Fatal(err)
			}
			if u, _ := s.GetUser(ctx, "u1"); u.LastLoginAt == nil || !u.LastLoginAt.Equal(utc(at(time.Minute))) {
				t.Fatalf("LastLoginAt = %v", u.LastLoginAt)
			}
			if _, err := s.UpdateUser(ctx, store.User{ID: "nobody", Role: "viewer"}); !errors.Is(err, weft.ErrNotFound) {
				t.Fatalf("UpdateUser(missing) = %v", err)
			}
			list, err := s.ListUsers(ctx)
			if err != nil || len(list) != 1 {
				t.Fatalf("ListUsers = %v, %v", list, err)
			}
		},
		"TokensAndCascade": func(t *testing.T, s store.Store) {
			ctx := ctxFor(t)
			if _, err := s.CreateUser(ctx, store.User{ID: "u1", Email: "ci", Role: "operator", Kind: store.UserService}); err != nil {
				t.Fatal(err)
			}
			exp := at(24 * time.Hour)
			tok, err := s.CreateToken(ctx, store.APIToken{ID: "t1", UserID: "u1", Name: "deploy", Hash: "h1",
				Scopes: []string{"executions:run:billing"}, CreatedBy: "admin", CreatedAt: at(0), ExpiresAt: &exp})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.CreateToken(ctx, store.APIToken{ID: "t2", UserID: "u1", Name: "dup", Hash: "h1", Scopes: []string{}, CreatedAt: at(0)}); !errors.Is(err, weft.ErrConflict) {
				t.Fatalf("duplicate hash: %v", err)
			}
			got, err := s.TokenByHash(ctx, "h1")
			if err != nil || got.ID != "t1" || len(got.Scopes) != 1 || got.Scopes[0] != "executions:run:billing" || got.ExpiresAt == nil || !got.ExpiresAt.Equal(utc(exp)) {
				t.Fatalf("TokenByHash = %+v, %v (created %+v)", got, err, tok)
			}
			if err := s.TouchToken(ctx, "t1", at(time.Hour)); err != nil {
				t.Fatal(err)
			}
			r1, err := s.RevokeToken(ctx, "t1", at(2*time.Hour))
			if err != nil || r1.RevokedAt == nil || r1.LastUsedAt == nil {
				t.Fatalf("RevokeToken = %+v, %v", r1, err)
			}
			r2, _ := s.RevokeToken(ctx, "t1", at(3*time.Hour))
			if !r2.RevokedAt.Equal(*r1.RevokedAt) {
				t.Fatalf("revoking twice moved the time: %v -> %v", r1.RevokedAt, r2.RevokedAt)
			}
			if err := s.CreateSession(ctx, store.Session{Hash: "s1", UserID: "u1", CSRF: "c", CreatedAt: at(0), ExpiresAt: at(time.Hour)}); err != nil {
				t.Fatal(err)
			}
			if sess, err := s.GetSession(ctx, "s1", at(time.Minute)); err != nil || sess.CSRF != "c" {
				t.Fatalf("GetSession = %+v, %v", sess, err)
			}
			if _, err := s.GetSession(ctx, "s1", at(2*time.Hour)); !errors.Is(err, weft.ErrNotFound) {
				t.Fatalf("expired session: %v, want ErrNotFound", err)
			}
			if err := s.DeleteUser(ctx, "u1"); err != nil {
				t.Fatal(err)
			}
			if _, err := s.GetToken(ctx, "t1"); !errors.Is(err, weft.ErrNotFound) {
				t.Fatalf("token of a deleted user: %v", err)
			}
			if n, err := s.PruneSessions(ctx, at(2*time.Hour), 10); err != nil || n != 0 {
				t.Fatalf("PruneSessions after cascade = %d, %v", n, err)
			}
		},
	}
}
