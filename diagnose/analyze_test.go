package diagnose_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ecrdoctor/ecrdoctor/diagnose"
	"github.com/ecrdoctor/ecrdoctor/diagnose/collect"
	"github.com/ecrdoctor/ecrdoctor/diagnose/policy"
	"github.com/ecrdoctor/ecrdoctor/diagnose/trail"
)

func load(t testing.TB, fixture string) *diagnose.Snapshot {
	t.Helper()
	snap, err := collect.LoadDir(context.Background(), filepath.Join("..", "fixtures", fixture), collect.LoadOptions{Repository: "my-repo"})
	if err != nil {
		t.Fatalf("loading fixture %s: %v", fixture, err)
	}
	return snap
}

func analyze(t testing.TB, snap *diagnose.Snapshot) *diagnose.Report {
	t.Helper()
	r, err := diagnose.Analyze(snap)
	if err != nil {
		t.Fatalf("Analyze: %v", err)
	}
	return r
}

func codes(r *diagnose.Report) []string {
	var out []string
	for _, f := range r.Findings {
		out = append(out, f.Code)
	}
	return out
}

// TestFixtures checks the root cause, the verdicts and the exit-relevant
// severities an on-call engineer sees for every shipped scenario.
func TestFixtures(t *testing.T) {
	cases := []struct {
		fixture string
		codes   []string          // findings, in order
		verdict diagnose.Verdict  // overall
		dests   map[string]string // "account/region" -> verdict
	}{
		{"seed-grant-in-repository-policy", []string{"GRANT_IN_REPOSITORY_POLICY", "REGISTRY_POLICY_MISSING"}, diagnose.Failing,
			map[string]string{"111111111111/us-west-1": "healthy", "222222222222/ap-northeast-1": "failing"}},
		{"hand-made", []string{"GRANT_IN_REPOSITORY_POLICY", "REGISTRY_POLICY_MISSING"}, diagnose.Failing,
			map[string]string{"111111111111/us-west-1": "healthy", "222222222222/ap-northeast-1": "failing"}},
		{"healthy", nil, diagnose.Healthy, map[string]string{"222222222222/ap-northeast-1": "healthy"}},
		{"replication-not-configured", []string{"REPLICATION_NOT_CONFIGURED"}, diagnose.Failing, map[string]string{}},
		{"filter-does-not-match", []string{"FILTER_DOES_NOT_MATCH"}, diagnose.Failing, map[string]string{}},
		{"destination-is-source", []string{"DESTINATION_IS_SOURCE"}, diagnose.Failing, map[string]string{"111111111111/ap-northeast-1": "failing"}},
		{"registry-policy-missing", []string{"REGISTRY_POLICY_MISSING"}, diagnose.Failing, map[string]string{"222222222222/ap-northeast-1": "failing"}},
		{"registry-policy-in-other-region", []string{"REGISTRY_POLICY_IN_OTHER_REGION", "REGISTRY_POLICY_MISSING"}, diagnose.Failing, map[string]string{"222222222222/ap-northeast-1": "failing"}},
		{"principal-mismatch", []string{"PRINCIPAL_MISMATCH"}, diagnose.Failing, map[string]string{"222222222222/ap-northeast-1": "failing"}},
		{"resource-mismatch", []string{"RESOURCE_MISMATCH"}, diagnose.Failing, map[string]string{"222222222222/ap-northeast-1": "failing"}},
		{"action-not-granted", []string{"ACTION_NOT_GRANTED"}, diagnose.Failing, map[string]string{"222222222222/ap-northeast-1": "failing"}},
		{"create-repository-not-allowed", []string{"CREATE_REPOSITORY_NOT_ALLOWED"}, diagnose.Failing, map[string]string{"222222222222/ap-northeast-1": "failing"}},
		{"explicit-deny", []string{"EXPLICIT_DENY"}, diagnose.Failing, map[string]string{"222222222222/ap-northeast-1": "failing"}},
		{"condition-not-satisfied", []string{"CONDITION_NOT_SATISFIED"}, diagnose.Failing, map[string]string{"222222222222/ap-northeast-1": "failing"}},
		{"condition-unknown", []string{"CONDITION_NOT_SATISFIED"}, diagnose.Unknown, map[string]string{"222222222222/ap-northeast-1": "unknown"}},
		{"destination-unreadable", []string{"DESTINATION_UNREADABLE"}, diagnose.Unknown, map[string]string{"222222222222/ap-northeast-1": "unknown"}},
		{"replicate-image-denied", []string{"REPLICATE_IMAGE_DENIED", "DESTINATION_UNREADABLE"}, diagnose.Failing, map[string]string{"222222222222/ap-northeast-1": "failing"}},
		{"stale-failures", []string{"STALE_FAILURES"}, diagnose.Healthy, map[string]string{"222222222222/ap-northeast-1": "healthy"}},
		{"delete-replication-enabled", []string{"DELETE_REPLICATION_ENABLED"}, diagnose.Healthy, map[string]string{"222222222222/ap-northeast-1": "healthy"}},
		{"multiple-faults", []string{"RESOURCE_MISMATCH", "REGISTRY_POLICY_MISSING", "CREATE_REPOSITORY_NOT_ALLOWED"}, diagnose.Failing,
			map[string]string{"111111111111/us-west-1": "healthy", "222222222222/ap-northeast-1": "failing", "333333333333/eu-west-1": "failing"}},
	}
	for _, tc := range cases {
		t.Run(tc.fixture, func(t *testing.T) {
			r := analyze(t, load(t, tc.fixture))
			if got := codes(r); !slices.Equal(got, tc.codes) {
				t.Errorf("findings = %v, want %v", got, tc.codes)
			}
			if r.Verdict != tc.verdict {
				t.Errorf("verdict = %s, want %s", r.Verdict, tc.verdict)
			}
			got := map[string]string{}
			for _, d := range r.Destinations {
				got[d.Account+"/"+d.Region] = string(d.Verdict)
			}
			if len(got) != len(tc.dests) {
				t.Errorf("destinations = %v, want %v", got, tc.dests)
			}
			for k, v := range tc.dests {
				if got[k] != v {
					t.Errorf("destination %s verdict = %q, want %q", k, got[k], v)
				}
			}
			wantErr := tc.verdict == diagnose.Failing
			if r.HasErrors() != wantErr {
				t.Errorf("HasErrors = %v, want %v (exit code 1 only for failing)", r.HasErrors(), wantErr)
			}
			for _, f := range r.Findings {
				if f.Summary == "" || f.Detail == "" {
					t.Errorf("%s: empty summary or detail", f.Code)
				}
				if f.Severity == diagnose.SeverityError && f.Destination != nil && len(f.Evidence) == 0 {
					t.Errorf("%s: an error finding without evidence", f.Code)
				}
			}
		})
	}
}

