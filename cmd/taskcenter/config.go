package main

import (
	"bytes"
	"cmp"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Config is the configuration of serve and migrate. Values come from, in
// increasing precedence: defaults, the config file, TASKCENTER_* environment
// variables, flags.
type Config struct {
	Listen          string        `yaml:"listen"`           // TASKCENTER_LISTEN
	DataDir         string        `yaml:"data_dir"`         // TASKCENTER_DATA_DIR
	Store           string        `yaml:"store"`            // TASKCENTER_STORE: "" for SQLite, or a postgres:// URL
	LogLevel        string        `yaml:"log_level"`        // TASKCENTER_LOG_LEVEL: debug, info, warn, error
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout"` // TASKCENTER_SHUTDOWN_TIMEOUT
	// TimeZone is the zone of the vendor dialects' wall-clock times
	// (Tencent's "yyyy-MM-dd HH:mm:ss", Huawei's offsets). TASKCENTER_TIME_ZONE.
	TimeZone string `yaml:"time_zone"`
	// RateLimit is the requests per second allowed per credential and action
	// on the vendor dialects; 0 uses the default, negative disables it.
	// TASKCENTER_RATE_LIMIT.
	RateLimit float64 `yaml:"rate_limit"`

	// Retention is how long ended tasks are kept before the pruner deletes
	// them. TASKCENTER_RETENTION, default 2160h (90 days).
	Retention time.Duration `yaml:"retention"`
	// Lease is how long a claim or heartbeat holds a task for its worker; a
	// task whose worker dies is rescued this long after its last heartbeat.
	// TASKCENTER_LEASE, default 30s.
	Lease time.Duration `yaml:"lease"`
	// Demo starts a demo tenant with a simulated executor (serve --demo).
	Demo bool `yaml:"demo"`
	// DemoStep is the mean duration of one step of a simulated task.
	// TASKCENTER_DEMO_STEP, default 1s.
	DemoStep time.Duration `yaml:"demo_step"`

	location *time.Location // TimeZone, loaded by Validate
	// AdminToken seeds the first admin credential. It is read from
	// TASKCENTER_ADMIN_TOKEN only, so it never sits in a config file.
	AdminToken string `yaml:"-"`
}

// defaults fills what is still empty.
func (c *Config) defaults() {
	c.Listen = cmp.Or(c.Listen, ":8080")
	c.DataDir = cmp.Or(c.DataDir, "./taskcenter-data")
	c.LogLevel = cmp.Or(c.LogLevel, "info")
	c.ShutdownTimeout = cmp.Or(c.ShutdownTimeout, 30*time.Second)
	c.TimeZone = cmp.Or(c.TimeZone, "UTC")
	c.RateLimit = cmp.Or(c.RateLimit, 50)
	c.Retention = cmp.Or(c.Retention, 90*24*time.Hour)
	c.Lease = cmp.Or(c.Lease, 30*time.Second)
	c.DemoStep = cmp.Or(c.DemoStep, time.Second)
}

// Validate reports every problem at once.
func (c *Config) Validate() error {
	var errs []error
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		errs = append(errs, fmt.Errorf("listen: %q is not host:port", c.Listen))
	}
	if c.Store != "" && !strings.HasPrefix(c.Store, "postgres://") && !strings.HasPrefix(c.Store, "postgresql://") {
		errs = append(errs, errors.New("store: must be empty (SQLite in the data directory) or a postgres:// URL"))
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("log_level: %q is not debug, info, warn or error", c.LogLevel))
	}
	if c.Retention < time.Hour {
		errs = append(errs, errors.New("retention: must be at least 1h"))
	}
	if c.Lease < 300*time.Millisecond {
		errs = append(errs, errors.New("lease: must be at least 300ms"))
	}
	if c.DemoStep < time.Millisecond {
		errs = append(errs, errors.New("demo_step: must be at least 1ms"))
	}
	if math.IsNaN(c.RateLimit) || math.IsInf(c.RateLimit, 0) {
		errs = append(errs, fmt.Errorf("rate_limit: %v is not a number of requests per second", c.RateLimit))
	}
	if c.ShutdownTimeout < 0 {
		errs = append(errs, errors.New("shutdown_timeout: must not be negative"))
	}
	loc, err := time.LoadLocation(c.TimeZone)
	if err != nil {
		errs = append(errs, fmt.Errorf("time_zone: %q is not a known zone", c.TimeZone))
	}
	c.location = loc
	if c.AdminToken != "" && len(c.AdminToken) < 16 {
		errs = append(errs, errors.New("TASKCENTER_ADMIN_TOKEN: must be at least 16 characters"))
	}
	return errors.Join(errs...)
}

