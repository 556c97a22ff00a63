package api

import (
	"encoding/base64"
	"net/http"
	"strings"

	tc "github.com/taskcenter/taskcenter"
)

func (h *Handler) putInstance(w http.ResponseWriter, r *http.Request) error {
	var body PutInstance
	if err := decode(w, r, &body); err != nil {
		return err
	}
	tenant, err := tenantOf(r, body.Tenant, false)
	if err != nil {
		return err
	}
	inst, err := h.svc.PutInstance(r.Context(), &tc.Instance{
		ID: r.PathValue("id"), Tenant: tenant, Name: body.Name, Engine: body.Engine,
		Region: body.Region, Status: body.Status,
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, FromInstance(inst))
}

func (h *Handler) getInstance(w http.ResponseWriter, r *http.Request) error {
	q, err := newQuery(r, "tenant")
	if err != nil {
		return err
	}
	tenant, err := tenantOf(r, q.get("tenant"), false)
	if err != nil {
		return err
	}
	inst, err := h.svc.GetInstance(r.Context(), tenant, r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, FromInstance(inst))
}

func (h *Handler) listInstances(w http.ResponseWriter, r *http.Request) error {
	q, err := newQuery(r, "tenant", "limit", "cursor")
	if err != nil {
		return err
	}
	tenant, err := tenantOf(r, q.get("tenant"), true)
	if err != nil {
		return err
	}
	limit, err := q.limit()
	if err != nil {
		return err
	}
	f := &tc.InstanceFilter{Tenant: tenant, Limit: limit + 1}
	if c := q.get("cursor"); c != "" {
		if f.AfterID, f.AfterTenant, err = instanceCursor(c); err != nil {
			return err
		}
	}
	list, err := h.svc.ListInstances(r.Context(), f)
	if err != nil {
		return err
	}
	out := InstanceList{Instances: []Instance{}}
	if len(list) > limit {
		list = list[:limit]
		last := list[limit-1]
		cursor := last.ID
		if tenant == tc.AllTenants { // ids repeat across tenants: go on from (id, tenant)
			cursor += "/" + last.Tenant
		}
		out.NextCursor = base64.RawURLEncoding.EncodeToString([]byte(cursor))
	}
	for _, inst := range list {
		out.Instances = append(out.Instances, FromInstance(inst))
	}
	return writeJSON(w, http.StatusOK, out)
}

// instanceCursor decodes a cursor of listInstances: the last instance id of
// the page before and, in a list of every tenant, "/" and its tenant.
func instanceCursor(c string) (id, tenant string, err error) {
	bad := tc.Invalidf("cursor", "cursor is not one this API returned")
	b, derr := base64.RawURLEncoding.DecodeString(c)
	if derr != nil {
		return "", "", bad
	}
	id, tenant, hasTenant := strings.Cut(string(b), "/")
	if tc.ValidateInstanceID("cursor", id) != nil || hasTenant && tc.ValidateTenant(tenant) != nil {
		return "", "", bad
	}
	return id, tenant, nil
}
