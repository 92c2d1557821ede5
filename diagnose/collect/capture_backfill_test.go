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

// TestCaptureBackfills: the source registry's replication backfills are
// listed (one call), and the failed results of the newest backfill to a
// destination of the repository that ended with failures are read, with
// the failure codes of an image index's children (moto has no backfill: the
// harness's stand-in serves it).
func TestCaptureBackfills(t *testing.T) {
	t.Parallel()
	env := awstest.New(t)
	now := time.Now()
	env.Build(seedScenario(now, 0))
	day := float64(now.Add(-24 * time.Hour).Unix())
	env.Moto.Backfills = awstest.BackfillStandIn{
		List: []map[string]any{
			{"replicationBackfillId": "bf-old", "destination": map[string]string{"region": srcReg, "registryId": dst}, "status": "COMPLETE", "startedAt": day - 3600, "endedAt": day - 1800,
				"progress": map[string]any{"totalReplicationCount": 3, "completedReplicationCount": 3, "failedReplicationCount": 0, "failureCodes": []string{}}},
			{"replicationBackfillId": "bf-failed", "destination": map[string]string{"region": srcReg, "registryId": dst}, "status": "FAILED", "failureCode": "FAILURE_THRESHOLD_EXCEEDED", "startedAt": day, "endedAt": day + 600,
				"progress": map[string]any{"totalReplicationCount": 240, "completedReplicationCount": 0, "failedReplicationCount": 120, "failureCodes": []string{"DESTINATION_REGISTRY_ACCESS_DENIED"}}},
			{"replicationBackfillId": "bf-running", "destination": map[string]string{"region": "us-west-1", "registryId": src}, "status": "IN_PROGRESS", "startedAt": day,
				"progress": map[string]any{"totalReplicationCount": 10, "completedReplicationCount": 4, "failedReplicationCount": 0, "failureCodes": []string{}}},
			{"replicationBackfillId": "bf-elsewhere", "destination": map[string]string{"region": "eu-west-1", "registryId": "444444444444"}, "status": "FAILED", "startedAt": day},
		},
		Results: map[string]map[string]any{
			"bf-failed": {"replicationBackfillId": "bf-failed", "destination": map[string]string{"region": srcReg, "registryId": dst}, "status": "FAILED",
				"results": []map[string]any{
					{"repositoryName": repo, "imageId": map[string]string{"imageTag": "v1", "imageDigest": "sha256:" + strings.Repeat("a", 64)}, "status": "FAILED", "failureCode": "DESTINATION_REGISTRY_ACCESS_DENIED"},
					{"repositoryName": repo, "imageId": map[string]string{"imageTag": "multi", "imageDigest": "sha256:" + strings.Repeat("b", 64)}, "status": "FAILED", "failureCode": "DESTINATION_REGISTRY_ACCESS_DENIED", "subImageFailureCodes": []string{"DESTINATION_REGISTRY_ACCESS_DENIED"}},
					{"repositoryName": repo, "imageId": map[string]string{"imageTag": "ok"}, "status": "COMPLETE"},
				}},
		},
	}
	dir, stats, _ := runCapture(t, captureOpts(env))
	t.Logf("warnings %q, calls %v", stats.Warnings, stats.APICalls)
	if got := env.Moto.Counts(); got["ecr:ListReplicationBackfills"] != 1 || got["ecr:DescribeReplicationBackfillResults"] != 1 {
		t.Errorf("backfill calls = %d list, %d describe; want 1 and 1 (only the newest backfill to a destination of %s with failures)", got["ecr:ListReplicationBackfills"], got["ecr:DescribeReplicationBackfillResults"], repo)
	}
	for _, name := range []string{"bf-old", "bf-running", "bf-elsewhere"} {
		if ok, failed := exists(dir, src, srcReg, collect.BackfillResultsName(name)); ok || failed {
			t.Errorf("results of %s were read", name)
		}
	}
	snap, err := collect.LoadDir(context.Background(), dir, collect.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	reg := snap.Registry(diagnose.Location{Account: src, Region: srcReg})
	if !reg.Backfills.OK() || len(reg.Backfills.Value.Backfills) != 4 {
		t.Fatalf("backfills = %+v", reg.Backfills)
	}
	if p := reg.Backfills.Value.Backfills[1].Progress; p == nil || p.FailedReplicationCount != 120 || p.TotalReplicationCount != 240 || reg.Backfills.Value.Backfills[1].StartedAt == nil {
		t.Errorf("progress or times lost: %+v", reg.Backfills.Value.Backfills[1])
	}
	res := reg.BackfillResults["bf-failed"]
	if !res.OK() || len(res.Value.Results) != 2 {
		t.Fatalf("bf-failed results = %+v, want the two FAILED ones", res)
	}
	if r := res.Value.Results[1]; r.ImageID.ImageTag != "multi" || len(r.SubImageFailureCodes) != 1 || r.FailureCode != "DESTINATION_REGISTRY_ACCESS_DENIED" {
		t.Errorf("image index result = %+v, want its subImageFailureCodes", r)
	}
	if len(stats.Warnings) != 0 {
		t.Errorf("warnings: %q", stats.Warnings)
	}
}

// TestCaptureBackfillsDenied: a refused backfill read is stored and named
// with the permission it needs; it is not "no backfills".
func TestCaptureBackfillsDenied(t *testing.T) {
	t.Parallel()
	env := awstest.New(t)
	env.Build(seedScenario(time.Now(), 0))
	env.Moto.Backfills = awstest.BackfillStandIn{Deny: true}
	dir, stats, _ := runCapture(t, captureOpts(env))
	if c := errorCode(t, dir, src, srcReg, collect.ListBackfillsFile); c != "AccessDeniedException" {
		t.Errorf("list-replication-backfills error = %q", c)
	}
	if w := strings.Join(stats.Warnings, "\n"); !strings.Contains(w, "ecr:ListReplicationBackfills") {
		t.Errorf("warnings do not name ecr:ListReplicationBackfills: %q", stats.Warnings)
	}
	snap, err := collect.LoadDir(context.Background(), dir, collect.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if r := snap.Registry(diagnose.Location{Account: src, Region: srcReg}).Backfills; r.State != diagnose.Failed {
		t.Errorf("backfills read state = %d, want Failed", r.State)
	}
}