// TestSeedCaseEvidence checks what the seed case's report must prove: the
// misplaced statement, the CloudTrail denial and the missing registry policy.
func TestSeedCaseEvidence(t *testing.T) {
	r := analyze(t, load(t, "seed-grant-in-repository-policy"))
	root := r.Findings[0]
	if root.Destination == nil || *root.Destination != (diagnose.Location{Account: "222222222222", Region: "ap-northeast-1"}) {
		t.Fatalf("root cause destination = %v", root.Destination)
	}
	kinds := map[string]string{}
	for _, e := range root.Evidence {
		if _, seen := kinds[e.Kind]; !seen {
			kinds[e.Kind] = e.Text
		}
	}
	if !strings.Contains(kinds[diagnose.EvidenceRepositoryPolicy], "ecr:ReplicateImage") {
		t.Errorf("repository policy evidence does not quote the grant: %q", kinds[diagnose.EvidenceRepositoryPolicy])
	}
	if !strings.Contains(kinds[diagnose.EvidenceCloudTrailEvent], "no resource-based policy allows the ecr:ReplicateImage action") {
		t.Errorf("CloudTrail evidence does not quote the denial: %q", kinds[diagnose.EvidenceCloudTrailEvent])
	}
	if root.Fix == nil || !root.Fix.Verified || root.Fix.RegistryPolicy == nil {
		t.Fatalf("root cause has no verified fix: %+v", root.Fix)
	}
	steps := strings.Join(root.Fix.Steps, "\n")
	if !strings.Contains(steps, "delete-repository-policy") && !strings.Contains(steps, "set-repository-policy") {
		t.Errorf("fix does not say how to remove the misplaced grant:\n%s", steps)
	}
	if !strings.Contains(root.Fix.AWSCLI, "put-registry-policy --region ap-northeast-1") {
		t.Errorf("aws command = %q", root.Fix.AWSCLI)
	}
	if !strings.Contains(root.Fix.Terraform, `resource "aws_ecr_registry_policy"`) {
		t.Errorf("terraform = %q", root.Fix.Terraform)
	}
	if r.Events.Matched != 3 {
		t.Errorf("events matched = %d, want the 3 denials of my-repo (not the near-miss)", r.Events.Matched)
	}
}

