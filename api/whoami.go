package api

import (
	"net/http"

	tc "github.com/taskcenter/taskcenter"
)

// whoami tells a client (the console) who its token is, so it can show
// what the role allows.
func (h *Handler) whoami(w http.ResponseWriter, r *http.Request) error {
	if _, err := newQuery(r); err != nil {
		return err
	}
	c := tc.CredentialFrom(r.Context())
	return writeJSON(w, http.StatusOK, Whoami{ID: c.ID, Tenant: c.Tenant, Role: c.Role, Kind: c.Kind})
}
