package main

import (
	"os"
	"path/filepath"
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
	env := awstest.New(t)
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
// endpoint (ECS / EKS Pod Identity, with its token file), credential_process,
// SSO, web identity. Each runs as a process of its own in its own
// environment, as a user's does, on one moto.
func TestWhyLiveWithEveryCredentialSource(t *testing.T) {
	t.Parallel()
	seed, _ := seedLive(t)
	cases := []struct {
		name string
		use  func(*awstest.Env)
	}{
		{"static keys", func(*awstest.Env) {}},
		{"EC2 instance metadata", func(e *awstest.Env) { e.UseIMDS() }},
		{"container endpoint", func(e *awstest.Env) { e.UseContainerCredentials() }},
		{"credential_process", func(e *awstest.Env) { e.UseCredentialProcess(awstest.ProcessOutput()) }},
		{"SSO", func(e *awstest.Env) { e.UseSSO() }},
		{"web identity (IRSA)", func(e *awstest.Env) { e.UseWebIdentity("arn:aws:iam::" + awstest.SourceAccount + ":role/PodRole") }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := seed.Fork(t)
			tc.use(env)
			code, stdout, stderr := runProcess(t, env, "why", "--output", "json", "--repo", "my-repo", "--region", "ap-northeast-1", "--assume-role", "EcrdoctorRead", "--since", "3d")
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

// TestNoCredentialsIsOneLine: without any credentials the run stops with one
// line saying so and what to pass, not the SDK's chain of wrapped errors.
// A mistyped AWS_PROFILE is named.
func TestNoCredentialsIsOneLine(t *testing.T) {
	t.Parallel()
	seed, _ := seedLive(t)
	cases := []struct {
		name    string
		env     map[string]string
		args    []string
		want    []string
		wantNot []string
	}{
		{name: "nothing configured", env: map[string]string{"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": ""},
			want: []string{"no usable AWS credentials", "--profile", "aws sso login"}},
		{name: "AWS_PROFILE mistyped", env: map[string]string{"AWS_PROFILE": "typo"},
			want: []string{`AWS profile "typo" (from AWS_PROFILE) does not exist`}},
		{name: "--profile given, its process fails", env: map[string]string{"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": ""},
			args:    []string{"--profile", "ops"},
			want:    []string{`no usable AWS credentials for profile "ops"`, "credential_process", "exit status 3", "aws sso login --profile ops"},
			wantNot: []string{"pass --profile"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := seed.Fork(t)
			env.WriteConfig("[profile ops]\ncredential_process = sh -c 'exit 3'\n")
			for k, v := range tc.env {
				env.Setenv(k, v)
			}
			args := append([]string{"why", "--repo", "my-repo", "--region", "ap-northeast-1"}, tc.args...)
			code, stdout, stderr := runProcess(t, env, args...)
			if code != exitInput || stdout != "" {
				t.Fatalf("exit %d, stdout %q; want %d and nothing on stdout\n%s", code, stdout, exitInput, stderr)
			}
			if n := strings.Count(strings.TrimSpace(stderr), "\n"); n != 0 {
				t.Errorf("stderr has %d lines, want one:\n%s", n+1, stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr does not say %q:\n%s", w, stderr)
				}
			}
			for _, w := range append(tc.wantNot, "read-only", "operation error", "failed to refresh cached credentials") {
				if strings.Contains(stderr, w) {
					t.Errorf("stderr says %q:\n%s", w, stderr)
				}
			}
		})
	}
}

// TestCredentialProcessSecretsNeverPrinted: a credential_process that
// prints its JSON plus noise makes the SDK quote the whole output, keys and
// token included, in its error. Neither stderr, the report, nor a snapshot
// holds them: the error is reduced to its cause.
func TestCredentialProcessSecretsNeverPrinted(t *testing.T) {
	t.Parallel()
	seed, dest := seedLive(t)
	noisy := "Fetching credentials from the vault...\n" + awstest.ProcessOutput() + "\nDone.\n"
	secrets := []string{awstest.ProcessSecret, awstest.ProcessToken}
	check := func(t *testing.T, what, text string) {
		t.Helper()
		for _, s := range secrets {
			if strings.Contains(text, s) {
				t.Errorf("%s holds a secret of the credential_process output:\n%s", what, text)
			}
		}
	}

	t.Run("source credentials", func(t *testing.T) {
		t.Parallel()
		env := seed.Fork(t)
		env.UseCredentialProcess(noisy)
		code, stdout, stderr := runProcess(t, env, "why", "--repo", "my-repo", "--region", "ap-northeast-1")
		check(t, "stdout", stdout)
		check(t, "stderr", stderr)
		if code != exitInput || !strings.Contains(stderr, "credential_process printed something other than the credentials JSON") {
			t.Errorf("exit %d, stderr %q; want %d saying what was wrong with the output", code, stderr, exitInput)
		}
	})

	t.Run("destination profile", func(t *testing.T) {
		t.Parallel()
		env := seed.Fork(t)
		env.WriteConfig("[profile dest]\ncredential_process = " + env.CredentialProcess(noisy) + "\n")
		live := []string{"--repo", "my-repo", "--region", "ap-northeast-1", "--dest-profile", dest.Account + "=dest"}
		_, stdout, stderr := runProcess(t, env, append([]string{"why", "--output", "json"}, live...)...)
		check(t, "stdout", stdout)
		check(t, "stderr", stderr)
		if !strings.Contains(stdout+stderr, "credential_process printed something other than the credentials JSON") {
			t.Errorf("the report does not say what was wrong with the output:\n%s\n%s", stdout, stderr)
		}
		out := filepath.Join(t.TempDir(), "snap")
		_, _, stderr = runProcess(t, env, append([]string{"snapshot", "--out", out}, live...)...)
		check(t, "snapshot stderr", stderr)
		_ = filepath.Walk(out, func(p string, fi os.FileInfo, err error) error {
			if err == nil && !fi.IsDir() {
				b, _ := os.ReadFile(p)
				check(t, p, string(b))
			}
			return nil
		})
	})
}

// TestWhyLiveUnresponsiveDestination: a destination account whose endpoint
// never answers costs that destination (its reads are warnings saying so,
// DESTINATION_UNREADABLE), not the report: the source and CloudTrail are
// still diagnosed.
func TestWhyLiveUnresponsiveDestination(t *testing.T) {
	t.Parallel()
	env, dest := seedLive(t)
	env.Moto.SetUnresponsive(dest.Account)
	code, stdout, stderr := runAWS(t, env, "why", "--output", "json", "--repo", "my-repo", "--region", "ap-northeast-1",
		"--assume-role", "EcrdoctorRead", "--since", "3d", "--request-timeout", "2s")
	if code != exitFindings {
		t.Fatalf("exit %d, want %d (the CloudTrail denial is still a finding)\n%s", code, exitFindings, stderr)
	}
	r := decodeReport(t, stdout)
	if codes := reportCodes(r); !slices.Contains(codes, "DESTINATION_UNREADABLE") || !slices.Contains(codes, "REPLICATE_IMAGE_DENIED") {
		t.Errorf("findings = %v, want REPLICATE_IMAGE_DENIED and DESTINATION_UNREADABLE", codes)
	}
	if w := strings.Join(r.Warnings, "\n"); !strings.Contains(w, dest.String()) || !strings.Contains(w, "no answer within 2s") {
		t.Errorf("report warnings do not say the destination did not answer:\n%s", w)
	}
}

// TestGivenDestinationCredentialsThatFail: credentials the user gave for a
// destination that do not work (the role is denied, the profile belongs to
// another account) are that destination's headline, DESTINATION_UNREADABLE
// as an error (exit 1) with the reason, not "not collected" with exit 0;
// the snapshot records it, so its replay says the same.
func TestGivenDestinationCredentialsThatFail(t *testing.T) {
	t.Parallel()
	dest := diagnose.Location{Account: "222222222222", Region: "ap-northeast-1"}
	cases := []struct {
		name  string
		setup func(*awstest.Env)
		flags []string
		want  []string
	}{
		{"role denied", func(e *awstest.Env) { e.Moto.DenyRoles["EcrdoctorRead"] = true },
			[]string{"--assume-role", "EcrdoctorRead"},
			[]string{"--assume-role arn:aws:iam::222222222222:role/EcrdoctorRead", "AccessDenied"}},
		{"profile of another account", func(e *awstest.Env) {
			e.Profile("dest", "", e.Credentials(awstest.SourceAccount, ""))
		}, []string{"--dest-profile", "222222222222=dest"},
			[]string{"--dest-profile 222222222222=dest", "credentials of account " + awstest.SourceAccount}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := awstest.New(t)
			env.Build(awstest.Scenario{
				Repository: "my-repo", Region: "ap-northeast-1", Images: 1,
				Rules:        []awstest.Rule{{Destinations: []diagnose.Location{dest}}},
				Destinations: map[diagnose.Location]awstest.Destination{dest: {RepositoryExists: true}},
			})
			tc.setup(env)
			live := append([]string{"--repo", "my-repo", "--region", "ap-northeast-1", "--since", "3d"}, tc.flags...)
			out := filepath.Join(t.TempDir(), "snap")
			if code, _, stderr := runAWS(t, env, append([]string{"snapshot", "--out", out}, live...)...); code != exitOK {
				t.Fatalf("snapshot: exit %d\n%s", code, stderr)
			}
			for _, args := range [][]string{
				append([]string{"why", "--output", "json"}, live...),
				{"why", "--output", "json", "--repo", "my-repo", "--snapshot", out},
			} {
				code, stdout, stderr := runAWS(t, env, args...)
				if code != exitFindings {
					t.Fatalf("%v: exit %d, want %d\n%s", args[:4], code, exitFindings, stderr)
				}
				r := decodeReport(t, stdout)
				if len(r.Findings) == 0 || r.Findings[0].Code != "DESTINATION_UNREADABLE" || r.Findings[0].Severity != diagnose.SeverityError {
					t.Fatalf("%v: findings %v; want DESTINATION_UNREADABLE first, as an error", args[:4], r.Findings)
				}
				for _, w := range tc.want {
					if !strings.Contains(r.Findings[0].Summary, w) {
						t.Errorf("%v: the headline does not say %q: %s", args[:4], w, r.Findings[0].Summary)
					}
				}
				if strings.Contains(r.Findings[0].Detail, "run it with --dest-profile") {
					t.Errorf("the advice asks for a flag the user gave: %s", r.Findings[0].Detail)
				}
			}
		})
	}
}
