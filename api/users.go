package api

import (
	"net/http"
	"strconv"

	"github.com/weftworks/weft/identity"
)

func (s *server) listUsers(w http.ResponseWriter, r *http.Request) {
	if s.identityOff(w, r) {
		return
	}
	p, _ := PrincipalOf(r.Context())
	users, err := s.cfg.Identity.ListUsers(r.Context(), p)
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, newList(users, ""))
}

func (s *server) createUser(w http.ResponseWriter, r *http.Request) {
	if s.identityOff(w, r) {
		return
	}
	in, err := readInto[identity.UserInput](r, "{email, name, role, kind, password}")
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	p, _ := PrincipalOf(r.Context())
	u, err := s.cfg.Identity.CreateUser(r.Context(), p, in)
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	s.audit(r, "user.created", u.Email, map[string]any{"id": u.ID, "role": u.Role, "kind": u.Kind, "password": in.Password != ""})
	w.Header().Set("Location", "/api/v1/users/"+u.ID)
	writeJSON(w, http.StatusCreated, u)
}

func (s *server) updateUser(w http.ResponseWriter, r *http.Request) {
	if s.identityOff(w, r) {
		return
	}
	in, err := readInto[identity.UserPatch](r, "{name, role, disabled, password} (each optional)")
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	p, _ := PrincipalOf(r.Context())
	before, after, err := s.cfg.Identity.UpdateUser(r.Context(), p, r.PathValue("id"), in)
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	detail := map[string]any{"id": after.ID}
	if before.Role != after.Role {
		detail["role"] = map[string]string{"from": before.Role, "to": after.Role}
	}
	if before.Disabled != after.Disabled {
		detail["disabled"] = after.Disabled
	}
	if before.Name != after.Name {
		detail["name"] = after.Name
	}
	if in.Password != nil {
		detail["password_changed"] = true
	}
	s.audit(r, "user.updated", after.Email, detail)
	writeJSON(w, http.StatusOK, after)
}

func (s *server) deleteUser(w http.ResponseWriter, r *http.Request) {
	if s.identityOff(w, r) {
		return
	}
	p, _ := PrincipalOf(r.Context())
	u, err := s.cfg.Identity.DeleteUser(r.Context(), p, r.PathValue("id"))
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	s.audit(r, "user.deleted", u.Email, map[string]any{"id": u.ID, "role": u.Role})
	w.WriteHeader(http.StatusNoContent)
}

func (s *server) listTokens(w http.ResponseWriter, r *http.Request) {
	if s.identityOff(w, r) {
		return
	}
	p, _ := PrincipalOf(r.Context())
	all, _ := strconv.ParseBool(r.URL.Query().Get("all"))
	toks, err := s.cfg.Identity.ListTokens(r.Context(), p, all)
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, newList(toks, ""))
}

// createToken makes an API token; its value is in this response only.
func (s *server) createToken(w http.ResponseWriter, r *http.Request) {
	if s.identityOff(w, r) {
		return
	}
	in, err := readInto[identity.TokenInput](r, "{name, scopes, expires_in, user_id}")
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	p, _ := PrincipalOf(r.Context())
	t, value, err := s.cfg.Identity.CreateToken(r.Context(), p, in)
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	s.audit(r, "token.created", t.ID, map[string]any{"name": t.Name, "user_id": t.UserID, "scopes": t.Scopes, "expires_at": t.ExpiresAt})
	writeJSON(w, http.StatusCreated, map[string]any{"token": value, "record": t})
}

func (s *server) revokeToken(w http.ResponseWriter, r *http.Request) {
	if s.identityOff(w, r) {
		return
	}
	p, _ := PrincipalOf(r.Context())
	t, err := s.cfg.Identity.RevokeToken(r.Context(), p, r.PathValue("id"))
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	s.audit(r, "token.revoked", t.ID, map[string]any{"name": t.Name, "user_id": t.UserID})
	w.WriteHeader(http.StatusNoContent)
}
