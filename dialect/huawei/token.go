package huawei

import (
	"context"

	tc "github.com/taskcenter/taskcenter"
)

// authenticateToken returns the huawei-token credential whose token this is.
// Like API Gateway, it does not say why a token is refused.
func (h *handler) authenticateToken(ctx context.Context, token string) (*tc.Credential, error) {
	cred, err := h.svc.Authenticate(ctx, tc.KindHuaweiToken, token)
	if tc.ErrorCode(err) == tc.EUNAUTHORIZED {
		return nil, unauthorized("decrypt token fail")
	}
	return cred, err
}
