package main

import (
	"log/slog"

	tc "github.com/taskcenter/taskcenter"
	"github.com/taskcenter/taskcenter/dialect/huawei"
	"github.com/taskcenter/taskcenter/dialect/qcloud"
	"github.com/taskcenter/taskcenter/dialect/tencent"
	"github.com/taskcenter/taskcenter/server"
)

// mountDialects serves the vendor-compatible APIs beside the native one. They
// share one rate limiter, keyed by dialect, credential and action. The
// Nonces of signed requests go to the store too when it is shared by
// several replicas (nonces, nil otherwise).
func mountDialects(srv *server.Server, svc tc.Service, nonces tc.NonceStore, cfg *Config, logger *slog.Logger) {
	limiter := server.NewRateLimiter(cfg.RateLimit)
	// Tencent Cloud API 3.0 on the exact path "/".
	srv.Handle("/{$}", tencent.NewHandler(svc, tencent.Options{Location: cfg.location, Limiter: limiter, Logger: logger, Nonces: nonces}))
	// Tencent Cloud API 2.0 on /v2/index.php.
	srv.Handle(qcloud.Path, qcloud.NewHandler(svc, qcloud.Options{Location: cfg.location, Limiter: limiter, Logger: logger, Nonces: nonces}))
	// Huawei Cloud DDS: /v3.1/{project_id}/jobs and /v3/{project_id}/jobs.
	h := huawei.NewHandler(svc, huawei.Options{Location: cfg.location, Limiter: limiter, Logger: logger})
	srv.Handle("/v3/", h)
	srv.Handle("/v3.1/", h)
}
