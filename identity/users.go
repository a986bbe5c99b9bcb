package identity

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
)

// ErrForbidden is returned when the principal may not do what it asked;
// the API answers 403.
var ErrForbidden = errors.New("forbidden")

// UserInput creates a user or a service account.
type UserInput struct {
	Email    string `json:"email"`
	Name     string `json:"name"`
	Role     string `json:"role"`
	Kind     string `json:"kind"`     // "user" (default) or "service"
	Password string `json:"password"` // local accounts; empty for SSO-only users
}

// CreateUser creates a user as by. Only users:write may, and only an owner
// creates owners.
func (s *Service) CreateUser(ctx context.Context, by Principal, in UserInput) (store.User, error) {
	if !by.Allowed(UsersWrite, "") {
		return store.User{}, fmt.Errorf("creating users needs %s: %w", UsersWrite, ErrForbidden)
	}
	if err := ValidRole(in.Role); err != nil {
		return store.User{}, err
	}
	if !CanGrant(by.Role, in.Role) {
		return store.User{}, fmt.Errorf("only an owner can make an owner: %w", ErrForbidden)
	}
	return s.createUser(ctx, in)
}

// Bootstrap creates a user without a principal: the CLI's `weft users
// create`, run by whoever holds the database.
func (s *Service) Bootstrap(ctx context.Context, in UserInput) (store.User, error) {
	if err := ValidRole(in.Role); err != nil {
		return store.User{}, err
	}
	return s.createUser(ctx, in)
}

func (s *Service) createUser(ctx context.Context, in UserInput) (store.User, error) {
	in.Email = strings.TrimSpace(in.Email)
	if in.Kind == "" {
		in.Kind = store.UserPerson
	}
	switch in.Kind {
	case store.UserPerson:
		if !strings.Contains(in.Email, "@") || len(in.Email) > 320 {
			return store.User{}, fmt.Errorf("email %q is not an email address: %w", in.Email, weft.ErrInvalid)
		}
	case store.UserService:
		if in.Email == "" || len(in.Email) > 100 || strings.ContainsAny(in.Email, " \t\r\n") {
			return store.User{}, fmt.Errorf("a service account needs a name without spaces (at most 100 characters) in \"email\": %w", weft.ErrInvalid)
		}
		if in.Password != "" {
			return store.User{}, fmt.Errorf("a service account cannot sign in, so it has no password; give it API tokens: %w", weft.ErrInvalid)
		}
	default:
		return store.User{}, fmt.Errorf("kind %q is not user or service: %w", in.Kind, weft.ErrInvalid)
	}
	u := store.User{ID: newID("usr_"), Email: in.Email, Name: in.Name, Role: in.Role, Kind: in.Kind}
	if in.Password != "" {
		h, err := HashPassword(in.Password)
		if err != nil {
			return store.User{}, err
		}
		u.PasswordHash = h
	}
	return s.st.CreateUser(ctx, u)
}

// UserPatch changes a user; nil fields stay.
type UserPatch struct {
	Name     *string `json:"name"`
	Role     *string `json:"role"`
	Disabled *bool   `json:"disabled"`
	Password *string `json:"password"`
}

// UpdateUser changes a user as by and returns it before and after. Users
// may change their own name and password; everything else needs
// users:write, and only an owner touches owners. The last enabled owner
// cannot be demoted or disabled.
func (s *Service) UpdateUser(ctx context.Context, by Principal, id string, p UserPatch) (before, after store.User, err error) {
	before, err = s.st.GetUser(ctx, id)
	if err != nil {
		return before, after, err
	}
	self := by.UserID == id
	admin := by.Allowed(UsersWrite, "")
	if !admin && (!self || p.Role != nil || p.Disabled != nil) {
		return before, after, fmt.Errorf("changing another user or a role needs %s: %w", UsersWrite, ErrForbidden)
	}
	u := before
	if p.Name != nil {
		u.Name = *p.Name
	}
	if p.Role != nil && *p.Role != u.Role {
		if err := ValidRole(*p.Role); err != nil {
			return before, after, err
		}
		if !CanGrant(by.Role, *p.Role) || !CanGrant(by.Role, u.Role) {
			return before, after, fmt.Errorf("only an owner can make or unmake an owner: %w", ErrForbidden)
		}
		u.Role = *p.Role
	}
	if p.Disabled != nil {
		if before.Role == RoleOwner && !CanGrant(by.Role, RoleOwner) {
			return before, after, fmt.Errorf("only an owner can disable an owner: %w", ErrForbidden)
		}
		u.Disabled = *p.Disabled
	}
	if p.Password != nil {
		if u.Kind != store.UserPerson {
			return before, after, fmt.Errorf("a service account has no password: %w", weft.ErrInvalid)
		}
		h, err := HashPassword(*p.Password)
		if err != nil {
			return before, after, err
		}
		u.PasswordHash = h
	}
	if before.Role == RoleOwner && !before.Disabled && (u.Role != RoleOwner || u.Disabled) {
		if err := s.keepOneOwner(ctx, id); err != nil {
			return before, after, err
		}
	}
	after, err = s.st.UpdateUser(ctx, u)
	return before, after, err
}

// DeleteUser removes a user (with their tokens and sessions) as by.
func (s *Service) DeleteUser(ctx context.Context, by Principal, id string) (store.User, error) {
	u, err := s.st.GetUser(ctx, id)
	if err != nil {
		return u, err
	}
	if !by.Allowed(UsersWrite, "") || !CanGrant(by.Role, u.Role) {
		return u, fmt.Errorf("deleting this user needs %s (and an owner for an owner): %w", UsersWrite, ErrForbidden)
	}
	if u.Role == RoleOwner && !u.Disabled {
		if err := s.keepOneOwner(ctx, id); err != nil {
			return u, err
		}
	}
	return u, s.st.DeleteUser(ctx, id)
}

// keepOneOwner refuses a change that would leave no enabled owner besides
// id. (Two owners demoting each other at the same instant can still race;
// the admin token remains a way back in.)
func (s *Service) keepOneOwner(ctx context.Context, id string) error {
	users, err := s.st.ListUsers(ctx)
	if err != nil {
		return err
	}
	for _, u := range users {
		if u.ID != id && u.Role == RoleOwner && !u.Disabled && u.Kind == store.UserPerson {
			return nil
		}
	}
	return fmt.Errorf("this is the last owner: make another user owner first: %w", weft.ErrConflict)
}

// ListUsers lists users and service accounts (users:read).
func (s *Service) ListUsers(ctx context.Context, by Principal) ([]store.User, error) {
	if !by.Allowed(UsersRead, "") {
		return nil, fmt.Errorf("listing users needs %s: %w", UsersRead, ErrForbidden)
	}
	return s.st.ListUsers(ctx)
}

// GetUser returns one user.
func (s *Service) GetUser(ctx context.Context, id string) (store.User, error) {
	return s.st.GetUser(ctx, id)
}
