package diagnose_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ecrdoctor/ecrdoctor/diagnose"
	"github.com/ecrdoctor/ecrdoctor/diagnose/trail"
)

// TestDeniedByAnotherPolicyType: the registry policy allows replication, but
// CloudTrail names a resource control policy and nothing has succeeded
// since: that is not a stale failure. A success after the denials shows
// the RCP was changed: then they are stale.
func TestDeniedByAnotherPolicyType(t *testing.T) {
	snap := load(t, "stale-failures")
	var denials []trail.Event
	for _, e := range snap.Events {
		if e.Denial != nil {
			e.Denial = &trail.Denial{Kind: trail.KindExplicit, PolicyType: trail.PolicyRCP}
			denials = append(denials, e)
		}
	}
	withSuccesses := slices.Clone(snap.Events)
	for i := range withSuccesses {
		if withSuccesses[i].Denial != nil {
			withSuccesses[i].Denial = &trail.Denial{Kind: trail.KindExplicit, PolicyType: trail.PolicyRCP}
		}
	}
	snap.Events = denials
	r := analyze(t, snap)
	if got := codes(r); !slices.Equal(got, []string{diagnose.CodeReplicateImageDenied}) || r.Verdict != diagnose.Failing {
		t.Fatalf("findings = %v, verdict %s; want REPLICATE_IMAGE_DENIED, failing", got, r.Verdict)
	}
	if !strings.Contains(r.Findings[0].Summary, "resource control policy") {
		t.Errorf("summary does not name the policy type: %s", r.Findings[0].Summary)
	}

	snap.Events = withSuccesses // the fixture's later successful replications
	r = analyze(t, snap)
	// FAILED statuses remain: the images are missing until re-driven.
	if got := codes(r); !slices.Equal(got, []string{diagnose.CodeStaleFailures}) || r.Verdict != diagnose.Failing {
		t.Errorf("with successes after the RCP denials: findings = %v, verdict %s; want STALE_FAILURES, failing", got, r.Verdict)
	}
}

// TestUnreadableDestinationWithExplicitDeny: with the destination unknown and
// CloudTrail naming an explicit deny, no grant is proposed.
func TestUnreadableDestinationWithExplicitDeny(t *testing.T) {
	snap := load(t, "replicate-image-denied")
	for i := range snap.Events {
		if snap.Events[i].Denial != nil {
			snap.Events[i].Denial = &trail.Denial{Kind: trail.KindExplicit, PolicyType: trail.PolicyResource}
		}
	}
	r := analyze(t, snap)
	f := r.Findings[0]
	if f.Code != diagnose.CodeReplicateImageDenied || f.Fix == nil || f.Fix.RegistryPolicy != nil || f.Fix.Verified {
		t.Fatalf("finding %s with fix %+v; want REPLICATE_IMAGE_DENIED with steps only", f.Code, f.Fix)
	}
}

// TestSharedEventCountsOnce: the caller's and the owner's copy of one call
// (the same sharedEventID) are one failure, not two.
func TestSharedEventCountsOnce(t *testing.T) {
	snap := load(t, "seed-grant-in-repository-policy")
	before := analyze(t, snap).Events.Matched
	var copies []trail.Event
	for _, e := range snap.Events {
		if e.Repository == "my-repo" && e.SharedEventID != "" {
			c := e
			c.EventID += "-owner-copy"
			c.Account = "222222222222"
			copies = append(copies, c)
		}
	}
	if len(copies) == 0 {
		t.Fatal("the seed fixture's events carry no sharedEventID")
	}
	snap.Events = append(snap.Events, copies...)
	if got := analyze(t, snap).Events.Matched; got != before {
		t.Errorf("matched events = %d with the owner's copies added, want %d", got, before)
	}
}

// TestUncertainConditionWithoutFailures: a grant that depends on
// aws:PrincipalOrgID, with nothing failed, is reported as unknown with steps
// to check the organization, and no policy that drops the condition is
// proposed.
func TestUncertainConditionWithoutFailures(t *testing.T) {
	r := analyze(t, load(t, "condition-unknown"))
	if r.Verdict != diagnose.Unknown || len(r.Findings) != 1 || r.Findings[0].Code != diagnose.CodeConditionNotSatisfied {
		t.Fatalf("verdict %s, findings %v; want unknown with CONDITION_NOT_SATISFIED", r.Verdict, codes(r))
	}
	f := r.Findings[0]
	if f.Fix == nil || f.Fix.RegistryPolicy != nil || f.Fix.Verified || f.Fix.AWSCLI != "" {
		t.Fatalf("fix %+v; want steps only", f.Fix)
	}
	if steps := strings.Join(f.Fix.Steps, " "); !strings.Contains(steps, "aws organizations describe-account --account-id 111111111111") {
		t.Errorf("steps do not say how to check the organization: %s", steps)
	}
}

