package diagnose_test

import (
	"strings"
	"testing"

	"github.com/ecrdoctor/ecrdoctor/diagnose"
)

// TestReDriveIsABackfill: wherever ecrdoctor used to say "push again", it
// prints the StartReplicationBackfill command for that destination, run with
// the source credentials, and, when a policy or filter must change first,
// after that change, saying why (the user guide's replication backfill
// page: a backfill fails once 50% of at least 100 replications fail).
func TestReDriveIsABackfill(t *testing.T) {
	cmd := func(dst string) string {
		acct, region, _ := strings.Cut(dst, "/")
		return "aws ecr start-replication-backfill --region ap-northeast-1 --destination region=" + region + ",registryId=" + acct
	}
	cases := []struct {
		fixture, code string
		backfill      []string
		afterFix      bool
	}{
		{"stale-failures", diagnose.CodeStaleFailures, []string{cmd("222222222222/ap-northeast-1")}, false},
		{"seed-grant-in-repository-policy", diagnose.CodeGrantInRepositoryPolicy, []string{cmd("222222222222/ap-northeast-1")}, true},
		{"filter-does-not-match", diagnose.CodeFilterDoesNotMatch, []string{cmd("222222222222/ap-northeast-1")}, true},
		{"multiple-faults", diagnose.CodeRegistryPolicyMissing, []string{cmd("333333333333/eu-west-1")}, true},
	}
	for _, tc := range cases {
		t.Run(tc.fixture, func(t *testing.T) {
			r := analyze(t, load(t, tc.fixture))
			var f *diagnose.Finding
			for i := range r.Findings {
				if r.Findings[i].Code == tc.code && r.Findings[i].Fix != nil && r.Findings[i].Fix.Backfill != "" {
					f = &r.Findings[i]
					break
				}
			}
			if f == nil {
				t.Fatalf("no %s finding with a backfill command; findings %v", tc.code, codes(r))
			}
			if got := strings.Split(f.Fix.Backfill, "\n"); strings.Join(got, "\n") != strings.Join(tc.backfill, "\n") {
				t.Errorf("backfill = %q, want %q", got, tc.backfill)
			}
			steps := strings.Join(f.Fix.Steps, "\n")
			if strings.Contains(steps, "push the affected images again") {
				t.Errorf("steps still say to push again instead of backfilling:\n%s", steps)
			}
			if !strings.Contains(steps, "source account 111111111111's credentials") || !strings.Contains(steps, "never starts one") {
				t.Errorf("steps do not say whose credentials run it, or that ecrdoctor does not:\n%s", steps)
			}
			order := strings.Contains(steps, "only once the change above is in place") && strings.Contains(steps, "50% or more") && strings.Contains(steps, "at least 100")
			if order != tc.afterFix {
				t.Errorf("steps say the backfill comes after the fix and why: %v, want %v:\n%s", order, tc.afterFix, steps)
			}
			last := f.Fix.Steps[len(f.Fix.Steps)-1]
			if tc.afterFix && !strings.Contains(last, "backfill") {
				t.Errorf("the backfill is not the last step: %q", last)
			}
		})
	}
}

// TestReDriveWaitsForARunningBackfill: a backfill to the destination is
// already running, so the backfill the fix proposes would fail with
// ReplicationBackfillInProgressException (one per destination region at a
// time, the StartReplicationBackfill API reference): the fix says so.
func TestReDriveWaitsForARunningBackfill(t *testing.T) {
	snap := load(t, "stale-failures")
	src := snap.Registry(snap.Source)
	src.Backfills = diagnose.Read[diagnose.ListReplicationBackfillsOutput]{State: diagnose.Collected, Source: diagnose.Source{Name: "test"},
		Value: diagnose.ListReplicationBackfillsOutput{Backfills: []diagnose.ReplicationBackfillSummary{{
			ReplicationBackfillID: "bf-1", Status: "IN_PROGRESS",
			Destination: diagnose.ReplicationDestination{Region: "ap-northeast-1", RegistryID: "222222222222"},
		}}}}
	r := analyze(t, snap)
	for _, f := range r.Findings {
		if f.Code != diagnose.CodeStaleFailures {
			continue
		}
		steps := strings.Join(f.Fix.Steps, "\n")
		if !strings.Contains(steps, "already IN_PROGRESS (bf-1)") || !strings.Contains(steps, "ReplicationBackfillInProgressException") {
			t.Errorf("the fix does not say a backfill is running:\n%s", steps)
		}
		return
	}
	t.Fatalf("no STALE_FAILURES: %v", codes(r))
}
