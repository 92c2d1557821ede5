package main

import (
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ecrdoctor/ecrdoctor/diagnose"
	"github.com/ecrdoctor/ecrdoctor/diagnose/collect/awstest"
)

// TestWhyLiveAgreesWithItsSnapshot runs `why` against moto (the destination
// is another account, reached with --assume-role), then `snapshot` and `why
// --snapshot` on what it wrote: both reports must say the same thing, and the
// live one must find the root cause of each scenario.
func TestWhyLiveAgreesWithItsSnapshot(t *testing.T) {
	t.Parallel()
	dest := diagnose.Location{Account: "222222222222", Region: "ap-northeast-1"}
	src := awstest.SourceAccount
	denied := []awstest.Event{{ID: "e1", Time: time.Now().Add(-2 * time.Hour), Account: src, Region: dest.Region,
		SourceAccount: src, DestAccount: dest.Account, DestRegion: dest.Region, Repository: "my-repo",
		ErrorCode: "AccessDenied", ErrorMessage: awstest.DeniedMessage(src, dest.Account, dest.Region, "my-repo")}}
	cases := []struct {
		name     string
		dest     awstest.Destination
		events   []awstest.Event
		noAssume bool
		codes    []string
		verdict  string
		exit     int
	}{
		{"seed case", awstest.Destination{RepositoryExists: true, RepositoryPolicy: awstest.RepositoryGrant(src)}, denied, false,
			[]string{"GRANT_IN_REPOSITORY_POLICY", "REGISTRY_POLICY_MISSING"}, "failing", exitFindings},
		{"registry policy missing", awstest.Destination{RepositoryExists: true}, denied, false,
			[]string{"REGISTRY_POLICY_MISSING"}, "failing", exitFindings},
		{"healthy", awstest.Destination{RepositoryExists: true, RegistryPolicy: awstest.ReplicationGrant(src, dest.Account, dest.Region, "")}, nil, false,
			nil, "healthy", exitOK},
		{"unreadable destination", awstest.Destination{RepositoryExists: true}, nil, true,
			[]string{"DESTINATION_UNREADABLE"}, "unknown", exitOK},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := awstest.New(t)
			env.Build(awstest.Scenario{
				Repository: "my-repo", Region: "ap-northeast-1", Images: 1,
				Rules:        []awstest.Rule{{Destinations: []diagnose.Location{dest}}},
				Destinations: map[diagnose.Location]awstest.Destination{dest: tc.dest},
				Events:       tc.events,
			})
			live := []string{"--repo", "my-repo", "--region", "ap-northeast-1", "--since", "3d"}
			if !tc.noAssume {
				live = append(live, "--assume-role", "EcrdoctorRead")
			}
			code, stdout, stderr := runAWS(t, env, append([]string{"why", "--output", "json"}, live...)...)
			if code != tc.exit {
				t.Fatalf("live why: exit %d, want %d\n%s", code, tc.exit, stderr)
			}
			liveReport := decodeReport(t, stdout)
			if got := reportCodes(liveReport); !slices.Equal(got, tc.codes) {
				t.Errorf("live findings = %v, want %v", got, tc.codes)
			}
			if liveReport.Verdict != diagnose.Verdict(tc.verdict) {
				t.Errorf("live verdict = %s, want %s", liveReport.Verdict, tc.verdict)
			}
			if len(liveReport.APICalls) == 0 {
				t.Error("live report does not count its API calls")
			}

			out := filepath.Join(t.TempDir(), "snap")
			if code, _, stderr := runAWS(t, env, append([]string{"snapshot", "--out", out}, live...)...); code != exitOK {
				t.Fatalf("snapshot: exit %d\n%s", code, stderr)
			}
			code, stdout, stderr = run(t, "", "why", "--output", "json", "--repo", "my-repo", "--snapshot", out)
			if code != tc.exit {
				t.Fatalf("why --snapshot: exit %d, want %d\n%s", code, tc.exit, stderr)
			}
			offline := decodeReport(t, stdout)
			if a, b := comparable(liveReport), comparable(offline); a != b {
				t.Errorf("live and offline reports differ:\nlive:    %s\noffline: %s", a, b)
			}
		})
	}
}

func decodeReport(t *testing.T, s string) *diagnose.Report {
	t.Helper()
	var r diagnose.Report
	if err := json.Unmarshal([]byte(s), &r); err != nil {
		t.Fatalf("report is not JSON: %v\n%s", err, s)
	}
	return &r
}

func reportCodes(r *diagnose.Report) []string {
	var out []string
	for _, f := range r.Findings {
		out = append(out, f.Code)
	}
	return out
}

// comparable drops what legitimately differs between a live run and its
// replay: where evidence came from (an AWS call or a file) and the API calls.
func comparable(r *diagnose.Report) string {
	c := *r
	c.APICalls = nil
	c.Findings = slices.Clone(r.Findings)
	for i := range c.Findings {
		ev := slices.Clone(c.Findings[i].Evidence)
		for j := range ev {
			ev[j].Source = diagnose.Source{}
		}
		c.Findings[i].Evidence = ev
	}
	b, _ := json.Marshal(c)
	return string(b)
}

// TestWhyLiveUnknownRepository: a repository the source does not have is a
// usage error naming the AWS call, not the temporary folder the capture
// went to (it is gone by the time the user reads the message).
func TestWhyLiveUnknownRepository(t *testing.T) {
	t.Parallel()
	dest := diagnose.Location{Account: "222222222222", Region: "ap-northeast-1"}
	env := awstest.New(t)
	env.Build(awstest.Scenario{
		Repository: "my-repo", Region: "ap-northeast-1", Images: 1,
		Rules:        []awstest.Rule{{Destinations: []diagnose.Location{dest}}},
		Destinations: map[diagnose.Location]awstest.Destination{dest: {RepositoryExists: true}},
	})
	code, stdout, stderr := runAWS(t, env, "why", "--repo", "my-repox", "--region", "ap-northeast-1", "--assume-role", "EcrdoctorRead")
	if code != exitUsage || stdout != "" {
		t.Fatalf("exit %d, stdout %q; want a usage error and nothing on stdout\n%s", code, stdout, stderr)
	}
	for _, want := range []string{"--repo my-repox:", "has no repository my-repox", "RepositoryNotFoundException", "aws ecr describe-repositories ("} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr does not say %q:\n%s", want, stderr)
		}
	}
	if strings.Contains(stderr, "ecrdoctor-why-") {
		t.Errorf("stderr names the temporary folder:\n%s", stderr)
	}

	// A mistyped --events path is named before AWS is read at all.
	before := totalRequests(env.Moto.Counts())
	code, _, stderr = runAWS(t, env, "why", "--repo", "my-repo", "--region", "ap-northeast-1", "--assume-role", "EcrdoctorRead", "--events", "no-such.json")
	if code != exitInput || !strings.Contains(stderr, "--events no-such.json: no such file or directory") {
		t.Errorf("exit %d, stderr %q; want exit %d naming --events", code, stderr, exitInput)
	}
	if after := totalRequests(env.Moto.Counts()); after != before {
		t.Errorf("%d AWS requests were made before the path was checked", after-before)
	}
}

func totalRequests(counts map[string]int) int {
	n := 0
	for _, v := range counts {
		n += v
	}
	return n
}
