package taskcenter

import (
	"crypto/sha256"
	"encoding/hex"
	"time"
)

// CredentialKind says how a credential authenticates.
type CredentialKind string

// The credential kinds: HMAC keys for the vendor dialects, bearer tokens for
// Huawei and the native API.
const (
	KindTencent     CredentialKind = "tencent"      // SecretId and SecretKey, API 3.0 and 2.0
	KindHuaweiAKSK  CredentialKind = "huawei-aksk"  // access key and secret key, SDK-HMAC-SHA256
	KindHuaweiToken CredentialKind = "huawei-token" // X-Auth-Token
	KindNative      CredentialKind = "native"       // Authorization: Bearer
)

// Signed reports whether the kind signs requests with a secret key that the
// server must keep to verify them, rather than presenting a bearer token.
func (k CredentialKind) Signed() bool { return k == KindTencent || k == KindHuaweiAKSK }

// Valid reports whether k is a known kind.
func (k CredentialKind) Valid() bool {
	switch k {
	case KindTencent, KindHuaweiAKSK, KindHuaweiToken, KindNative:
		return true
	}
	return false
}

// Role is what a credential may do.
type Role string

// The roles. Every role but admin belongs to one tenant.
const (
	RoleAdmin    Role = "admin"    // everything, in every tenant
	RoleOperator Role = "operator" // read, submit, cancel, pause, resume, manage instances
	RoleReader   Role = "reader"   // read only
	RoleWorker   Role = "worker"   // claim and report on tasks
)

// Valid reports whether r is a known role.
func (r Role) Valid() bool {
	switch r {
	case RoleAdmin, RoleOperator, RoleReader, RoleWorker:
		return true
	}
	return false
}

// Can reports whether a credential of role r may act with role need: an admin
// may do anything, operators and workers anything a reader may, everyone what they are.
func (r Role) Can(need Role) bool {
	switch r {
	case RoleAdmin:
		return true
	case RoleOperator:
		return need == RoleOperator || need == RoleReader
	case RoleWorker:
		return need == RoleWorker || need == RoleReader
	}
	return r == need
}

// Credential is a key that authenticates callers of one tenant.
type Credential struct {
	ID        string // public: the SecretId, the access key, or a token's id
	Tenant    string // "" for an administrator
	Kind      CredentialKind
	Role      Role
	Secret    string // signed kinds only: the signing key, kept to verify signatures
	TokenHash string // bearer kinds only: HashToken of the token
	CreatedAt time.Time
}

// HashToken returns the hex SHA-256 digest under which a bearer token is stored.
// Tokens are random and long, so a fast hash is enough to keep them unusable
// if the store leaks.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}
