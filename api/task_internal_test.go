package api

import (
	"encoding/json"
	"net/http/httptest"
	"testing"
	"time"

	tc "github.com/taskcenter/taskcenter"
)

// TestRawTaskListBytes checks that a list written from its tasks' JSON is
// byte for byte what writeJSON makes of the TaskList it stands for: HTML
// characters escaped, a context with spaces compacted, no tasks, a cursor.
func TestRawTaskListBytes(t *testing.T) {
	at := time.Date(2026, 11, 25, 1, 2, 3, 456000000, time.UTC)
	tasks := []*tc.Task{
		{ID: 9, Tenant: "t1", Type: tc.TypeReboot, Status: tc.StatusFailed, Code: 7, Message: "<b>&</b> \u2028 ünï \"q\"",
			InstanceIDs: []string{"cdb-1", "cdb-2"}, CreatedAt: at, UpdatedAt: at, EndedAt: at,
			Context: json.RawMessage(`{ "a" : [1, 2] }`), AttachInfo: []tc.Attach{{Key: "k", Value: "<v>"}}},
		{ID: 8, Tenant: "t1", Type: tc.TypeReboot, Status: tc.StatusRunning, CreatedAt: at, UpdatedAt: at,
			StartedAt: at, LeaseExpiresAt: at.Add(time.Minute), ClaimedAt: at},
	}
	for _, c := range []struct {
		name   string
		tasks  []*tc.Task
		cursor string
		total  int
	}{
		{"tasks and a cursor", tasks, "abc_-=", 12},
		{"tasks, the last page", tasks[1:], "", 1},
		{"no tasks", nil, "", 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			want := TaskList{Tasks: []Task{}, NextCursor: c.cursor, Total: c.total}
			raw := rawTaskList{Tasks: []json.RawMessage{}, NextCursor: c.cursor, Total: c.total}
			for _, task := range c.tasks {
				want.Tasks = append(want.Tasks, FromTask(task))
				b, err := json.Marshal(FromTask(task))
				if err != nil {
					t.Fatal(err)
				}
				raw.Tasks, raw.size = append(raw.Tasks, b), raw.size+len(b)
			}
			wantRec, gotRec := httptest.NewRecorder(), httptest.NewRecorder()
			if err := writeJSON(wantRec, 200, want); err != nil {
				t.Fatal(err)
			}
			if err := raw.write(gotRec); err != nil {
				t.Fatal(err)
			}
			if got, want := gotRec.Body.String(), wantRec.Body.String(); got != want {
				t.Fatalf("written:\n%s\nwriteJSON:\n%s", got, want)
			}
			if got, want := gotRec.Header().Get("Content-Type"), "application/json"; got != want {
				t.Errorf("Content-Type %q, want %q", got, want)
			}
			if gotRec.Code != 200 {
				t.Errorf("status %d", gotRec.Code)
			}
		})
	}
}
