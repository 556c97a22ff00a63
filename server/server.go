// Package server is taskcenter's HTTP server: request ids, access logs,
// metrics, panic recovery and timeouts around the handlers it mounts (the
// native API, the vendor dialects, the console), plus /healthz, /readyz and
// /metrics.
package server

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	tc "github.com/taskcenter/taskcenter"
)

// Server serves taskcenter over HTTP.
type Server struct {
	mux     *http.ServeMux
	http    *http.Server
	logger  *slog.Logger
	metrics *metrics
	ready   func(context.Context) error
}

// Config holds what New needs. Logger and Registry are required.
type Config struct {
	Logger   *slog.Logger
	Registry *prometheus.Registry
	// Ready reports whether the server can serve, for /readyz.
	Ready func(context.Context) error
}

// New returns a server with the operational endpoints mounted.
func New(cfg Config) *Server {
	s := &Server{
		mux:     http.NewServeMux(),
		logger:  cfg.Logger,
		metrics: newMetrics(cfg.Registry),
		ready:   cfg.Ready,
	}
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("ok\n"))
	})
	s.mux.HandleFunc("GET /readyz", s.readyz)
	// A collector that fails (the tasks' counts while the store is down)
	// leaves its metrics out, not the whole scrape: the others matter most
	// then.
	s.mux.Handle("GET /metrics", promhttp.HandlerFor(cfg.Registry, promhttp.HandlerOpts{
		ErrorHandling: promhttp.ContinueOnError,
		ErrorLog:      slog.NewLogLogger(cfg.Logger.Handler(), slog.LevelWarn),
	}))
	s.http = &http.Server{
		Handler:           s.wrap(s.mux),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      0, // long polls and event streams set their own deadlines
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(cfg.Logger.Handler(), slog.LevelWarn),
	}
	return s
}

// Handle mounts h on a ServeMux pattern.
func (s *Server) Handle(pattern string, h http.Handler) { s.mux.Handle(pattern, h) }

// OnShutdown registers fn to run when Shutdown starts, to end long-lived
// requests (event streams) that Shutdown would otherwise wait for.
func (s *Server) OnShutdown(fn func()) { s.http.RegisterOnShutdown(fn) }

// Handler returns the whole server as an http.Handler, for tests.
func (s *Server) Handler() http.Handler { return s.http.Handler }

// Serve accepts connections on l until Shutdown.
func (s *Server) Serve(l net.Listener) error {
	if err := s.http.Serve(l); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Shutdown stops accepting connections and waits for requests in flight,
// until ctx ends.
func (s *Server) Shutdown(ctx context.Context) error { return s.http.Shutdown(ctx) }

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if s.ready != nil {
		if err := s.ready(ctx); err != nil {
			s.logger.WarnContext(ctx, "not ready", "err", err)
			// The reason is the error's caller-safe message: a store's
			// cause (a host, a user, a path) stays in the log.
			http.Error(w, "not ready: "+tc.ErrorMessage(err), http.StatusServiceUnavailable)
			return
		}
	}
	_, _ = w.Write([]byte("ready\n"))
}

// wrap adds, outermost first: the request id, panic recovery, the access
// log and the metrics.
func (s *Server) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := requestID(r)
		w.Header().Set("X-Request-Id", id)
		r = r.WithContext(tc.WithCredentialSlot(tc.WithRequestID(r.Context(), id)))
		rec := &recorder{ResponseWriter: w, status: http.StatusOK}
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.logger.ErrorContext(r.Context(), "panic", "panic", p)
				if !rec.wrote {
					http.Error(rec, `{"error":{"code":"internal","message":"internal error"}}`, http.StatusInternalServerError)
				}
			}
			s.done(r, rec, time.Since(start))
		}()
		next.ServeHTTP(rec, r)
	})
}

func (s *Server) done(r *http.Request, rec *recorder, took time.Duration) {
	route := r.Pattern
	if route == "" {
		route = "unmatched"
	}
	s.metrics.observe(route, rec.status, took)
	attrs := []any{"method", r.Method, "path", r.URL.Path, "route", route, "status", rec.status,
		"bytes", rec.bytes, "duration_ms", float64(took.Microseconds()) / 1000, "remote", r.RemoteAddr}
	if c := tc.CredentialFrom(r.Context()); c != nil {
		attrs = append(attrs, "credential", c.ID)
	}
	s.logger.InfoContext(r.Context(), "request", attrs...)
}

// recorder remembers what a handler wrote, for the log and the metrics.
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int
	wrote  bool
}

func (r *recorder) WriteHeader(code int) {
	if !r.wrote {
		r.status, r.wrote = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	r.wrote = true
	n, err := r.ResponseWriter.Write(b)
	r.bytes += n
	return n, err
}

// Unwrap lets http.ResponseController reach flushers and deadlines.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