// TestUncertainConditionThatHolds: the same condition on the healthy
// fixture, whose CloudTrail shows successful replications: the condition
// holds, and the destination is healthy.
func TestUncertainConditionThatHolds(t *testing.T) {
	snap := load(t, "healthy")
	dst := diagnose.Location{Account: "222222222222", Region: "ap-northeast-1"}
	rp := &snap.Registries[dst].RegistryPolicy
	rp.Value.PolicyText = strings.Replace(rp.Value.PolicyText, `"Effect": "Allow",`, `"Effect": "Allow", "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}},`, 1)
	if !strings.Contains(rp.Value.PolicyText, "PrincipalOrgID") {
		t.Fatalf("the healthy fixture's policy changed shape: %s", rp.Value.PolicyText)
	}
	r := analyze(t, snap)
	if r.Verdict != diagnose.Healthy || len(r.Findings) != 0 {
		t.Fatalf("verdict %s, findings %v; want healthy", r.Verdict, codes(r))
	}
	if note := r.Destinations[0].Note; !strings.Contains(note, "if aws:PrincipalOrgID matches, and it does: CloudTrail records 3 successful replication call(s)") {
		t.Errorf("note %q does not say why the condition holds", note)
	}

	// The newest call denied: the condition does not hold.
	newest := -1
	for i, e := range snap.Events {
		if e.EventName == "ReplicateImage" && (newest < 0 || e.Time.After(snap.Events[newest].Time)) {
			newest = i
		}
	}
	snap.Events[newest].ErrorCode = "AccessDenied"
	snap.Events[newest].Denial = &trail.Denial{Kind: trail.KindImplicit, PolicyType: trail.PolicyResource}
	if r := analyze(t, snap); r.Verdict != diagnose.Failing {
		t.Errorf("with the newest call denied: verdict %s, findings %v; want failing", r.Verdict, codes(r))
	}
}

// TestUnreadableDestinationDeniedByAnSCP: the words agree with the fix. An
// SCP is not "the destination's policy", no grant is proposed, and older
// denials of another kind are named even when the newest is implicit.
func TestUnreadableDestinationDeniedByAnSCP(t *testing.T) {
	snap := load(t, "replicate-image-denied")
	var denied []int
	for i := range snap.Events {
		if snap.Events[i].Denial != nil {
			denied = append(denied, i)
			snap.Events[i].Denial = &trail.Denial{Kind: trail.KindExplicit, PolicyType: trail.PolicySCP}
		}
	}
	f := analyze(t, snap).Findings[0]
	if f.Code != diagnose.CodeReplicateImageDenied || !strings.Contains(f.Summary, "explicit Deny in a service control policy") ||
		strings.Contains(f.Summary, "destination's") || strings.Contains(f.Detail, "proposes the standard fix") {
		t.Errorf("%s: %s / %s", f.Code, f.Summary, f.Detail)
	}
	if len(denied) < 2 {
		t.Fatalf("the fixture has %d denials; the test needs two", len(denied))
	}
	// The newest denial implicit, the older ones still the SCP.
	newest := denied[0]
	for _, i := range denied {
		if snap.Events[i].Time.After(snap.Events[newest].Time) {
			newest = i
		}
	}
	snap.Events[newest].Denial = &trail.Denial{Kind: trail.KindImplicit, PolicyType: trail.PolicyResource}
	f = analyze(t, snap).Findings[0]
	if want := "Older denials name other causes too: an explicit deny in a service control policy"; !strings.Contains(f.Detail, want) {
		t.Errorf("detail does not say %q: %s", want, f.Detail)
	}
}

