package collect_test

import (
	"context"
	"testing"
	"time"

	"github.com/ecrdoctor/ecrdoctor/diagnose"
	"github.com/ecrdoctor/ecrdoctor/diagnose/collect"
	"github.com/ecrdoctor/ecrdoctor/diagnose/collect/awstest"
)

// TestCaptureRulePuts: an image older than replication takes with no
// status for a destination makes capture read when the rules were written
// (PutReplicationConfiguration in the source's CloudTrail, 90 days back);
// the seed case, whose images all have a status, does not (its file list).
func TestCaptureRulePuts(t *testing.T) {
	t.Parallel()
	env := awstest.New(t)
	now := time.Now().Add(2 * time.Hour) // the image is two hours old
	s := seedScenario(now, 0)
	s.Status = []map[string]string{{"region": "us-west-1", "registryId": src, "status": "COMPLETE"}} // none for dst
	s.Events = append(s.Events, awstest.Event{ID: "evt-put", Name: "PutReplicationConfiguration", Time: now.Add(-60 * 24 * time.Hour), Account: src, Region: srcReg,
		SourceAccount: src, DestAccount: src, DestRegion: srcReg, Caller: "arn:aws:sts::" + src + ":assumed-role/PlatformDeploy/terraform"})
	env.Build(s)
	opts := captureOpts(env)
	opts.Now = now
	dir, stats, _ := runCapture(t, opts)
	snap, err := collect.LoadDir(context.Background(), dir, collect.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	puts := snap.Registry(diagnose.Location{Account: src, Region: srcReg}).RulePuts
	if !puts.OK() || len(puts.Value.Events) != 1 || puts.Value.Events[0].EventID != "evt-put" {
		t.Errorf("PutReplicationConfiguration calls = %+v (warnings %q); want the one 60 days back", puts, stats.Warnings)
	}
}
