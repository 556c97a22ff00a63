package taskcenter

import (
	"regexp"
	"time"
)

// Instance is a database instance that tasks operate on. Its id is unique
// within its tenant.
type Instance struct {
	ID        string
	Tenant    string
	Name      string
	Engine    string // e.g. "mysql", "mongodb"
	Region    string
	Status    string // InstanceNormal or any other operator-defined word
	CreatedAt time.Time
	UpdatedAt time.Time
}

// InstanceNormal is the status of an instance that accepts tasks normally.
const InstanceNormal = "normal"

var (
	tenantRE     = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)
	instanceIDRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$`)
	wordRE       = regexp.MustCompile(`^[A-Za-z0-9._-]{0,64}$`)
)

// ValidateTenant checks a tenant name: 1 to 64 letters, digits, '.', '_' or '-'.
func ValidateTenant(tenant string) error {
	if tenant == "" {
		return Invalidf("tenant", "tenant is required")
	}
	if !tenantRE.MatchString(tenant) {
		return Invalidf("tenant", "tenant must be 1 to 64 letters, digits, '.', '_' or '-'")
	}
	return nil
}

// ValidateInstanceID checks an instance id: 1 to 128 letters, digits, '.', '_', ':' or '-'.
func ValidateInstanceID(field, id string) error {
	if !instanceIDRE.MatchString(id) {
		return Invalidf(field, "%s: instance id %q must be 1 to 128 letters, digits, '.', '_', ':' or '-'", field, clip(id))
	}
	return nil
}

// Validate reports the first problem with an instance about to be stored.
func (i *Instance) Validate() error {
	if err := ValidateTenant(i.Tenant); err != nil {
		return err
	}
	if err := ValidateInstanceID("id", i.ID); err != nil {
		return err
	}
	switch {
	case len(i.Name) > 256:
		return Invalidf("name", "name must be at most 256 bytes")
	case !wordRE.MatchString(i.Engine):
		return Invalidf("engine", "engine must be at most 64 letters, digits, '.', '_' or '-'")
	case !wordRE.MatchString(i.Region):
		return Invalidf("region", "region must be at most 64 letters, digits, '.', '_' or '-'")
	case i.Status == "" || !wordRE.MatchString(i.Status):
		return Invalidf("status", "status must be 1 to 64 letters, digits, '.', '_' or '-'")
	}
	return nil
}

// clip shortens user input quoted back in messages.
func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}

// UnknownInstance is the error for a task naming an instance its tenant does
// not have; a foreign instance gets the same answer, so it reveals nothing.
func UnknownInstance(id string) *Error {
	return Invalidf("instance_ids", "instance_ids: instance %q not found", clip(id))
}
