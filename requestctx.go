package taskcenter

import "context"

type ctxKey int

const (
	requestIDKey ctxKey = iota
	credentialKey
	credentialSlotKey
)

// WithRequestID returns a context carrying the id of the request it serves.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey, id)
}

// RequestID returns the request id carried by ctx, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}

// WithCredential returns a context carrying the authenticated caller. It
// also fills the slot of WithCredentialSlot, if an outer layer made one.
func WithCredential(ctx context.Context, c *Credential) context.Context {
	if slot, ok := ctx.Value(credentialSlotKey).(**Credential); ok {
		*slot = c
	}
	return context.WithValue(ctx, credentialKey, c)
}

// CredentialFrom returns the authenticated caller carried by ctx, or nil.
// Outside the handler that authenticated, it reads the slot.
func CredentialFrom(ctx context.Context) *Credential {
	if c, ok := ctx.Value(credentialKey).(*Credential); ok {
		return c
	}
	if slot, ok := ctx.Value(credentialSlotKey).(**Credential); ok {
		return *slot
	}
	return nil
}

// WithCredentialSlot returns a context in which a credential set deeper by
// WithCredential, on a derived context, is visible here too: the access log
// names the caller that the handler authenticated.
func WithCredentialSlot(ctx context.Context) context.Context {
	return context.WithValue(ctx, credentialSlotKey, new(*Credential))
}
