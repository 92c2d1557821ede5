package collect_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ecrdoctor/ecrdoctor/diagnose"
	"github.com/ecrdoctor/ecrdoctor/diagnose/collect"
	"github.com/ecrdoctor/ecrdoctor/diagnose/collect/awstest"
)

const (
	src      = awstest.SourceAccount
	dst      = "222222222222"
	srcReg   = "ap-northeast-1"
	repo     = "my-repo"
	roleName = "EcrdoctorRead"
)

var (
	sameAcctDest  = diagnose.Location{Account: src, Region: "us-west-1"}
	crossAcctDest = diagnose.Location{Account: dst, Region: srcReg}
)

// seedScenario is the seed case: the grant is in the destination's
// repository policy, the registry policy is missing, and CloudTrail holds the
// denial on its first page (in both accounts, one sharedEventID).
func seedScenario(now time.Time, fillers int) awstest.Scenario {
	s := awstest.Scenario{
		Repository: repo, Region: srcReg, Images: 1,
		Rules: []awstest.Rule{{Destinations: []diagnose.Location{sameAcctDest, crossAcctDest}}},
		Status: []map[string]string{
			{"region": "us-west-1", "registryId": src, "status": "COMPLETE"},
			{"region": srcReg, "registryId": dst, "status": "FAILED", "failureCode": "DESTINATION_REGISTRY_ACCESS_DENIED"},
		},
		Destinations: map[diagnose.Location]awstest.Destination{
			crossAcctDest: {RepositoryExists: true, RepositoryPolicy: awstest.RepositoryGrant(src)},
		},
	}
	msg := awstest.DeniedMessage(src, dst, srcReg, repo)
	denied := awstest.Event{ID: "evt-denied-src", SharedID: "shared-1", Time: now.Add(-2 * time.Hour), Account: src, Region: srcReg,
		SourceAccount: src, DestAccount: dst, DestRegion: srcReg, Repository: repo, ErrorCode: "AccessDenied", ErrorMessage: msg}
	copyInDest := denied
	copyInDest.ID, copyInDest.Account = "evt-denied-dst", dst
	s.Events = append(s.Events, denied, copyInDest)
	s.Events = append(s.Events, fillerEvents(now, src, srcReg, fillers)...)
	return s
}

// fillerEvents are successful replications of another repository, newer
// than the scenario's own events.
func fillerEvents(now time.Time, account, region string, n int) []awstest.Event {
	var out []awstest.Event
	for i := range n {
		out = append(out, awstest.Event{ID: fmt.Sprintf("evt-other-%s-%d", region, i), Time: now.Add(-time.Duration(i+1) * time.Minute),
			Account: account, Region: region, SourceAccount: src, DestAccount: dst, DestRegion: region, Repository: "other-repo"})
	}
	return out
}

// captureOpts read env's servers through collect.AWS, not the process
// environment, so the tests using them run in parallel.
func captureOpts(env *awstest.Env) collect.CaptureOptions {
	return collect.CaptureOptions{Repository: repo, Region: srcReg, AssumeRole: roleName, AWS: collect.AWS{LoadConfig: env.LoadConfig, CloudTrail: env.CloudTrail}}
}

func runCapture(t *testing.T, opts collect.CaptureOptions) (string, *collect.CaptureStats, time.Duration) {
	t.Helper()
	dir := t.TempDir()
	start := time.Now()
	stats, err := collect.Capture(context.Background(), opts, dir)
	elapsed := time.Since(start)
	if err != nil {
		t.Fatalf("Capture: %v", err)
	}
	return dir, stats, elapsed
}

