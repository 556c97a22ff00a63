package huawei

import (
	"errors"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	tc "github.com/taskcenter/taskcenter"
)

func TestErrorTable(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		err     error
		status  int
		code    string
		gateway bool
	}{
		{tc.Invalidf("status", "bad"), 400, "DBS.200001", false},
		{tc.Invalidf("query", "bad"), 400, "DBS.200001", false},
		{tc.Invalidf(fieldStartTime, "bad"), 400, "DBS.280067", false},
		{tc.Invalidf(fieldEndTime, "bad"), 400, "DBS.280068", false},
		{tc.Invalidf(fieldTimeFormat, "bad"), 400, "DBS.280409", false},
		{tc.Invalidf(fieldLimit, "bad"), 400, "DBS.280439", false},
		{tc.Invalidf(fieldOffset, "bad"), 400, "DBS.280440", false},
		{tc.Errorf(tc.ENOTFOUND, "no task"), 400, "DBS.280016", false},
		{&tc.Error{Code: tc.ENOTFOUND, Field: fieldRoute}, 404, "APIG.0101", true},
		{unauthorized("x"), 401, "APIG.0301", true},
		{tc.Errorf(tc.EFORBIDDEN, "x"), 403, "DBS.280032", false},
		{tc.Errorf(tc.ERATELIMIT, "x"), 429, "APIG.0308", true},
		{tc.Errorf(tc.EINTERNAL, "x"), 500, "DBS.280005", false},
		{tc.Errorf(tc.EUNAVAILABLE, "x"), 500, "DBS.280005", false},
		{tc.Errorf(tc.ECONFLICT, "x"), 500, "DBS.280005", false},
		{errors.New("disk on fire"), 500, "DBS.280005", false},
	} {
		e := entryOf(c.err)
		require.Equal(t, c.status, e.status, c.err.Error())
		require.Equal(t, c.code, e.code, c.err.Error())
		require.Equal(t, c.gateway, e.gateway, c.err.Error())
	}
	for k, e := range errorTable {
		require.NotEmpty(t, http.StatusText(e.status), k)
	}
}
