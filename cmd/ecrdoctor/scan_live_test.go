package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ecrdoctor/ecrdoctor/diagnose"
	"github.com/ecrdoctor/ecrdoctor/diagnose/collect/awstest"
)

// TestScanLiveOrganization runs `scan --organization` against moto (an
// organization of three accounts, each read through --assume-role): every
// pair gets its root cause, each failing destination one fix, the exit
// says failing; `snapshot --all` then captures the same reads, and `scan
// --snapshot` on it says the same as the live scan.
func TestScanLiveOrganization(t *testing.T) {
	t.Parallel()
	env := awstest.New(t)
	o := env.ExampleOrganization()
	live := []string{"--organization", "--assume-role", "EcrdoctorRead", "--region", "us-east-1", "--since", "3d"}

	code, stdout, stderr := runAWS(t, env, append([]string{"scan", "--output", "json"}, live...)...)
	if code != exitFindings {
		t.Fatalf("live scan: exit %d, want %d\n%s", code, exitFindings, stderr)
	}
	rep := decodeScan(t, stdout)
	want := o.Expected()
	got := map[string]string{}
	for _, p := range rep.Pairs {
		got[awstest.PairKey(p.Source, p.Repository, p.Destination)] = string(p.Verdict) + " " + p.RootCause
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("pairs:\n%v\nwant\n%v", got, want)
	}
	fixes := map[string]bool{}
	for _, f := range rep.Fixes {
		fixes[f.Destination.String()] = f.Fix.Verified
	}
	if len(fixes) != 2 || !fixes[o.West.String()] || !fixes[o.AppsEast.String()] {
		t.Errorf("fixes (destination: verified) = %v, want a verified one for %s and %s", fixes, o.West, o.AppsEast)
	}
	if rep.APICalls["organizations"] != 1 || rep.APICalls["ecr"] == 0 {
		t.Errorf("api_calls = %v, want organizations 1 and the ECR reads", rep.APICalls)
	}
	if !strings.Contains(stderr, "read 3 source registries (5 repositories listed)") {
		t.Errorf("stderr does not sum up the reads: %q", stderr)
	}

	// The text a person reads names the failing destination's fix.
	code, text, _ := runAWS(t, env, append([]string{"scan"}, live...)...)
	if code != exitFindings || !strings.Contains(text, o.West.String()) || !strings.Contains(text, "GRANT_IN_REPOSITORY_POLICY") {
		t.Errorf("text report (exit %d) does not name %s and its root cause:\n%s", code, o.West, text)
	}

	out := filepath.Join(t.TempDir(), "org")
	code, stdout, stderr = runAWS(t, env, append([]string{"snapshot", "--all", "--out", out}, live...)...)
	if code != exitOK || !strings.Contains(stdout, "Wrote the snapshot of 3 source registries") || !strings.Contains(stdout, "ecrdoctor scan --snapshot "+out) {
		t.Fatalf("snapshot --all: exit %d\n%s\n%s", code, stdout, stderr)
	}
	code, stdout, stderr = run(t, "", "scan", "--snapshot", out, "--output", "json")
	if code != exitFindings {
		t.Fatalf("scan --snapshot: exit %d\n%s", code, stderr)
	}
	offline := decodeScan(t, stdout)
	for i := range offline.Pairs {
		if i >= len(rep.Pairs) || offline.Pairs[i].Verdict != rep.Pairs[i].Verdict || offline.Pairs[i].RootCause != rep.Pairs[i].RootCause {
			t.Errorf("offline pair %d = %+v, live %+v", i, offline.Pairs[i], rep.Pairs)
		}
	}
	if len(offline.Pairs) != len(rep.Pairs) || len(offline.Fixes) != len(rep.Fixes) {
		t.Errorf("offline: %d pairs and %d fixes, live %d and %d", len(offline.Pairs), len(offline.Fixes), len(rep.Pairs), len(rep.Fixes))
	}
}

// TestScanLiveUsage: the live flags are checked before anything is read.
func TestScanLiveUsage(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"scan", "--accounts", "111111111111"}, "--accounts reads other accounts through a role: pass --assume-role NAME"},
		{[]string{"scan", "--concurrency", "0"}, "--concurrency must be positive"},
		{[]string{"scan", "--snapshot", ".", "--organization"}, "--organization reads AWS; it has no effect with --snapshot"},
		{[]string{"snapshot", "--all", "--out", "x", "--organization"}, "snapshot: --organization reads other accounts through a role"},
		{[]string{"snapshot", "--all", "--out", "x", "--repo-prefix", "Team"}, `snapshot: --repo-prefix "Team": not a repository name prefix`},
	} {
		code, _, stderr := run(t, "", tc.args...)
		if code != exitUsage || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d with %q", tc.args, code, stderr, exitUsage, tc.want)
		}
	}
}

func decodeScan(t *testing.T, s string) *diagnose.ScanReport {
	t.Helper()
	var r diagnose.ScanReport
	if err := json.Unmarshal([]byte(s), &r); err != nil {
		t.Fatalf("scan report is not JSON: %v\n%s", err, s)
	}
	return &r
}

// TestScanLiveFromS3: scan --events s3://… takes CloudTrail from the
// organization trail's bucket instead of LookupEvents, for the question of
// the whole scan (its source accounts, the destinations of their rules);
// the denial there is the evidence of the pair it names.
func TestScanLiveFromS3(t *testing.T) {
	t.Parallel()
	env := awstest.New(t)
	o := env.ExampleOrganization()
	at := time.Now().UTC().Add(-time.Hour).Truncate(time.Minute)
	denial := awstest.Event{ID: "org-trail-web", Time: at.Add(-5 * time.Minute), Account: o.Apps, Region: o.West.Region,
		SourceAccount: o.Apps, DestAccount: o.DR, DestRegion: o.West.Region, Repository: "team-a/web",
		ErrorCode: "AccessDenied", ErrorMessage: awstest.DeniedMessage(o.Apps, o.DR, o.West.Region, "team-a/web")}
	key := awstest.TrailKey("o-exampleorgid", o.Apps, o.West.Region, at)
	env.Moto.PutObjects(t, "org-trail", map[string][]byte{key: awstest.TrailFile(denial)})
	code, stdout, stderr := runAWS(t, env, "scan", "--organization", "--assume-role", "EcrdoctorRead", "--region", "us-east-1", "--since", "2d",
		"--events", "s3://org-trail/AWSLogs/o-exampleorgid/", "--aws-region", "us-east-1", "--output", "json")
	if code != exitFindings {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	if calls, _ := env.Trail.Calls(); calls != 0 {
		t.Errorf("LookupEvents was called %d times; the trail bucket replaces it", calls)
	}
	rep := decodeScan(t, stdout)
	for _, p := range rep.Pairs {
		var sources []string
		for _, f := range p.Findings {
			for _, e := range f.Evidence {
				if e.Kind == diagnose.EvidenceCloudTrailEvent {
					sources = append(sources, e.Source.String())
				}
			}
		}
		want := p.Repository == "team-a/web" && p.Destination == o.West
		if got := strings.Contains(strings.Join(sources, " "), "s3://org-trail/"+key); got != want {
			t.Errorf("%s -> %s: CloudTrail evidence %v, want the S3 record: %v", p.Repository, p.Destination, sources, want)
		}
	}
}
