package main

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ecrdoctor/ecrdoctor/diagnose"
	"github.com/ecrdoctor/ecrdoctor/diagnose/collect/awstest"
)

// seedLive builds the seed case in moto: the grant is in the destination's
// repository policy and CloudTrail holds the denial.
func seedLive(t *testing.T) (*awstest.Env, diagnose.Location) {
	t.Helper()
	dest := diagnose.Location{Account: "222222222222", Region: "ap-northeast-1"}
	src := awstest.SourceAccount
	env := awstest.Start(t)
	env.Build(awstest.Scenario{
		Repository: "my-repo", Region: "ap-northeast-1", Images: 1,
		Rules:        []awstest.Rule{{Destinations: []diagnose.Location{dest}}},
		Destinations: map[diagnose.Location]awstest.Destination{dest: {RepositoryExists: true, RepositoryPolicy: awstest.RepositoryGrant(src)}},
		Events: []awstest.Event{{ID: "e1", Time: time.Now().Add(-2 * time.Hour), Account: src, Region: dest.Region,
			SourceAccount: src, DestAccount: dest.Account, DestRegion: dest.Region, Repository: "my-repo",
			ErrorCode: "AccessDenied", ErrorMessage: awstest.DeniedMessage(src, dest.Account, dest.Region, "my-repo")}},
	})
	return env, dest
}

// TestWhyLiveWithEveryCredentialSource: a live `why` finds the seed case's
// root cause whichever source of the SDK's default chain holds the source
// credentials: static keys, EC2 instance metadata (IMDSv2), a container
// endpoint (ECS / EKS Pod Identity, with its token file), credential_process.
func TestWhyLiveWithEveryCredentialSource(t *testing.T) {
	cases := []struct {
		name string
		use  func(*awstest.Env)
	}{
		{"static keys", func(*awstest.Env) {}},
		{"EC2 instance metadata", func(e *awstest.Env) { e.UseIMDS() }},
		{"container endpoint", func(e *awstest.Env) { e.UseContainerCredentials() }},
		{"credential_process", func(e *awstest.Env) { e.UseCredentialProcess(awstest.ProcessOutput()) }},
		{"web identity (IRSA)", func(e *awstest.Env) { e.UseWebIdentity("arn:aws:iam::" + awstest.SourceAccount + ":role/PodRole") }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env, _ := seedLive(t)
			tc.use(env)
			code, stdout, stderr := run(t, "", "why", "--output", "json", "--repo", "my-repo", "--region", "ap-northeast-1", "--assume-role", "EcrdoctorRead", "--since", "3d")
			if code != exitFindings {
				t.Fatalf("exit %d, want %d\n%s", code, exitFindings, stderr)
			}
			r := decodeReport(t, stdout)
			if got, want := reportCodes(r), []string{"GRANT_IN_REPOSITORY_POLICY", "REGISTRY_POLICY_MISSING"}; !slices.Equal(got, want) {
				t.Errorf("findings = %v, want %v\n%s", got, want, stderr)
			}
			if strings.Contains(stderr, "read-only") {
				t.Errorf("stderr: %s", stderr)
			}
		})
	}
}
