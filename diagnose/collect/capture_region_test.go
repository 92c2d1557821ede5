package collect_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ecrdoctor/ecrdoctor/diagnose"
	"github.com/ecrdoctor/ecrdoctor/diagnose/collect"
	"github.com/ecrdoctor/ecrdoctor/diagnose/collect/awstest"
)

// TestCaptureRegionOptIn: for a destination in an opt-in region, the
// source and the destination account each tell with their own credentials
// whether they have enabled it (moto has no Account API: the harness's
// stand-in answers). A denied read is a warning naming the permission, and
// no finding: not read is not "not enabled".
func TestCaptureRegionOptIn(t *testing.T) {
	t.Parallel()
	optIn := diagnose.Location{Account: dst, Region: "me-central-1"}
	env := awstest.New(t)
	s := seedScenario(time.Now(), 0)
	s.Rules = []awstest.Rule{{Destinations: []diagnose.Location{crossAcctDest, optIn}}}
	s.Destinations[optIn] = awstest.Destination{RepositoryExists: true, RegistryPolicy: awstest.ReplicationGrant(src, dst, optIn.Region, "my-")}
	env.Build(s)
	env.Moto.RegionOptIn = map[string]string{dst + "/me-central-1": "DISABLED"}
	env.Moto.DenyRegionOptIn = map[string]bool{src: true}

	dir, stats, _ := runCapture(t, captureOpts(env))
	if n := env.Moto.Counts()["account:POST /getRegionOptStatus"]; n != 2 {
		t.Errorf("%d GetRegionOptStatus calls, want 2 (source and destination account, me-central-1 only)", n)
	}
	if stats.APICalls["account"] != 2 {
		t.Errorf("APICalls = %v, want account: 2", stats.APICalls)
	}
	t.Logf("warnings: %q", stats.Warnings)
	var warned bool
	for _, w := range stats.Warnings {
		warned = warned || strings.Contains(w, "get-region-opt-status") && strings.Contains(w, "account:GetRegionOptStatus")
	}
	if !warned {
		t.Errorf("no warning naming account:GetRegionOptStatus for the denied read: %q", stats.Warnings)
	}
	snap, err := collect.LoadDir(context.Background(), dir, collect.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if r := snap.Registry(optIn).RegionOptStatus; !r.OK() || r.Value.RegionOptStatus != "DISABLED" || r.Value.RegionName != "me-central-1" {
		t.Errorf("destination opt-in status = %+v", r)
	}
	rep, err := diagnose.Analyze(snap)
	if err != nil {
		t.Fatal(err)
	}
	var found []string
	for _, f := range rep.Findings {
		if f.Code == diagnose.CodeRegionNotEnabled {
			found = append(found, f.Destination.String()+": "+f.Summary)
		}
	}
	if len(found) != 1 || !strings.HasPrefix(found[0], optIn.String()+":") || !strings.Contains(found[0], "destination account "+dst+" (DISABLED)") || strings.Contains(found[0], src) {
		t.Errorf("REGION_NOT_ENABLED findings = %q; want one, for %s, naming the destination account only (the source's status was not read)", found, optIn)
	}
}