func totalCalls(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// files lists the snapshot folder, relative and sorted.
func files(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func TestCaptureSeedCase(t *testing.T) {
	t.Parallel()
	env := awstest.New(t)
	now := time.Now()
	env.Build(seedScenario(now, 0))

	dir, stats, elapsed := runCapture(t, captureOpts(env))
	t.Logf("warnings: %q", stats.Warnings)
	t.Logf("seed case: %d API calls %v (proxy saw %d, CloudTrail stand-in %d) in %v", totalCalls(stats.APICalls), stats.APICalls, env.Moto.Total(), mustCalls(env), elapsed)

	want := []string{
		src + "/" + srcReg + "/describe-image-replication-status/" + repo + "/v1.json",
		src + "/" + srcReg + "/describe-images/" + repo + ".json", // kept from the read that picks the newest images
		src + "/" + srcReg + "/describe-registry.json",
		// No source describe-repositories.json: describe-images shows the
		// repository exists, and no destination keeps its tags immutable,
		// so its tag mutability changes no check (snapshot.json says so).
		src + "/" + srcReg + "/list-replication-backfills.json", // none: one call
		src + "/" + srcReg + "/lookup-events.json",
		src + "/us-west-1/describe-repositories.error.json", // same account: repository not created yet
		src + "/us-west-1/lookup-events.json",
		dst + "/" + srcReg + "/describe-pull-through-cache-rules.json", // no registry policy: is it a cache?
		dst + "/" + srcReg + "/describe-repositories.json",
		// No creation templates (the repository exists) and no policy
		// scope (there is no registry policy; the fix's grant names V1
		// actions only): no check could use them.
		dst + "/" + srcReg + "/get-registry-policy.error.json",
		dst + "/" + srcReg + "/get-repository-policy/" + repo + ".json",
		// No dst lookup-events.json: the source account's CloudTrail holds
		// the denial, so the destination's is not asked (issue 11 item 6).
		dst + "/us-west-1/get-registry-policy.error.json", // the wrong-region check
		"snapshot.json",
	}
	if got := files(t, dir); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("snapshot files:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	var manifest collect.Manifest
	readJSON(t, filepath.Join(dir, "snapshot.json"), &manifest)
	if manifest.Source.Account != src || manifest.Source.Region != srcReg || manifest.Repository != repo {
		t.Errorf("manifest = %+v", manifest)
	}
	var left []string
	for _, nr := range manifest.NotRead {
		left = append(left, nr.Account+"/"+nr.Region+"/"+nr.Call)
		if nr.Why == "" {
			t.Errorf("not_read %s/%s/%s says no why", nr.Account, nr.Region, nr.Call)
		}
	}
	// What the comments above say is not read, the manifest says too.
	wantLeft := []string{src + "/" + srcReg + "/" + collect.DescribeRepositoriesFile, dst + "/" + srcReg + "/" + collect.TemplatesFile, dst + "/" + srcReg + "/" + collect.GetAccountSettingFile}
	if strings.Join(left, "\n") != strings.Join(wantLeft, "\n") {
		t.Errorf("snapshot.json not_read:\n%s\nwant:\n%s", strings.Join(left, "\n"), strings.Join(wantLeft, "\n"))
	}
	var regErr struct{ Error diagnose.APIError }
	readJSON(t, collect.ErrorFile(dir, dst, srcReg, collect.GetRegistryPolicyFile), &regErr)
	if regErr.Error.Code != "RegistryPolicyNotFoundException" {
		t.Errorf("destination registry policy error = %+v, want RegistryPolicyNotFoundException", regErr.Error)
	}
	var repoPol diagnose.PolicyOutput
	readJSON(t, collect.CallFile(dir, dst, srcReg, collect.RepositoryPolicyName(repo)), &repoPol)
	if !strings.Contains(repoPol.PolicyText, "ecr:ReplicateImage") || repoPol.RepositoryName != repo || repoPol.RegistryID != dst {
		t.Errorf("destination repository policy = %+v", repoPol)
	}
	var status diagnose.ReplicationStatusOutput
	readJSON(t, collect.CallFile(dir, src, srcReg, collect.ReplicationStatusName(repo, "v1")), &status)
	if len(status.ReplicationStatuses) != 2 || status.ReplicationStatuses[1].FailureCode != "DESTINATION_REGISTRY_ACCESS_DENIED" {
		t.Errorf("replication status = %+v", status)
	}

	// The denial was delivered to both accounts: the source's copy is kept.
	var srcEvents struct{ Events []map[string]any }
	readJSON(t, collect.CallFile(dir, src, srcReg, collect.LookupEventsPrefix), &srcEvents)
	if len(srcEvents.Events) != 1 || stats.EventsMatched != 1 {
		t.Errorf("events kept: source %d, matched %d; want the shared denial once", len(srcEvents.Events), stats.EventsMatched)
	}
	if keys := env.Trail.AttributeKeys(); keys["EventSource"] > 0 || keys["EventName"] == 0 {
		t.Errorf("LookupEvents attributes used: %v; want EventName only", keys)
	}
	if n := totalCalls(stats.APICalls); n > 13 {
		t.Errorf("%d API calls (%v), want at most 13 for two destinations with the evidence on the first page (the destination's CloudTrail is not asked; "+
			"its pull-through cache rules are, since its registry policy does not allow replication)", n, stats.APICalls)
	}
	if got := env.Moto.Total() + mustCalls(env); got != totalCalls(stats.APICalls) {
		t.Errorf("CaptureStats counts %d calls, the servers saw %d", totalCalls(stats.APICalls), got)
	}
	if len(stats.Warnings) != 0 {
		t.Errorf("warnings: %q", stats.Warnings)
	}
}

func mustCalls(env *awstest.Env) int {
	n, _ := env.Trail.Calls()
	return n
}

func exists(dir, account, region, name string) (ok, failed bool) {
	_, err1 := os.Stat(collect.CallFile(dir, account, region, name))
	_, err2 := os.Stat(collect.ErrorFile(dir, account, region, name))
	return err1 == nil, err2 == nil
}

func errorCode(t *testing.T, dir, account, region, name string) string {
	t.Helper()
	var e struct{ Error diagnose.APIError }
	readJSON(t, collect.ErrorFile(dir, account, region, name), &e)
	return e.Error.Code
}

func TestCaptureScenarios(t *testing.T) {
	denied := awstest.DeniedMessage(src, dst, srcReg, repo)
	cases := []struct {
		name     string
		dest     awstest.Destination
		denyRole bool
		noRole   bool
		check    func(t *testing.T, dir string, stats *collect.CaptureStats)
	}{
		{
			name: "missing registry policy",
			dest: awstest.Destination{RepositoryExists: true},
			check: func(t *testing.T, dir string, stats *collect.CaptureStats) {
				if c := errorCode(t, dir, dst, srcReg, collect.GetRegistryPolicyFile); c != "RegistryPolicyNotFoundException" {
					t.Errorf("registry policy: %s", c)
				}
				if c := errorCode(t, dir, dst, srcReg, collect.RepositoryPolicyName(repo)); c != "RepositoryPolicyNotFoundException" {
					t.Errorf("repository policy: %s", c)
				}
				if len(stats.Warnings) != 0 {
					t.Errorf("a missing policy is a fact, not a failed read; warnings: %q", stats.Warnings)
				}
			},
		},
		{
			name: "healthy",
			dest: awstest.Destination{RepositoryExists: true, RegistryPolicy: awstest.ReplicationGrant(src, dst, srcReg, "my-")},
			check: func(t *testing.T, dir string, stats *collect.CaptureStats) {
				var pol diagnose.PolicyOutput
				readJSON(t, collect.CallFile(dir, dst, srcReg, collect.GetRegistryPolicyFile), &pol)
				if !strings.Contains(pol.PolicyText, "ecr:ReplicateImage") || pol.RegistryID != dst {
					t.Errorf("registry policy = %+v", pol)
				}
				// The grant names V1 actions only, which every scope
				// accepts, and the repository exists: neither the scope
				// nor the creation templates can change the diagnosis.
				for _, name := range []string{collect.GetAccountSettingFile, collect.TemplatesFile} {
					if ok, failed := exists(dir, dst, srcReg, name); ok || failed {
						t.Errorf("%s was read, though no check can use it here", name)
					}
				}
			},
		},
		{
			name: "the destination repository is missing: its creation templates are read",
			dest: awstest.Destination{RegistryPolicy: awstest.ReplicationGrant(src, dst, srcReg, "my-")},
			check: func(t *testing.T, dir string, stats *collect.CaptureStats) {
				if ok, _ := exists(dir, dst, srcReg, collect.TemplatesFile); !ok {
					t.Error("the creation templates were not read, though replication must create the repository")
				}
			},
		},
		{
			name:     "unreadable destination: the role cannot be assumed",
			dest:     awstest.Destination{RepositoryExists: true, RegistryPolicy: awstest.ReplicationGrant(src, dst, srcReg, "my-")},
			denyRole: true,
			check: func(t *testing.T, dir string, stats *collect.CaptureStats) {
				for _, name := range []string{collect.GetRegistryPolicyFile, collect.DescribeRepositoriesFile, collect.GetAccountSettingFile, collect.RepositoryPolicyName(repo)} {
					if c := errorCode(t, dir, dst, srcReg, name); c != "AccessDenied" {
						t.Errorf("%s: error %q, want the AccessDenied of sts:AssumeRole", name, c)
					}
				}
				if w := strings.Join(stats.Warnings, "\n"); !strings.Contains(w, "sts:AssumeRole") || !strings.Contains(w, "arn:aws:iam::"+dst+":role/"+roleName) {
					t.Errorf("warnings do not name the permission and role needed: %q", stats.Warnings)
				}
				// The source side and the source account's CloudTrail are still read.
				if ok, _ := exists(dir, src, srcReg, collect.LookupEventsPrefix); !ok {
					t.Error("the source account's CloudTrail was not read")
				}
			},
		},
		{
			name:   "unreadable destination: no destination credentials",
			dest:   awstest.Destination{RepositoryExists: true, RegistryPolicy: awstest.ReplicationGrant(src, dst, srcReg, "my-")},
			noRole: true,
			check: func(t *testing.T, dir string, stats *collect.CaptureStats) {
				if ok, failed := exists(dir, dst, srcReg, collect.GetRegistryPolicyFile); ok || failed {
					t.Error("the destination's registry policy cannot be read with the source credentials; it must be left 'not collected'")
				}
				if w := strings.Join(stats.Warnings, "\n"); !strings.Contains(w, "--assume-role") || !strings.Contains(w, "--dest-profile "+dst+"=PROFILE") {
					t.Errorf("warnings do not say which flag is needed: %q", stats.Warnings)
				}
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := awstest.New(t)
			now := time.Now()
			s := seedScenario(now, 0)
			s.Destinations = map[diagnose.Location]awstest.Destination{crossAcctDest: tc.dest}
			s.Events = []awstest.Event{{ID: "e1", Time: now.Add(-time.Hour), Account: src, Region: srcReg, SourceAccount: src, DestAccount: dst, DestRegion: srcReg, Repository: repo, ErrorCode: "AccessDenied", ErrorMessage: denied}}
			env.Build(s)
			if tc.denyRole {
				env.Moto.DenyRoles[roleName] = true
			}
			opts := captureOpts(env)
			if tc.noRole {
				opts.AssumeRole = ""
			}
			dir, stats, elapsed := runCapture(t, opts)
			t.Logf("%d API calls %v in %v; warnings %q", totalCalls(stats.APICalls), stats.APICalls, elapsed, stats.Warnings)
			tc.check(t, dir, stats)
		})
	}
}

// TestCaptureThrottled pages through CloudTrail to the evidence, first
// unthrottled, then with every fourth LookupEvents call throttled: the same
// snapshot, no failure, and under 1.15 times the calls.
func TestCaptureThrottled(t *testing.T) {
	t.Parallel()
	env := awstest.New(t)
	now := time.Now()
	env.Build(seedScenario(now, 180)) // the evidence is on the third page

	dir1, stats1, elapsed1 := runCapture(t, captureOpts(env))
	env.Trail.ThrottleRate = 0.25
	ct0, th0 := env.Trail.Calls()
	dir2, stats2, elapsed2 := runCapture(t, captureOpts(env))
	ct1, th1 := env.Trail.Calls()
	n1, n2 := totalCalls(stats1.APICalls), totalCalls(stats2.APICalls)
	t.Logf("unthrottled: %d calls %v in %v; 25%% throttled: %d calls %v in %v (%d CloudTrail requests, %d throttled)",
		n1, stats1.APICalls, elapsed1, n2, stats2.APICalls, elapsed2, ct1-ct0, th1-th0)
	if th1-th0 == 0 {
		t.Fatal("the stand-in throttled nothing: the test proves nothing")
	}
	if float64(n2) >= 1.15*float64(n1) {
		t.Errorf("%d calls throttled vs %d unthrottled: not under 1.15x", n2, n1)
	}
	if len(stats2.Warnings) != 0 {
		t.Errorf("throttling caused warnings: %q", stats2.Warnings)
	}
	if stats1.EventsMatched != 1 || stats2.EventsMatched != 1 {
		t.Errorf("events matched: %d and %d, want the denial in both", stats1.EventsMatched, stats2.EventsMatched)
	}
	for _, loc := range []diagnose.Location{{Account: src, Region: srcReg}, {Account: src, Region: "us-west-1"}} {
		a, _ := os.ReadFile(collect.CallFile(dir1, loc.Account, loc.Region, collect.LookupEventsPrefix))
		b, _ := os.ReadFile(collect.CallFile(dir2, loc.Account, loc.Region, collect.LookupEventsPrefix))
		if string(a) != string(b) {
			t.Errorf("%s: lookup-events.json differs under throttling", loc)
		}
	}
}

func TestCaptureBadInput(t *testing.T) {
	t.Parallel()
	t.Run("unknown profile", func(t *testing.T) {
		t.Parallel()
		env := awstest.New(t)
		opts := captureOpts(env)
		opts.Profile = "no-such-profile"
		_, err := collect.Capture(context.Background(), opts, t.TempDir())
		if err == nil || !strings.Contains(err.Error(), `"no-such-profile" does not exist`) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("profile for an account that is no destination", func(t *testing.T) {
		t.Parallel()
		env := awstest.New(t)
		env.Build(seedScenario(time.Now(), 0))
		env.Profile("other", "eu-west-1", env.Credentials(src, ""))
		opts := captureOpts(env)
		opts.DestProfiles = map[string]string{"333333333333": "other"}
		_, stats, _ := runCapture(t, opts)
		if w := strings.Join(stats.Warnings, "\n"); !strings.Contains(w, "--dest-profile 333333333333=other: account 333333333333 is not a cross-account destination of any replication rule for "+repo) {
			t.Errorf("warnings do not say the profile is unused:\n%s", w)
		}
	})
	t.Run("missing region", func(t *testing.T) {
		t.Parallel()
		env := awstest.New(t)
		opts := captureOpts(env)
		opts.Region = ""
		_, err := collect.Capture(context.Background(), opts, t.TempDir())
		if err == nil || !strings.Contains(err.Error(), "--region") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("expired credentials", func(t *testing.T) {
		t.Parallel()
		env := awstest.New(t)
		env.Moto.ExpiredKeys[awstest.SourceKey] = true
		_, err := collect.Capture(context.Background(), captureOpts(env), t.TempDir())
		if err == nil || !strings.Contains(err.Error(), "ExpiredToken") || !strings.Contains(err.Error(), "refresh them") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("no CloudTrail permission", func(t *testing.T) {
		t.Parallel()
		env := awstest.New(t)
		env.Build(seedScenario(time.Now(), 0))
		env.Trail.DenyAccounts[src] = true
		dir, stats, _ := runCapture(t, captureOpts(env))
		if c := errorCode(t, dir, src, srcReg, collect.LookupEventsPrefix); c != "AccessDeniedException" {
			t.Errorf("lookup-events error = %q", c)
		}
		if w := strings.Join(stats.Warnings, "\n"); !strings.Contains(w, "allow cloudtrail:LookupEvents") {
			t.Errorf("warnings do not name the permission: %q", stats.Warnings)
		}
		// The rest is still collected, the destination's own CloudTrail included.
		if ok, _ := exists(dir, dst, srcReg, collect.LookupEventsPrefix); !ok {
			t.Error("the destination account's CloudTrail was not read")
		}
		if _, failed := exists(dir, dst, srcReg, collect.GetRegistryPolicyFile); !failed {
			t.Error("the destination was not read")
		}
	})
}
