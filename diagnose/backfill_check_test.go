package diagnose_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/ecrdoctor/ecrdoctor/diagnose"
)

// TestBackfillFailedSaysWhetherTheCauseRemains: the same failed backfill is
// a warning while the registry policy still denies replication (the root
// cause comes first), information once the policy allows it (it ran before
// the fix: start a new one), and a warning with the codes when the policy
// allows replication and the codes are not access denials (§10.1).
func TestBackfillFailedSaysWhetherTheCauseRemains(t *testing.T) {
	find := func(r *diagnose.Report, code string) *diagnose.Finding {
		for i := range r.Findings {
			if r.Findings[i].Code == code {
				return &r.Findings[i]
			}
		}
		return nil
	}
	// Still denied: the backfill-failed fixture.
	r := analyze(t, load(t, "backfill-failed"))
	f := find(r, diagnose.CodeBackfillFailed)
	if f == nil || f.Severity != diagnose.SeverityWarning || r.Findings[0].Code != diagnose.CodeRegistryPolicyMissing {
		t.Fatalf("denied: findings %v, want REGISTRY_POLICY_MISSING first and BACKFILL_FAILED as a warning", codes(r))
	}
	for _, want := range []string{"4f1d9c62-8a3e-4b7f-9c15-2e6a8d0b7f31", "106 of 212", "my-repo:1.3.0", "image index", "still does not allow", "1 image(s) of other repositories"} {
		if !strings.Contains(f.Summary+" "+f.Detail, want) {
			t.Errorf("denied: %q missing from %q", want, f.Summary+" "+f.Detail)
		}
	}
	if f.Fix == nil || f.Fix.Backfill != "" || !strings.Contains(strings.Join(f.Fix.Steps, " "), "root cause's fix above first") {
		t.Errorf("denied: the fix must send to the policy fix first, without a second backfill command: %+v", f.Fix)
	}
	if root := r.Findings[0].Fix; root == nil || root.Backfill == "" {
		t.Error("denied: the root cause's fix has no backfill after the policy")
	}

	// Policy fixed since: stale, information.
	snap := load(t, "backfill-failed")
	dst := diagnose.Location{Account: "222222222222", Region: "ap-northeast-1"}
	healthy := load(t, "healthy").Registry(dst)
	snap.Registry(dst).RegistryPolicy = healthy.RegistryPolicy
	snap.Events, snap.EventsCollected = nil, false
	src := snap.Registry(snap.Source)
	delete(src.ReplicationStatus, "my-repo")
	r = analyze(t, snap)
	f = find(r, diagnose.CodeBackfillFailed)
	if f == nil || f.Severity != diagnose.SeverityInfo || r.Verdict != diagnose.Healthy {
		t.Fatalf("fixed: verdict %s, findings %v; want healthy with BACKFILL_FAILED as information", r.Verdict, codes(r))
	}
	if f.Fix == nil || !strings.Contains(f.Fix.Backfill, "start-replication-backfill --region ap-northeast-1 --destination region=ap-northeast-1,registryId=222222222222") {
		t.Errorf("fixed: no new backfill command: %+v", f.Fix)
	}

	// Allowed, but the codes are something else.
	bf := &src.Backfills.Value.Backfills[0]
	bf.Progress.FailureCodes = []string{"KMS_KEY_ACCESS_DENIED_BY_KEY_POLICY", "IMAGE_TAG_IMMUTABLE"}
	res := src.BackfillResults[bf.ReplicationBackfillID]
	res.Value.Results = res.Value.Results[:1]
	res.Value.Results[0].FailureCode = "IMAGE_TAG_IMMUTABLE"
	src.BackfillResults[bf.ReplicationBackfillID] = res
	r = analyze(t, snap)
	f = find(r, diagnose.CodeBackfillFailed)
	if f == nil || f.Severity != diagnose.SeverityWarning || !strings.Contains(f.Detail, "another cause") || !strings.Contains(f.Detail, "IMAGE_TAG_IMMUTABLE") {
		t.Fatalf("other codes: findings %v, finding %+v", codes(r), f)
	}
	if r.Verdict != diagnose.Unknown {
		t.Errorf("other codes: verdict %s, want unknown: the images are not there and ecrdoctor does not judge why", r.Verdict)
	}
	// The repository's own result is named, the other repository is not.
	if !strings.Contains(f.Detail, "my-repo:latest (IMAGE_TAG_IMMUTABLE)") || strings.Contains(f.Detail, "other repositories") {
		t.Errorf("other codes: detail %q", f.Detail)
	}
	if slices.Contains(codes(r), diagnose.CodeBackfillInProgress) {
		t.Error("a finished backfill reported as in progress")
	}
}
