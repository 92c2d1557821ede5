package diagnose_test

import (
	"encoding/json"
	"testing"

	"github.com/ecrdoctor/ecrdoctor/diagnose"
)

// A source prints as the outputs have always shown it, and JSON keeps
// "source" a string.
func TestSourcePrints(t *testing.T) {
	for _, tc := range []struct {
		src  diagnose.Source
		want string
	}{
		{diagnose.Source{Call: "ecr get-registry-policy", Account: "222222222222", Region: "ap-northeast-1"}, "aws ecr get-registry-policy (222222222222, ap-northeast-1)"},
		{diagnose.Source{Call: "ecr get-registry-policy", Account: "222222222222", Region: "ap-northeast-1", File: "snap/222222222222/ap-northeast-1/get-registry-policy.json"}, "snap/222222222222/ap-northeast-1/get-registry-policy.json"},
		{diagnose.Source{File: "main.tf", Line: 12, Name: "aws_ecr_registry_policy.this"}, "main.tf:12"},
		{diagnose.Source{Name: "CloudTrail"}, "CloudTrail"},
		{diagnose.Source{}, ""},
	} {
		if got := tc.src.String(); got != tc.want {
			t.Errorf("%#v prints %q, want %q", tc.src, got, tc.want)
		}
		b, err := json.Marshal(diagnose.Evidence{Kind: diagnose.EvidenceRegistryPolicy, Source: tc.src})
		if err != nil {
			t.Fatal(err)
		}
		var raw struct{ Source string }
		if err := json.Unmarshal(b, &raw); err != nil || raw.Source != tc.want {
			t.Errorf("JSON %s: source %q (%v), want the string %q", b, raw.Source, err, tc.want)
		}
	}
}
