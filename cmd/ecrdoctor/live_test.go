package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ecrdoctor/ecrdoctor/diagnose"
	"github.com/ecrdoctor/ecrdoctor/diagnose/collect"
	"github.com/ecrdoctor/ecrdoctor/diagnose/collect/awstest"
)

// TestSnapshotCommandLive runs `ecrdoctor snapshot` against moto and the
// CloudTrail stand-in: the seed case's destination is another account,
// reached with --assume-role.
func TestSnapshotCommandLive(t *testing.T) {
	t.Parallel()
	env := awstest.New(t)
	dest := diagnose.Location{Account: "222222222222", Region: "ap-northeast-1"}
	env.Build(awstest.Scenario{
		Repository: "my-repo", Region: "ap-northeast-1", Images: 1,
		Rules: []awstest.Rule{{Destinations: []diagnose.Location{dest}}},
		Destinations: map[diagnose.Location]awstest.Destination{
			dest: {RepositoryExists: true, RepositoryPolicy: awstest.RepositoryGrant(awstest.SourceAccount)},
		},
		Events: []awstest.Event{{ID: "e1", Time: time.Now().Add(-time.Hour), Account: awstest.SourceAccount, Region: dest.Region,
			SourceAccount: awstest.SourceAccount, DestAccount: dest.Account, DestRegion: dest.Region, Repository: "my-repo",
			ErrorCode: "AccessDenied", ErrorMessage: awstest.DeniedMessage(awstest.SourceAccount, dest.Account, dest.Region, "my-repo")}},
	})
	out := filepath.Join(t.TempDir(), "snap")
	args := []string{"snapshot", "--repo", "my-repo", "--out", out, "--region", "ap-northeast-1", "--assume-role", "EcrdoctorRead", "--since", "3d"}

	code, stdout, stderr := runAWS(t, env, args...)
	if code != exitOK {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	if stderr != "" {
		t.Errorf("stderr is not a terminal and there was nothing to warn about, yet: %q", stderr)
	}
	if !strings.Contains(stdout, "API calls") || !strings.Contains(stdout, "ecrdoctor why --repo my-repo --snapshot "+out) {
		t.Errorf("stdout: %q", stdout)
	}
	for _, f := range []string{collect.ManifestFile, "222222222222/ap-northeast-1/get-registry-policy.error.json", "123456789012/ap-northeast-1/lookup-events.json"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("%s not written: %v", f, err)
		}
	}
	leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(out), ".ecrdoctor-snapshot-*"))
	if len(leftovers) != 0 {
		t.Errorf("temporary folders left behind: %v", leftovers)
	}

	// A second run refuses to clobber the folder...
	if code, _, stderr := runAWS(t, env, args...); code != exitUsage || !strings.Contains(stderr, "--force") {
		t.Fatalf("second run: exit %d, stderr %q; want a usage error naming --force", code, stderr)
	}
	// ...and with --force replaces the snapshot but keeps the user's own files.
	notes := filepath.Join(out, "NOTES.txt")
	if err := os.WriteFile(notes, []byte("ticket 123"), 0o644); err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(out, "333333333333")
	if err := os.MkdirAll(stale, 0o755); err != nil {
		t.Fatal(err)
	}
	if code, stdout, stderr := runAWS(t, env, append(args, "--force")...); code != exitOK {
		t.Fatalf("--force: exit %d\n%s%s", code, stdout, stderr)
	}
	if _, err := os.Stat(notes); err != nil {
		t.Error("--force removed a file of the user's")
	}
	if _, err := os.Stat(stale); err == nil {
		t.Error("--force kept an account folder of an earlier capture")
	}
}

func TestSnapshotCommandLiveErrors(t *testing.T) {
	t.Parallel()
	env := awstest.New(t)
	cases := []struct {
		name   string
		args   []string
		setup  func()
		code   int
		stderr string
	}{
		{"missing region", []string{"snapshot", "--repo", "my-repo", "--out", "OUT"}, nil, exitInput, "pass --region"},
		{"unknown profile", []string{"snapshot", "--repo", "my-repo", "--out", "OUT", "--profile", "nope", "--region", "eu-west-1"}, nil, exitInput, `AWS profile "nope" does not exist`},
		{"expired credentials", []string{"snapshot", "--repo", "my-repo", "--out", "OUT", "--region", "eu-west-1"},
			func() { env.Moto.ExpiredKeys[awstest.SourceKey] = true }, exitInput, "credentials have expired"},
		{"timeout", []string{"snapshot", "--repo", "my-repo", "--out", "OUT", "--region", "eu-west-1", "--timeout", "1ns"}, nil, exitInput, "timed out after 1ns"},
		{"bad dest-profile", []string{"snapshot", "--repo", "my-repo", "--out", "OUT", "--dest-profile", "prod"}, nil, exitUsage, "ACCOUNT=PROFILE"},
		{"two profiles for one account", []string{"snapshot", "--repo", "my-repo", "--out", "OUT", "--dest-profile", "222222222222=a", "--dest-profile", "222222222222=b"}, nil, exitUsage,
			"account 222222222222 is given two profiles (a and b)"},
		{"unknown dest-profile", []string{"snapshot", "--repo", "my-repo", "--out", "OUT", "--region", "eu-west-1", "--dest-profile", "222222222222=nope"}, nil, exitInput,
			`--dest-profile 222222222222=nope: AWS profile "nope" does not exist`},
		{"role ARN instead of name", []string{"snapshot", "--repo", "my-repo", "--out", "OUT", "--assume-role", "arn:aws:iam::1:role/x"}, nil, exitUsage, "role name only"},
		{"bad since", []string{"snapshot", "--repo", "my-repo", "--out", "OUT", "--since", "last week"}, nil, exitUsage, "--since"},
		{"external id alone", []string{"snapshot", "--repo", "my-repo", "--out", "OUT", "--external-id", "x"}, nil, exitUsage, "--assume-role"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.setup != nil {
				tc.setup()
			}
			out := filepath.Join(t.TempDir(), "snap")
			for i, a := range tc.args {
				if a == "OUT" {
					tc.args[i] = out
				}
			}
			code, _, stderr := runAWS(t, env, tc.args...)
			if code != tc.code || !strings.Contains(stderr, tc.stderr) {
				t.Errorf("exit %d, stderr %q; want exit %d mentioning %q", code, stderr, tc.code, tc.stderr)
			}
			if _, err := os.Stat(out); err == nil {
				t.Error("a failed run left a snapshot folder")
			}
		})
	}
}
