package diagnose_test

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	"github.com/ecrdoctor/ecrdoctor/diagnose"
	"github.com/ecrdoctor/ecrdoctor/diagnose/collect"
)

// twins are held-back healthy twins of fixtures: the same snapshot with the
// one fact that makes the fixture's finding turned the other way. Each must
// be healthy, without the fixture's code, so a check that fires on
// something else than its fact fails here.
var twins = []struct {
	twin, fixture, code string
}{
	{"delete-replication-disabled", "delete-replication-enabled", diagnose.CodeDeleteReplicationEnabled},
	// The backfill ran after the registry policy was put: COMPLETE.
	{"backfill-failed-repaired", "backfill-failed", diagnose.CodeBackfillFailed},
	{"backfill-complete", "backfill-in-progress", diagnose.CodeBackfillInProgress},
	{"cross-partition-same-partition", "cross-partition", diagnose.CodeCrossPartition},
	// The source's tags are immutable too: nothing re-pushed to conflict.
	{"tag-immutability-both", "tag-immutability-conflict", diagnose.CodeTagImmutabilityConflict},
	{"image-pushed-after-rule", "image-pushed-before-rule", diagnose.CodeImagePushedBeforeRule},
	// The template names the role ECR creates the encrypted repository as.
	{"kms-key-with-role", "kms-key-not-usable", diagnose.CodeKMSKeyNotUsable},
	// The template's prefix is ROOT: it covers my-repo.
	{"creation-template-root", "creation-template-not-applied", diagnose.CodeCreationTemplateNotApplied},
	// The registry policy allows replication: the cache beside it changes nothing.
	{"pull-through-cache-and-grant", "pull-through-cache-not-replication", diagnose.CodePullThroughCacheNotReplication},
	// The source account has enabled the opt-in region.
	{"region-enabled", "region-not-enabled", diagnose.CodeRegionNotEnabled},
	// 25 unique destinations: at the quota, not over it.
	{"destinations-at-quota", "too-many-destinations", diagnose.CodeReplicationTooManyDestinations},
	// The key policy is the default one: the account's IAM policies decide.
	{"kms-key-policy-allows", "kms-key-policy-denies", diagnose.CodeKMSKeyNotUsable},
	// The index's arm64 image replicated too.
	{"image-index-children-replicated", "image-index-child-not-replicated", diagnose.CodeIndexChildNotReplicated},
	{"replication-in-progress-recent", "replication-in-progress-long", diagnose.CodeReplicationInProgressLong},
}

func TestHealthyTwins(t *testing.T) {
	for _, tc := range twins {
		t.Run(tc.twin, func(t *testing.T) {
			fixture := analyze(t, load(t, tc.fixture))
			if !slices.Contains(codes(fixture), tc.code) {
				t.Fatalf("fixture %s: findings %v, want %s", tc.fixture, codes(fixture), tc.code)
			}
			snap, err := collect.LoadDir(context.Background(), filepath.Join("testdata", "twins", tc.twin), collect.LoadOptions{Repository: "my-repo"})
			if err != nil {
				t.Fatal(err)
			}
			r := analyze(t, snap)
			if slices.Contains(codes(r), tc.code) || r.Verdict != diagnose.Healthy {
				t.Errorf("twin %s: verdict %s, findings %v; want healthy without %s", tc.twin, r.Verdict, codes(r), tc.code)
			}
		})
	}
}