// serverFlags declares the flags of serve and migrate and returns a function
// that builds the configuration once they are parsed.
func serverFlags(fs *flag.FlagSet) func() (*Config, error) {
	configFile := fs.String("config", os.Getenv("TASKCENTER_CONFIG"), "YAML config `file` (TASKCENTER_CONFIG)")
	listen := fs.String("listen", "", "listen `address` (TASKCENTER_LISTEN, default :8080)")
	dataDir := fs.String("data-dir", "", "data `directory` (TASKCENTER_DATA_DIR, default ./taskcenter-data)")
	store := fs.String("store", "", "store: empty for SQLite in the data directory, or a postgres:// `URL` (TASKCENTER_STORE)")
	logLevel := fs.String("log-level", "", "debug, info, warn or error (TASKCENTER_LOG_LEVEL, default info)")
	timeZone := fs.String("time-zone", "", "`zone` of the vendor dialects' times, e.g. Asia/Shanghai (TASKCENTER_TIME_ZONE, default UTC)")
	demo := fs.Bool("demo", false, "start a demo tenant whose tasks a simulated executor runs")
	rateLimit := fs.Float64("rate-limit", 0, "vendor API `requests` per second per credential and action (TASKCENTER_RATE_LIMIT, default 50; negative disables)")
	return func() (*Config, error) {
		var c Config
		if *configFile != "" {
			if err := readConfigFile(*configFile, &c); err != nil {
				return nil, err
			}
		}
		// An empty variable counts as unset, as for the durations below: a
		// TASKCENTER_STORE left empty by a template must not turn a replica
		// of a PostgreSQL deployment into a lone SQLite server.
		env := func(dst *string, name string) {
			if v := os.Getenv(name); v != "" {
				*dst = v
			}
		}
		env(&c.Listen, "TASKCENTER_LISTEN")
		env(&c.DataDir, "TASKCENTER_DATA_DIR")
		env(&c.Store, "TASKCENTER_STORE")
		env(&c.LogLevel, "TASKCENTER_LOG_LEVEL")
		env(&c.AdminToken, "TASKCENTER_ADMIN_TOKEN")
		env(&c.TimeZone, "TASKCENTER_TIME_ZONE")
		if v := os.Getenv("TASKCENTER_RATE_LIMIT"); v != "" {
			n, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return nil, fmt.Errorf("TASKCENTER_RATE_LIMIT: %q is not a number", v)
			}
			c.RateLimit = n
		}
		for name, dst := range map[string]*time.Duration{
			"TASKCENTER_SHUTDOWN_TIMEOUT": &c.ShutdownTimeout, "TASKCENTER_RETENTION": &c.Retention,
			"TASKCENTER_LEASE": &c.Lease, "TASKCENTER_DEMO_STEP": &c.DemoStep,
		} {
			if v := os.Getenv(name); v != "" {
				d, err := time.ParseDuration(v)
				if err != nil {
					return nil, fmt.Errorf("%s: %w", name, err)
				}
				*dst = d
			}
		}
		fs.Visit(func(f *flag.Flag) {
			switch f.Name {
			case "listen":
				c.Listen = *listen
			case "data-dir":
				c.DataDir = *dataDir
			case "store":
				c.Store = *store
			case "log-level":
				c.LogLevel = *logLevel
			case "time-zone":
				c.TimeZone = *timeZone
			case "rate-limit":
				c.RateLimit = *rateLimit
			case "demo":
				c.Demo = *demo
			}
		})
		c.defaults()
		return &c, c.Validate()
	}
}

func readConfigFile(path string, c *Config) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("config %s: %w", path, err)
	}
	return nil
}
