package api

import (
	"encoding/base64"
	"net/http"

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
	after := ""
	if c := q.get("cursor"); c != "" {
		b, err := base64.RawURLEncoding.DecodeString(c)
		if err != nil || tc.ValidateInstanceID("cursor", string(b)) != nil {
			return tc.Invalidf("cursor", "cursor is not one this API returned")
		}
		after = string(b)
	}
	list, err := h.svc.ListInstances(r.Context(), &tc.InstanceFilter{Tenant: tenant, AfterID: after, Limit: limit + 1})
	if err != nil {
		return err
	}
	out := InstanceList{Instances: []Instance{}}
	if len(list) > limit {
		list = list[:limit]
		out.NextCursor = base64.RawURLEncoding.EncodeToString([]byte(list[limit-1].ID))
	}
	for _, inst := range list {
		out.Instances = append(out.Instances, FromInstance(inst))
	}
	return writeJSON(w, http.StatusOK, out)
}
