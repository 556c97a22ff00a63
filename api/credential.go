package api

import (
	"net/http"

	tc "github.com/taskcenter/taskcenter"
)

// createCredential issues a credential. Operators issue them for their own
// tenant and never with more power than their own; admins for any tenant.
func (h *Handler) createCredential(w http.ResponseWriter, r *http.Request) error {
	var body CreateCredential
	if err := decode(w, r, &body); err != nil {
		return err
	}
	caller := tc.CredentialFrom(r.Context())
	tenant := body.Tenant // an admin credential has none: the engine refuses one named
	if body.Role != tc.RoleAdmin {
		var err error
		if tenant, err = tenantOf(r, body.Tenant, false); err != nil {
			return err
		}
	}
	role := body.Role
	if role == "" {
		role = tc.RoleReader
	}
	// A worker reports results, which an operator cannot; an admin does all.
	if role.Valid() && !caller.Role.Can(role) {
		return tc.Errorf(tc.EFORBIDDEN, "a %s token cannot create a %s credential", caller.Role, role)
	}
	cred, secret, err := h.svc.CreateCredential(r.Context(), &tc.CreateCredentialParams{
		Tenant: tenant, Kind: body.Kind, Role: body.Role,
	})
	if err != nil {
		return err
	}
	h.logger.InfoContext(r.Context(), "credential created", "credential", cred.ID, "kind", cred.Kind,
		"role", cred.Role, "tenant", cred.Tenant, "by", caller.ID)
	return writeJSON(w, http.StatusCreated, NewCredential{
		ID: cred.ID, Secret: secret, Tenant: cred.Tenant, Kind: cred.Kind, Role: cred.Role,
	})
}
