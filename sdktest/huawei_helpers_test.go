package sdktest

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth/basic"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/config"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/sdkerr"
	dds "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/dds/v3"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/dds/v3/model"
	"github.com/stretchr/testify/require"

	tc "github.com/taskcenter/taskcenter"
	"github.com/taskcenter/taskcenter/dialect/huawei"
)

// huaweiTime is how Huawei writes times: yyyy-MM-ddTHH:mm:ssZ with a numeric offset.
const huaweiTime = "2006-01-02T15:04:05-0700"

// ddsClient is the DDS client of huaweicloud-sdk-go-v3 pointed at the
// server over plain HTTP, signing with ak and sk for project.
func ddsClient(t *testing.T, s *Server, ak, sk, project string) *dds.DdsClient {
	t.Helper()
	cred, err := basic.NewCredentialsBuilder().WithAk(ak).WithSk(sk).WithProjectId(project).SafeBuild()
	require.NoError(t, err)
	hc, err := dds.DdsClientBuilder().WithEndpoints([]string{s.URL}).WithCredential(cred).
		WithHttpConfig(config.DefaultHttpConfig().WithIgnoreSSLVerification(true).WithTimeout(30 * time.Second)).SafeBuild()
	require.NoError(t, err)
	return dds.NewDdsClient(hc)
}

// projectClient makes a huawei-aksk credential of project and a client with it.
func ddsProjectClient(t *testing.T, s *Server, project string) *dds.DdsClient {
	t.Helper()
	ak, sk := s.Credential(t, project, tc.KindHuaweiAKSK)
	return ddsClient(t, s, ak, sk, project)
}

func hwPtr[T any](v T) *T { return &v }

// listReq is a ListTasks request of the window [start, end], in Beijing time.
func ddsListReq(start, end time.Time) *model.ListTasksRequest {
	bj := time.FixedZone("", 8*3600)
	return &model.ListTasksRequest{StartTime: start.In(bj).Format(huaweiTime), EndTime: end.In(bj).Format(huaweiTime)}
}

// requireHuaweiError requires err to be the SDK's answer to an error
// response with the given status and code, carrying the request id.
func requireHuaweiError(t *testing.T, err error, status int, code string) *sdkerr.ServiceResponseError {
	t.Helper()
	var se *sdkerr.ServiceResponseError
	require.True(t, errors.As(err, &se), "want a ServiceResponseError, got %v", err)
	require.Equal(t, status, se.StatusCode, se.Error())
	require.Equal(t, code, se.ErrorCode, se.Error())
	require.NotEmpty(t, se.ErrorMessage)
	require.NotEmpty(t, se.RequestId, "X-Request-Id reaches the SDK")
	return se
}

// jobIDs lists the ids of a page of jobs, in order.
func ddsJobIDs(jobs *[]model.JobInfo) []string {
	ids := []string{}
	if jobs != nil {
		for _, j := range *jobs {
			ids = append(ids, j.Id)
		}
	}
	return ids
}

func ddsTaskIDs(tasks ...*tc.Task) []string {
	ids := []string{}
	for _, t := range tasks {
		ids = append(ids, strconv.FormatInt(t.ID, 10))
	}
	return ids
}

// huaweiGet sends a plain GET of path?rawQuery; sign, when set, prepares
// the request (headers, signature) before it is sent.
func huaweiGet(t *testing.T, s *Server, path, rawQuery string, sign func(r *http.Request)) (int, string, http.Header) {
	t.Helper()
	r, err := http.NewRequest("GET", s.URL+path, nil)
	require.NoError(t, err)
	r.URL.RawQuery = rawQuery
	if sign != nil {
		sign(r)
	}
	resp, err := http.DefaultClient.Do(r)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(body), resp.Header
}

// signAt signs a plain request as the SDK would at the given time.
func huaweiSignAt(t *testing.T, ak, sk, project string, at time.Time) func(r *http.Request) {
	return func(r *http.Request) {
		r.Header.Set("X-Project-Id", project)
		r.Header.Set("User-Agent", "sdktest")
		require.NoError(t, huawei.Sign(r, ak, sk, at))
	}
}
