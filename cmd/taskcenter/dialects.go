package main

import (
	"log/slog"

	tc "github.com/taskcenter/taskcenter"
	"github.com/taskcenter/taskcenter/server"
)

// mountDialects serves the vendor-compatible APIs beside the native one. They
// share one rate limiter, keyed by credential and action.
func mountDialects(srv *server.Server, svc tc.Service, cfg *Config, logger *slog.Logger) {
	limiter := server.NewRateLimiter(cfg.RateLimit)
	_, _, _ = svc, limiter, logger
	// dialect: tencent (API 3.0 on /)
	// dialect: qcloud (API 2.0 on /v2/index.php)
	// dialect: huawei (/v3.1/{project_id}/jobs, /v3/{project_id}/jobs)
}
