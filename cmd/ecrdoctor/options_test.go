package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ecrdoctor/ecrdoctor/diagnose"
	"github.com/ecrdoctor/ecrdoctor/diagnose/collect"
	"github.com/ecrdoctor/ecrdoctor/diagnose/collect/awstest"
)

// TestLiveRunsOnOptions runs live why, snapshot and why --snapshot from
// their Options and an IO, without a command line or the process
// environment (so in parallel): the seed case is found live, its evidence
// names the AWS calls, and the snapshot written says the same.
func TestLiveRunsOnOptions(t *testing.T) {
	t.Parallel()
	env := awstest.New(t)
	src, dest := awstest.SourceAccount, diagnose.Location{Account: "222222222222", Region: "ap-northeast-1"}
	env.Build(awstest.Scenario{
		Repository: "my-repo", Region: dest.Region, Images: 1,
		Rules:        []awstest.Rule{{Destinations: []diagnose.Location{dest}}},
		Destinations: map[diagnose.Location]awstest.Destination{dest: {RepositoryExists: true, RepositoryPolicy: awstest.RepositoryGrant(src)}},
		Events: []awstest.Event{{ID: "e1", Time: time.Now().Add(-2 * time.Hour), Account: src, Region: dest.Region,
			SourceAccount: src, DestAccount: dest.Account, DestRegion: dest.Region, Repository: "my-repo",
			ErrorCode: "AccessDenied", ErrorMessage: awstest.DeniedMessage(src, dest.Account, dest.Region, "my-repo")}},
	})
	live := liveOptions{Timeout: time.Minute, Capture: collect.CaptureOptions{
		Region: dest.Region, AssumeRole: "EcrdoctorRead", Since: time.Now().Add(-72 * time.Hour),
		AWS: collect.AWS{LoadConfig: env.LoadConfig, CloudTrail: env.CloudTrail},
	}}
	ctx := context.Background()

	var out, errb bytes.Buffer
	err := runWhy(ctx, IO{Out: &out, Err: &errb}, whyOptions{Repo: "my-repo", Output: "json", Live: live})
	if code := exitCode(err, &errb); code != exitFindings {
		t.Fatalf("live why: exit %d, stderr %s", code, errb.String())
	}
	liveReport := decodeReport(t, out.String())
	if got, want := reportCodes(liveReport), []string{"GRANT_IN_REPOSITORY_POLICY", "REGISTRY_POLICY_MISSING"}; !slices.Equal(got, want) {
		t.Errorf("live findings %v, want %v", got, want)
	}
	var sources []string
	for _, f := range liveReport.Findings {
		for _, e := range f.Evidence {
			sources = append(sources, e.Source.String())
		}
	}
	if s := strings.Join(sources, "\n"); !strings.Contains(s, "aws ecr get-repository-policy my-repo (222222222222, ap-northeast-1)") || strings.Contains(s, "ecrdoctor-why-") {
		t.Errorf("live evidence sources do not name the AWS calls:\n%s", s)
	}

	dir := filepath.Join(t.TempDir(), "snap")
	live.Capture.Repository = "my-repo"
	out.Reset()
	if err := runSnapshot(ctx, IO{Out: &out, Err: &errb}, snapshotOptions{Out: dir, Live: live}); err != nil {
		t.Fatalf("snapshot: %v", err)
	}
	out.Reset()
	err = runWhy(ctx, IO{Out: &out, Err: &errb}, whyOptions{Repo: "my-repo", Output: "json", Snapshot: dir})
	if code := exitCode(err, &errb); code != exitFindings {
		t.Fatalf("why --snapshot: exit %d, stderr %s", code, errb.String())
	}
	if a, b := comparable(liveReport), comparable(decodeReport(t, out.String())); a != b {
		t.Errorf("live and offline reports differ:\nlive:    %s\noffline: %s", a, b)
	}
}

// TestRepoFlagIsAnECRName: --repo becomes file names and words of printed
// commands, so anything that is not an ECR repository name is a usage error
// naming the flag (exit 2), before any file or AWS is read.
func TestRepoFlagIsAnECRName(t *testing.T) {
	for _, repo := range []string{"../x", "/etc", "team//app", "My Repo", "a;id"} {
		for _, args := range [][]string{
			{"why", "--repo", repo, "--snapshot", "nowhere"},
			{"snapshot", "--repo", repo, "--out", filepath.Join(t.TempDir(), "out")},
		} {
			code, stdout, stderr := run(t, "", args...)
			if code != exitUsage || !strings.Contains(stderr, "--repo") || !strings.Contains(stderr, "not an ECR repository name") || stdout != "" {
				t.Errorf("%q: exit %d, stderr %q; want exit 2 naming --repo", args, code, stderr)
			}
		}
	}
}

// TestSnapshotUnknownRepository: `snapshot --repo` of a repository the
// source does not have fails as live why does (exit 2, naming the call
// that said so), and writes no folder.
func TestSnapshotUnknownRepository(t *testing.T) {
	t.Parallel()
	env := awstest.New(t)
	dest := diagnose.Location{Account: "222222222222", Region: "ap-northeast-1"}
	env.Build(awstest.Scenario{
		Repository: "my-repo", Region: dest.Region, Images: 1,
		Rules:        []awstest.Rule{{Destinations: []diagnose.Location{dest}}},
		Destinations: map[diagnose.Location]awstest.Destination{dest: {RepositoryExists: true}},
	})
	out := filepath.Join(t.TempDir(), "snap")
	var stdout, stderr bytes.Buffer
	err := runSnapshot(context.Background(), IO{Out: &stdout, Err: &stderr}, snapshotOptions{Out: out, Live: liveOptions{Capture: collect.CaptureOptions{
		Repository: "my-repox", Region: dest.Region, AssumeRole: "EcrdoctorRead",
		AWS: collect.AWS{LoadConfig: env.LoadConfig, CloudTrail: env.CloudTrail},
	}}})
	code := exitCode(err, &stderr)
	if code != exitUsage || stdout.Len() != 0 {
		t.Fatalf("exit %d, stdout %q; want exit 2 and nothing on stdout\n%s", code, stdout.String(), stderr.String())
	}
	for _, want := range []string{"--repo my-repox:", "has no repository my-repox", "aws ecr describe-repositories ("} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr does not say %q:\n%s", want, stderr.String())
		}
	}
	if entries, _ := os.ReadDir(filepath.Dir(out)); len(entries) != 0 {
		t.Errorf("a failed snapshot left %v behind", entries)
	}
}