// TestFixRepairsEveryFixture applies each verified fix to the snapshot, as a
// user would with put-registry-policy, and diagnoses again: the destination
// must come out healthy, or with STALE_FAILURES only.
func TestFixRepairsEveryFixture(t *testing.T) {
	fixtures, _ := filepath.Glob(filepath.Join("..", "fixtures", "*", ""))
	applied := 0
	for _, dir := range fixtures {
		name := filepath.Base(dir)
		if !isDir(dir) || name == "terraform" { // Terraform configurations, not a snapshot
			continue
		}
		t.Run(name, func(t *testing.T) {
			snap := load(t, name)
			r := analyze(t, snap)
			fixed := false
			for _, f := range r.Findings {
				if f.Fix == nil || f.Fix.RegistryPolicy == nil || !f.Fix.Verified {
					continue
				}
				reg := snap.Registries[*f.Destination]
				if reg == nil {
					reg = diagnose.NewRegistry(*f.Destination)
					snap.Registries[*f.Destination] = reg
				}
				reg.RegistryPolicy = diagnose.Read[diagnose.PolicyOutput]{State: diagnose.Collected, Source: "fix",
					Value: diagnose.PolicyOutput{RegistryID: f.Destination.Account, PolicyText: string(f.Fix.RegistryPolicy)}}
				fixed = true
			}
			if !fixed {
				return
			}
			applied++
			again := analyze(t, snap)
			for _, d := range again.Destinations {
				if d.Verdict != diagnose.Healthy {
					t.Errorf("after the fix, %s/%s is %s: %v", d.Account, d.Region, d.Verdict, codes(again))
				}
			}
			for _, f := range again.Findings {
				if f.Code != diagnose.CodeStaleFailures {
					t.Errorf("after the fix: finding %s: %s", f.Code, f.Summary)
				}
			}
		})
	}
	if applied < 8 {
		t.Errorf("only %d fixtures had a verified fix to apply", applied)
	}
}

// TestFixKeepsExistingStatements: the merged policy keeps every existing
// statement unchanged and adds exactly one.
func TestFixKeepsExistingStatements(t *testing.T) {
	snap := load(t, "multiple-faults")
	loc := diagnose.Location{Account: "222222222222", Region: "ap-northeast-1"}
	before := snap.Registries[loc].RegistryPolicy.Value.PolicyText
	r := analyze(t, snap)
	var fix *diagnose.Fix
	for _, f := range r.Findings {
		if f.Destination != nil && *f.Destination == loc && f.Fix != nil && f.Fix.RegistryPolicy != nil {
			fix = f.Fix
		}
	}
	if fix == nil {
		t.Fatal("no registry policy fix for 222222222222/ap-northeast-1")
	}
	var old, merged struct{ Statement []json.RawMessage }
	if err := json.Unmarshal([]byte(before), &old); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(fix.RegistryPolicy, &merged); err != nil {
		t.Fatal(err)
	}
	if len(merged.Statement) != len(old.Statement)+1 {
		t.Fatalf("merged policy has %d statements, want %d+1", len(merged.Statement), len(old.Statement))
	}
	for i := range old.Statement {
		if compact(t, old.Statement[i]) != compact(t, merged.Statement[i]) {
			t.Errorf("statement %d changed:\n%s\n%s", i, old.Statement[i], merged.Statement[i])
		}
	}
	p, err := policy.Parse(fix.RegistryPolicy)
	if err != nil {
		t.Fatal(err)
	}
	if issues := policy.CheckRegistryPolicy(string(fix.RegistryPolicy), p, "V1"); len(issues) != 0 {
		t.Errorf("the fix breaks the V1 scope rules: %+v", issues)
	}
}

// TestExplicitDenyIsNotPatchedOver: when a Deny blocks replication, the fix
// must not claim a grant solves it.
func TestExplicitDenyIsNotPatchedOver(t *testing.T) {
	r := analyze(t, load(t, "explicit-deny"))
	f := r.Findings[0]
	if f.Fix == nil || f.Fix.Verified || f.Fix.RegistryPolicy != nil {
		t.Fatalf("explicit deny fix = %+v, want unverified steps only", f.Fix)
	}
	if !strings.Contains(strings.Join(f.Fix.Steps, " "), "Deny") {
		t.Errorf("steps do not tell the user to decide about the Deny: %v", f.Fix.Steps)
	}
	if !strings.Contains(f.Summary, "DenyExternalWrites") {
		t.Errorf("summary does not name the deny statement: %s", f.Summary)
	}
}

