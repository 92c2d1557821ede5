package collect_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"

	"github.com/ecrdoctor/ecrdoctor/diagnose"
	"github.com/ecrdoctor/ecrdoctor/diagnose/collect"
	"github.com/ecrdoctor/ecrdoctor/diagnose/collect/awstest"
)

// TestCaptureDeletions: where a rule replicates deletions, the source
// repository's lifecycle policy (moto) and its BatchDeleteImage calls in
// CloudTrail (the stand-in) are read, and the diagnosis says that they
// explain an image gone from the destination. Where no rule does, neither
// is read (the seed case's file list has neither).
func TestCaptureDeletions(t *testing.T) {
	t.Parallel()
	env := awstest.New(t)
	now := time.Now()
	s := seedScenario(now, 0)
	s.Rules[0].DeleteReplication = true
	s.Destinations[crossAcctDest] = awstest.Destination{RepositoryExists: true, RegistryPolicy: awstest.ReplicationGrant(src, dst, srcReg, "my-")}
	s.Events = append(s.Events, awstest.Event{ID: "evt-delete", Name: "BatchDeleteImage", Time: now.Add(-3 * time.Hour), Account: src, Region: srcReg,
		SourceAccount: src, DestAccount: src, DestRegion: srcReg, Repository: repo, Caller: "arn:aws:sts::" + src + ":assumed-role/Developer/alice"})
	env.Build(s)
	policy := `{"rules":[{"rulePriority":1,"selection":{"tagStatus":"untagged","countType":"sinceImagePushed","countUnit":"days","countNumber":14},"action":{"type":"expire"}}]}`
	if _, err := env.Admin(src, srcReg).PutLifecyclePolicy(context.Background(), &ecr.PutLifecyclePolicyInput{RepositoryName: aws.String(repo), LifecyclePolicyText: aws.String(policy)}); err != nil {
		t.Fatal(err)
	}
	env.Moto.ResetCounts()

	dir, stats, _ := runCapture(t, captureOpts(env))
	if n := env.Moto.Counts()["ecr:GetLifecyclePolicy"]; n != 1 {
		t.Errorf("%d GetLifecyclePolicy calls, want 1", n)
	}
	snap, err := collect.LoadDir(context.Background(), dir, collect.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	reg := snap.Registry(diagnose.Location{Account: src, Region: srcReg})
	if lp := reg.LifecyclePolicies[repo]; !lp.OK() || !strings.Contains(lp.Value.LifecyclePolicyText, "sinceImagePushed") {
		t.Errorf("lifecycle policy = %+v (warnings %q)", lp, stats.Warnings)
	}
	if d := reg.Deletes; !d.OK() || len(d.Value.Events) != 1 || !strings.HasSuffix(d.Value.Events[0].Caller, "/Developer/alice") {
		t.Errorf("deletions = %+v", d)
	}
	rep, err := diagnose.Analyze(snap)
	if err != nil {
		t.Fatal(err)
	}
	var summary string
	for _, f := range rep.Findings {
		if f.Code == diagnose.CodeDeleteReplicationEnabled {
			summary = f.Summary
		}
	}
	for _, want := range []string{"expire untagged images pushed more than 14 days ago", "1 BatchDeleteImage call(s)", "Developer/alice"} {
		if !strings.Contains(summary, want) {
			t.Errorf("DELETE_REPLICATION_ENABLED summary %q lacks %q", summary, want)
		}
	}
}