// TestHealthyByPolicyAloneSaysSo: with no replication status and no
// CloudTrail event, a destination whose policy allows replication is
// healthy, and its note says nothing confirms it.
func TestHealthyByPolicyAloneSaysSo(t *testing.T) {
	snap := load(t, "healthy")
	snap.Events = nil
	for _, reg := range snap.Registries {
		clear(reg.ReplicationStatus)
	}
	r := analyze(t, snap)
	if r.Verdict != diagnose.Healthy {
		t.Fatalf("verdict %s, findings %v", r.Verdict, codes(r))
	}
	if note := r.Destinations[0].Note; !strings.Contains(note, "No COMPLETE replication status or successful call in CloudTrail confirms it yet.") {
		t.Errorf("note %q does not say nothing confirms it", note)
	}
	if note := analyze(t, load(t, "healthy")).Destinations[0].Note; strings.Contains(note, "confirms it yet") {
		t.Errorf("with evidence, the note still says nothing confirms it: %q", note)
	}
}

// TestNewestCallFailedWithKMS: a KMS failure, even one worded as an access
// denial on kms:GenerateDataKey, is no ECR denial; when it is the newest
// call, the destination is not called healthy.
func TestNewestCallFailedWithKMS(t *testing.T) {
	snap := load(t, "healthy")
	newest := -1
	for i, e := range snap.Events {
		if e.EventName == "ReplicateImage" && (newest < 0 || e.Time.After(snap.Events[newest].Time)) {
			newest = i
		}
	}
	kms := snap.Events[newest]
	kms.EventID, kms.SharedEventID = "kms-1", ""
	kms.Time = kms.Time.Add(time.Minute)
	kms.ErrorCode = "KmsException"
	kms.ErrorMessage = "User: " + kms.Caller + " is not authorized to perform: kms:GenerateDataKey on resource: arn:aws:kms:ap-northeast-1:222222222222:key/1 because no resource-based policy allows the kms:GenerateDataKey action"
	kms.Denial = &trail.Denial{Kind: trail.KindImplicit, PolicyType: trail.PolicyResource}
	snap.Events = append(snap.Events, kms)
	r := analyze(t, snap)
	if r.Verdict != diagnose.Unknown || len(r.Findings) != 0 {
		t.Fatalf("verdict %s, findings %v; want unknown and no ECR finding", r.Verdict, codes(r))
	}
	if w := strings.Join(r.Warnings, "\n"); !strings.Contains(w, "1 replication call(s) failed with KmsException on kms:GenerateDataKey, which is not an ECR access denial") {
		t.Errorf("warnings: %s", w)
	}
}

// TestDestinationCopyWithoutARN: the destination account's copy of a
// successful call may name the source account and the replication service
// but no ARN; it still counts, and the same shape from another account
// does not.
func TestDestinationCopyWithoutARN(t *testing.T) {
	dst := trail.Location{Account: "222222222222", Region: "ap-northeast-1"}
	at := time.Date(2026, 11, 26, 1, 0, 0, 0, time.UTC)
	denied := trail.Event{EventID: "d1", Time: at, Account: "111111111111", Region: dst.Region, EventName: "ReplicateImage",
		Caller: "arn:aws:sts::111111111111:assumed-role/AWSServiceRoleForECRReplication/ECRReplication", CallerType: "AssumedRole", CallerAccount: "111111111111",
		ErrorCode: "AccessDenied", ErrorMessage: "… is not authorized to perform: ecr:ReplicateImage …", Repository: "my-repo", Destination: dst,
		Denial: &trail.Denial{Kind: trail.KindImplicit, PolicyType: trail.PolicyResource}}
	copyOK := trail.Event{EventID: "s1", Time: at.Add(time.Hour), Account: "222222222222", Region: dst.Region, EventName: "ReplicateImage",
		Caller: "replication.ecr.amazonaws.com", CallerType: "AWSAccount", CallerAccount: "111111111111", Repository: "my-repo", Destination: dst}
	for _, tc := range []struct {
		name    string
		account string
		want    diagnose.Verdict
	}{{"the source's", "111111111111", diagnose.Unknown}, {"another account's", "999999999999", diagnose.Failing}} {
		snap := load(t, "condition-unknown")
		ok := copyOK
		ok.CallerAccount = tc.account
		snap.Events, snap.EventsCollected = []trail.Event{denied, ok}, true
		if r := analyze(t, snap); r.Verdict != tc.want {
			t.Errorf("with %s success after the denial: verdict %s (%v), want %s", tc.name, r.Verdict, codes(r), tc.want)
		}
	}
}

