package taskcenter

import "context"

type ctxKey int

const (
	requestIDKey ctxKey = iota
	credentialKey
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

// WithCredential returns a context carrying the authenticated caller.
func WithCredential(ctx context.Context, c *Credential) context.Context {
	return context.WithValue(ctx, credentialKey, c)
}

// CredentialFrom returns the authenticated caller carried by ctx, or nil.
func CredentialFrom(ctx context.Context) *Credential {
	c, _ := ctx.Value(credentialKey).(*Credential)
	return c
}
