package pgtest

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
)

func TestCluster(t *testing.T) {
	c := NewCluster(t)
	ping := func() error {
		conn, err := pgx.Connect(context.Background(), c.URL())
		if err != nil {
			return err
		}
		defer conn.Close(context.Background())
		return conn.Ping(context.Background())
	}
	if err := ping(); err != nil {
		t.Fatalf("started cluster: %v", err)
	}
	c.Stop()
	if err := ping(); err == nil {
		t.Fatal("a stopped cluster answered")
	}
	c.Start()
	if err := ping(); err != nil {
		t.Fatalf("restarted cluster: %v", err)
	}
}
