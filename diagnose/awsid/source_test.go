package awsid

import (
	"encoding/json"
	"testing"
)

// TestSourceString: each kind of source prints as the reports have always
// shown it: a file (with its line or record), else the call and its
// registry (a record after a space), else the name.
func TestSourceString(t *testing.T) {
	call := Source{Call: "cloudtrail lookup-events", Account: "111111111111", Region: "ap-northeast-1"}
	for _, tc := range []struct {
		src  Source
		want string
	}{
		{Source{File: "snap/111111111111/us-east-1/get-registry-policy.json", Call: "ecr get-registry-policy", Account: "111111111111", Region: "us-east-1"},
			"snap/111111111111/us-east-1/get-registry-policy.json"},
		{Source{File: "main.tf", Line: 12}, "main.tf:12"},
		{Source{File: "trail.json", Record: 7}, "trail.json#7"},
		{Source{Call: "ecr get-repository-policy team/app", Account: "222222222222", Region: "ap-northeast-1"},
			"aws ecr get-repository-policy team/app (222222222222, ap-northeast-1)"},
		{call.At(3), "aws cloudtrail lookup-events (111111111111, ap-northeast-1) #3"},
		{Source{Call: call.Call, Account: call.Account, Region: call.Region, File: "snap/lookup-events.json"}.At(3), "snap/lookup-events.json#3"},
		{Source{Name: "(stdin)", Record: 1}, "(stdin)#1"},
		{Source{Name: "CloudTrail"}, "CloudTrail"},
		{Source{}, ""},
	} {
		if got := tc.src.String(); got != tc.want {
			t.Errorf("%#v prints %q, want %q", tc.src, got, tc.want)
		}
		b, _ := json.Marshal(struct {
			S Source `json:"source,omitzero"`
		}{tc.src})
		want, _ := json.Marshal(map[string]string{"source": tc.want})
		if tc.src.IsZero() {
			want = []byte("{}")
		}
		if string(b) != string(want) {
			t.Errorf("%#v is JSON %s, want %s", tc.src, b, want)
		}
	}
}