// TestUncertainConditionThatFails: with recorded denials, the condition on
// aws:PrincipalOrgID does not hold; the grant is proposed, and its first step
// says that it bypasses the condition and what to do instead.
func TestUncertainConditionThatFails(t *testing.T) {
	snap := load(t, "condition-unknown")
	seed := load(t, "seed-grant-in-repository-policy")
	snap.Events, snap.EventsCollected = seed.Events, true
	r := analyze(t, snap)
	f := r.Findings[0]
	if r.Verdict != diagnose.Failing || f.Code != diagnose.CodeConditionNotSatisfied || !strings.Contains(f.Summary, "the recorded failures show that it does not") {
		t.Fatalf("verdict %s, %s: %s", r.Verdict, f.Code, f.Summary)
	}
	if f.Fix == nil || f.Fix.RegistryPolicy == nil || !strings.HasPrefix(f.Fix.Steps[0], "The proposed statement has no condition on aws:PrincipalOrgID") {
		t.Errorf("fix %+v", f.Fix)
	}
}

// TestLeftoverRepositoryGrantIsMentioned: the seed case with its fix
// applied is healthy, and the note says the repository policy's grant is
// still there and can go.
func TestLeftoverRepositoryGrantIsMentioned(t *testing.T) {
	snap := load(t, "seed-grant-in-repository-policy")
	r := analyze(t, snap)
	var fix *diagnose.Fix
	var dst diagnose.Location
	for _, f := range r.Findings {
		if f.Fix != nil && f.Fix.RegistryPolicy != nil {
			fix, dst = f.Fix, *f.Destination
			break
		}
	}
	if fix == nil {
		t.Fatalf("no policy fix in %v", codes(r))
	}
	snap.Registries[dst].RegistryPolicy = diagnose.Read[diagnose.PolicyOutput]{State: diagnose.Collected, Source: diagnose.Source{Name: "fix"},
		Value: diagnose.PolicyOutput{RegistryID: dst.Account, PolicyText: string(fix.RegistryPolicy)}}
	// The failed images re-driven too: the destination is healthy.
	snap.Events = nil
	snap.Registries[snap.Source].ReplicationStatus = map[string]map[string]diagnose.Read[diagnose.ReplicationStatusOutput]{}
	again := analyze(t, snap)
	for _, d := range again.Destinations {
		if d.Account == dst.Account && d.Region == dst.Region && !strings.Contains(d.Note, `The repository policy of my-repo still grants it too (statement "ReplicationAccessCrossAccount")`) {
			t.Errorf("note %q does not mention the leftover grant", d.Note)
		}
	}
}

// TestStaleFailuresStillMissing: images whose replication status is still
// FAILED are missing in the destination until re-driven, so STALE_FAILURES is
// an error there and names them (issue 9 item 12); with only old denials and
// no status, ecrdoctor cannot tell, and says so in a warning.
func TestStaleFailuresStillMissing(t *testing.T) {
	snap := load(t, "stale-failures")
	r := analyze(t, snap)
	if got := codes(r); !slices.Equal(got, []string{diagnose.CodeStaleFailures}) {
		t.Fatalf("findings = %v, want STALE_FAILURES", got)
	}
	f := r.Findings[0]
	if f.Severity != diagnose.SeverityError || r.Verdict != diagnose.Failing || !r.HasErrors() {
		t.Errorf("severity %s, verdict %s; want error, failing", f.Severity, r.Verdict)
	}
	if !strings.Contains(f.Summary, "now allows replication") || !strings.Contains(f.Summary, "1.4.0") || !strings.Contains(f.Summary, "still missing") {
		t.Errorf("summary does not name the missing images: %s", f.Summary)
	}

	src := snap.Registries[snap.Source]
	src.ReplicationStatus = map[string]map[string]diagnose.Read[diagnose.ReplicationStatusOutput]{}
	r = analyze(t, snap)
	if got := codes(r); !slices.Equal(got, []string{diagnose.CodeStaleFailures}) {
		t.Fatalf("without statuses: findings = %v, want STALE_FAILURES", got)
	}
	f = r.Findings[0]
	if f.Severity != diagnose.SeverityWarning || r.Verdict != diagnose.Unknown || !strings.Contains(f.Summary, "cannot tell") {
		t.Errorf("without statuses: severity %s, verdict %s, summary %q; want a warning that says it cannot tell", f.Severity, r.Verdict, f.Summary)
	}
}