func TestResourceMismatchNamesTheIntendedARN(t *testing.T) {
	r := analyze(t, load(t, "resource-mismatch"))
	d := r.Findings[0].Detail
	for _, want := range []string{"my-reo", "arn:aws:ecr:ap-northeast-1:222222222222:repository/my-repo"} {
		if !strings.Contains(d, want) {
			t.Errorf("detail does not mention %q:\n%s", want, d)
		}
	}
}

func TestFilterMismatchNamesPrefixes(t *testing.T) {
	r := analyze(t, load(t, "filter-does-not-match"))
	f := r.Findings[0]
	if !strings.Contains(f.Summary, `"my-app"`) || !strings.Contains(f.Detail, `nearest filter is "my-app"`) {
		t.Errorf("finding does not list the prefixes and the nearest one:\n%s\n%s", f.Summary, f.Detail)
	}
}

func TestPolicyTextThatIsNotAPolicyIsAnError(t *testing.T) {
	snap := load(t, "healthy")
	loc := diagnose.Location{Account: "222222222222", Region: "ap-northeast-1"}
	rp := snap.Registries[loc].RegistryPolicy
	rp.Value.PolicyText = `{"Statement": "nope"}`
	snap.Registries[loc].RegistryPolicy = rp
	_, err := diagnose.Analyze(snap)
	if err == nil || !strings.Contains(err.Error(), "get-registry-policy.json") {
		t.Fatalf("Analyze error = %v, want one naming the file", err)
	}
}

func BenchmarkAnalyzeSeed(b *testing.B) {
	snap := load(b, "seed-grant-in-repository-policy")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := diagnose.Analyze(snap); err != nil {
			b.Fatal(err)
		}
	}
}

