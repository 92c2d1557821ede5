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

func captureOpts() collect.CaptureOptions {
	return collect.CaptureOptions{Repository: repo, Region: srcReg, AssumeRole: roleName}
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
	env := awstest.Start(t)
	now := time.Now()
	env.Build(seedScenario(now, 0))

	dir, stats, elapsed := runCapture(t, captureOpts())
	t.Logf("warnings: %q", stats.Warnings)
	t.Logf("seed case: %d API calls %v (proxy saw %d, CloudTrail stand-in %d) in %v", totalCalls(stats.APICalls), stats.APICalls, env.Moto.Total(), mustCalls(env), elapsed)

	want := []string{
		src + "/" + srcReg + "/describe-image-replication-status/" + repo + "/v1.json",
		src + "/" + srcReg + "/describe-registry.json",
		src + "/" + srcReg + "/describe-repositories.json",
		src + "/" + srcReg + "/lookup-events.json",
		src + "/us-west-1/describe-repositories.error.json", // same account: repository not created yet
		src + "/us-west-1/lookup-events.json",
		dst + "/" + srcReg + "/describe-repositories.json",
		dst + "/" + srcReg + "/get-account-setting.json",
		dst + "/" + srcReg + "/get-registry-policy.error.json",
		dst + "/" + srcReg + "/get-repository-policy/" + repo + ".json",
		dst + "/" + srcReg + "/lookup-events.json",
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

	// The denial was delivered to both accounts: it is kept once.
	var srcEvents, dstEvents struct{ Events []map[string]any }
	readJSON(t, collect.CallFile(dir, src, srcReg, collect.LookupEventsPrefix), &srcEvents)
	readJSON(t, collect.CallFile(dir, dst, srcReg, collect.LookupEventsPrefix), &dstEvents)
	if len(srcEvents.Events)+len(dstEvents.Events) != 1 || stats.EventsMatched != 1 {
		t.Errorf("events kept: source %d, destination %d, matched %d; want the shared denial once", len(srcEvents.Events), len(dstEvents.Events), stats.EventsMatched)
	}
	if keys := env.Trail.AttributeKeys(); keys["EventSource"] > 0 || keys["EventName"] == 0 {
		t.Errorf("LookupEvents attributes used: %v; want EventName only", keys)
	}
	if n := totalCalls(stats.APICalls); n > 15 {
		t.Errorf("%d API calls (%v), want at most 15 for two destinations with the evidence on the first page", n, stats.APICalls)
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
