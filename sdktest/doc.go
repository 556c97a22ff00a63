// Package sdktest holds the tests that call a real taskcenter server with the
// vendors' own SDKs: tencentcloud-sdk-go and huaweicloud-sdk-go-v3. It is a
// module of its own so that the main module does not depend on them.
package sdktest