func compact(t *testing.T, raw json.RawMessage) string {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

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
	if got := codes(r); !slices.Equal(got, []string{diagnose.CodeStaleFailures}) || r.Verdict != diagnose.Healthy {
		t.Errorf("with successes after the RCP denials: findings = %v, verdict %s; want STALE_FAILURES, healthy", got, r.Verdict)
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

// TestFixRespectsScopeAndSize: a merged policy AWS would reject (V1 scope
// with a pull action already in it, or over 10,240 characters) is not
// printed as verified.
func TestFixRespectsScopeAndSize(t *testing.T) {
	loc := diagnose.Location{Account: "222222222222", Region: "ap-northeast-1"}
	withPolicy := func(text, scope string) *diagnose.Report {
		snap := load(t, "action-not-granted")
		reg := snap.Registries[loc]
		reg.RegistryPolicy.Value.PolicyText = text
		reg.PolicyScope = diagnose.Read[diagnose.AccountSettingOutput]{State: diagnose.Collected, Value: diagnose.AccountSettingOutput{Name: "REGISTRY_POLICY_SCOPE", Value: scope}}
		return analyze(t, snap)
	}
	pull := `{"Version":"2012-10-17","Statement":[{"Sid":"Pull","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::333333333333:root"},"Action":"ecr:BatchGetImage","Resource":"*"}]}`
	if f := withPolicy(pull, "V2").Findings[0]; f.Fix == nil || !f.Fix.Verified {
		t.Errorf("V2 scope: fix = %+v, want verified", f.Fix)
	}
	if f := withPolicy(pull, "V1").Findings[0]; f.Fix == nil || f.Fix.Verified || f.Fix.RegistryPolicy != nil {
		t.Errorf("V1 scope with ecr:BatchGetImage: fix = %+v, want unverified steps", f.Fix)
	}
	var stmts []string
	for i := 0; i < 60; i++ {
		stmts = append(stmts, fmt.Sprintf(`{"Sid":"Pull%03d","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::3333333333%02d:root"},"Action":"ecr:ReplicateImage","Resource":"arn:aws:ecr:ap-northeast-1:222222222222:repository/team-%03d/*"}`, i, i, i))
	}
	big := `{"Version":"2012-10-17","Statement":[` + strings.Join(stmts, ",") + `]}`
	f := withPolicy(big, "V2").Findings[0]
	if f.Fix == nil || f.Fix.Verified || !strings.Contains(strings.Join(f.Fix.Steps, " "), "10240") {
		t.Errorf("oversized policy: fix = %+v, want unverified with the limit named", f.Fix)
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

// TestFixSidDoesNotLookLikeAnAccount: when the policy already has a
// statement named AllowReplicationFrom<source>, the added one gets a name
// that cannot be read as a 13-digit account id.
func TestFixSidDoesNotLookLikeAnAccount(t *testing.T) {
	snap := load(t, "create-repository-not-allowed")
	rp := &snap.Registries[diagnose.Location{Account: "222222222222", Region: "ap-northeast-1"}].RegistryPolicy
	rp.Value.PolicyText = strings.Replace(rp.Value.PolicyText, `"ReplicationAccessCrossAccount"`, `"AllowReplicationFrom111111111111"`, 1)
	r := analyze(t, snap)
	for _, f := range r.Findings {
		if f.Fix != nil && f.Fix.RegistryPolicy != nil {
			if !strings.Contains(string(f.Fix.RegistryPolicy), `"AllowReplicationFrom111111111111No2"`) {
				t.Errorf("added statement name: %s", f.Fix.RegistryPolicy)
			}
			return
		}
	}
	t.Fatalf("no policy fix in %v", codes(r))
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

// TestGrantIsNotVerifiedAgainstAnSCP: the registry policy is missing, but
// the newest denial is an SCP's explicit Deny. The grant is still proposed,
// not as verified, and the fix says where the Deny is.
func TestGrantIsNotVerifiedAgainstAnSCP(t *testing.T) {
	snap := load(t, "registry-policy-missing")
	newest := -1
	for i, e := range snap.Events {
		if e.Denial != nil && (newest < 0 || e.Time.After(snap.Events[newest].Time)) {
			newest = i
		}
	}
	if newest < 0 {
		t.Fatal("the fixture has no denial")
	}
	snap.Events[newest].Denial = &trail.Denial{Kind: trail.KindExplicit, PolicyType: trail.PolicySCP}
	r := analyze(t, snap)
	f := r.Findings[0]
	if f.Fix == nil || f.Fix.Verified || f.Fix.RegistryPolicy == nil {
		t.Fatalf("%s fix %+v; want the grant, not verified", f.Code, f.Fix)
	}
	if !strings.Contains(f.Fix.Steps[0], "explicit Deny in a service control policy, which no registry policy can override") ||
		!strings.Contains(f.Fix.Steps[0], "attached in AWS Organizations to the source account 111111111111") {
		t.Errorf("first step: %s", f.Fix.Steps[0])
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
	}{{"the source's", "111111111111", diagnose.Healthy}, {"another account's", "999999999999", diagnose.Failing}} {
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

// TestFixGrantsOnlyWhatIsMissing: the registry policy already allows
// ReplicateImage; the destination repository is missing, so only
// CreateRepository is added.
func TestFixGrantsOnlyWhatIsMissing(t *testing.T) {
	r := analyze(t, load(t, "create-repository-not-allowed"))
	for _, f := range r.Findings {
		if f.Fix == nil || f.Fix.RegistryPolicy == nil {
			continue
		}
		var doc struct {
			Statement []struct {
				Sid    string
				Action any
			}
		}
		if err := json.Unmarshal(f.Fix.RegistryPolicy, &doc); err != nil {
			t.Fatal(err)
		}
		added := doc.Statement[len(doc.Statement)-1]
		if got := fmt.Sprint(added.Action); got != "ecr:CreateRepository" && got != "[ecr:CreateRepository]" {
			t.Errorf("added statement %s grants %v, want only ecr:CreateRepository", added.Sid, added.Action)
		}
		return
	}
	t.Fatalf("no policy fix in %v", codes(r))
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
	snap.Registries[dst].RegistryPolicy = diagnose.Read[diagnose.PolicyOutput]{State: diagnose.Collected, Source: "fix",
		Value: diagnose.PolicyOutput{RegistryID: dst.Account, PolicyText: string(fix.RegistryPolicy)}}
	again := analyze(t, snap)
	for _, d := range again.Destinations {
		if d.Account == dst.Account && d.Region == dst.Region && !strings.Contains(d.Note, `The repository policy of my-repo still grants it too (statement "ReplicationAccessCrossAccount")`) {
			t.Errorf("note %q does not mention the leftover grant", d.Note)
		}
	}
}
