package collect_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ecrdoctor/ecrdoctor/diagnose/collect"
	"github.com/ecrdoctor/ecrdoctor/diagnose/collect/awstest"
)

// TestCaptureWithCredentialEndpoints: the source credentials come from the
// EC2 instance metadata service (IMDSv2) or a container endpoint (EKS Pod
// Identity, with its token file), as on an instance, ECS task, CodeBuild
// project or pod. The read-only guard lets the credential fetch through and
// the capture reads the registry with the credentials it fetched.
func TestCaptureWithCredentialEndpoints(t *testing.T) {
	cases := []struct {
		name  string
		use   func(*awstest.Env) *awstest.CredentialServer
		fetch []string // the requests the credential fetch makes
	}{
		{"EC2 instance metadata (IMDSv2)", (*awstest.Env).UseIMDS,
			[]string{"PUT /latest/api/token", "GET /latest/meta-data/iam/security-credentials/", "GET /latest/meta-data/iam/security-credentials/EcrdoctorInstanceRole"}},
		{"container endpoint (EKS Pod Identity)", (*awstest.Env).UseContainerCredentials,
			[]string{"GET /v1/credentials"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := awstest.Start(t)
			env.Build(seedScenario(time.Now(), 0))
			stub := tc.use(env)
			dir := t.TempDir()
			// The process environment's chain, not an injected config.
			opts := captureOpts(env)
			opts.AWS = collect.AWS{}
			stats, err := collect.Capture(context.Background(), opts, dir)
			if err != nil {
				t.Fatalf("Capture: %v", err)
			}
			if stats.Source.Account != src {
				t.Errorf("source account = %q, want %s", stats.Source.Account, src)
			}
			for _, w := range stats.Warnings {
				if strings.Contains(w, "read-only") || strings.Contains(w, "credentials") {
					t.Errorf("warning about credentials: %s", w)
				}
			}
			hits := stub.Hits()
			for _, req := range tc.fetch {
				if hits[req] == 0 {
					t.Errorf("the credential endpoint saw no %s (saw %v)", req, hits)
				}
			}
			if n := env.Moto.Counts()["ecr:DescribeRegistry"]; n == 0 {
				t.Errorf("no DescribeRegistry reached AWS with the fetched credentials")
			}
		})
	}
}
