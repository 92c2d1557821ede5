package collect

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// A server-side failure gets advice that fits live runs; it used to point
// at "the snapshot folder", which a live why has none of.
func TestAdviceForServerErrors(t *testing.T) {
	err := &smithy.OperationError{ServiceID: "CloudTrail", OperationName: "LookupEvents",
		Err: &smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: &http.Response{StatusCode: 500}}, Err: errors.New("deserialization failed")}}
	if got := explain(err, "cloudtrail:LookupEvents", ""); !strings.Contains(got, "AWS failed (HTTP 500") || !strings.Contains(got, "run again") || strings.Contains(got, "refused") {
		t.Errorf("advice for HTTP 500: %q", got)
	}
	if got := advice(errors.New("something odd"), "", ""); strings.Contains(got, "snapshot folder") {
		t.Errorf("generic advice speaks of a snapshot folder: %q", got)
	}
}
