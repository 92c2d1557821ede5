package diagnose_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/ecrdoctor/ecrdoctor/diagnose"
	"github.com/ecrdoctor/ecrdoctor/diagnose/policy"
	"github.com/ecrdoctor/ecrdoctor/diagnose/trail"
	"github.com/ecrdoctor/ecrdoctor/fixtures"
)

// TestFixRepairsEveryFixture applies each verified fix to the snapshot, as a
// user would with put-registry-policy, and diagnoses again: the destination
// must come out healthy, or with STALE_FAILURES as its only error (issue 9
// item 12: the images that failed are still missing until re-driven).
func TestFixRepairsEveryFixture(t *testing.T) {
	list, err := fixtures.Snapshots()
	if err != nil {
		t.Fatal(err)
	}
	applied := 0
	for _, x := range list {
		t.Run(x.Name, func(t *testing.T) {
			snap := loadDir(t, x.Dir, x.Repository)
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
				reg.RegistryPolicy = diagnose.Read[diagnose.PolicyOutput]{State: diagnose.Collected, Source: diagnose.Source{Name: "fix"},
					Value: diagnose.PolicyOutput{RegistryID: f.Destination.Account, PolicyText: string(f.Fix.RegistryPolicy)}}
				fixed = true
			}
			if !fixed {
				return
			}
			applied++
			again := analyze(t, snap)
			// Images that failed before the fix stay missing until
			// re-driven: STALE_FAILURES is then the only error left.
			stale := map[diagnose.Location]bool{}
			for _, f := range again.Findings {
				if f.Code == diagnose.CodeStaleFailures && f.Destination != nil {
					stale[*f.Destination] = true
				}
			}
			for _, d := range again.Destinations {
				if d.Verdict != diagnose.Healthy && !stale[d.Location()] {
					t.Errorf("after the fix, %s/%s is %s: %v", d.Account, d.Region, d.Verdict, codes(again))
				}
			}
			for _, f := range again.Findings {
				// A backfill that failed before the fix stays failed, as
				// information: a new one re-drives the images.
				stale := f.Code == diagnose.CodeStaleFailures || f.Code == diagnose.CodeBackfillFailed && f.Severity == diagnose.SeverityInfo
				if !stale {
					t.Errorf("after the fix: finding %s (%s): %s", f.Code, f.Severity, f.Summary)
				}
			}
		})
	}
	if applied < 8 {
		t.Errorf("only %d fixtures had a verified fix to apply", applied)
	}
}

// TestFixKeepsExistingStatements: the merged policy keeps every existing
// statement unchanged and adds exactly one, when none of them is a mistaken
// grant (a pull-through-cache statement for the source account is not).
func TestFixKeepsExistingStatements(t *testing.T) {
	snap := load(t, "action-not-granted")
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

func compact(t *testing.T, raw json.RawMessage) string {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// TestFixReplacesTheMistakenGrant: a fix never keeps a grant it diagnosed as
// wrong (issue 9 item 14). The statement that names a typo'd account or a
// Resource that misses the repository is replaced by the correct grant, the
// steps say so, and every other statement is kept unchanged.
func TestFixReplacesTheMistakenGrant(t *testing.T) {
	loc := diagnose.Location{Account: "222222222222", Region: "ap-northeast-1"}
	for _, tc := range []struct{ fixture, code, kept string }{
		{"principal-mismatch", diagnose.CodePrincipalMismatch, ""},
		{"resource-mismatch", diagnose.CodeResourceMismatch, ""},
		{"multiple-faults", diagnose.CodeResourceMismatch, "PullThroughCacheForBuilders"},
	} {
		t.Run(tc.fixture, func(t *testing.T) {
			r := analyze(t, load(t, tc.fixture))
			var root *diagnose.Finding
			for i, f := range r.Findings {
				if f.Destination != nil && *f.Destination == loc && f.Code == tc.code {
					root = &r.Findings[i]
				}
			}
			if root == nil || root.Fix == nil || !root.Fix.Verified {
				t.Fatalf("no verified %s fix for %s: %+v", tc.code, loc, root)
			}
			var merged struct {
				Statement []struct{ Sid string }
			}
			if err := json.Unmarshal(root.Fix.RegistryPolicy, &merged); err != nil {
				t.Fatal(err)
			}
			var sids []string
			for _, st := range merged.Statement {
				sids = append(sids, st.Sid)
			}
			if slices.Contains(sids, "ReplicationAccessCrossAccount") {
				t.Errorf("the fix keeps the mistaken statement: %v", sids)
			}
			if tc.kept != "" && !slices.Contains(sids, tc.kept) {
				t.Errorf("the fix drops %s: %v", tc.kept, sids)
			}
			if !strings.Contains(strings.Join(root.Fix.Steps, " "), `replaces statement "ReplicationAccessCrossAccount"`) {
				t.Errorf("the steps do not say the statement is replaced:\n%s", strings.Join(root.Fix.Steps, "\n"))
			}
		})
	}
}

// TestExplicitDenyOfCreateRepositoryCreatesTheRepository: when the registry
// policy allows ecr:ReplicateImage but explicitly denies ecr:CreateRepository
// and the destination repository is missing, no grant can fix it; the way
// that can is to create the repository first (issue 9 item 15; FM-07:
// "a repository with the same name as the source repository must be created
// manually").
func TestExplicitDenyOfCreateRepositoryCreatesTheRepository(t *testing.T) {
	snap := load(t, "create-repository-not-allowed")
	loc := diagnose.Location{Account: "222222222222", Region: "ap-northeast-1"}
	reg := snap.Registries[loc]
	reg.RegistryPolicy.Value.PolicyText = `{"Version":"2012-10-17","Statement":[` +
		`{"Sid":"Replication","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"ecr:ReplicateImage","Resource":"*"},` +
		`{"Sid":"NoNewRepositories","Effect":"Deny","Principal":"*","Action":"ecr:CreateRepository","Resource":"*"}]}`
	r := analyze(t, snap)
	if len(r.Findings) == 0 || r.Findings[0].Code != diagnose.CodeCreateRepositoryNotAllowed {
		t.Fatalf("findings %v, want CREATE_REPOSITORY_NOT_ALLOWED first", codes(r))
	}
	fix := r.Findings[0].Fix
	if fix == nil {
		t.Fatal("no fix")
	}
	if fix.RegistryPolicy != nil {
		t.Errorf("the fix proposes a registry policy, which the Deny would defeat: %s", fix.RegistryPolicy)
	}
	if fix.AWSCLI != "aws ecr create-repository --region ap-northeast-1 --repository-name my-repo" {
		t.Errorf("aws command = %q, want create-repository for my-repo in ap-northeast-1", fix.AWSCLI)
	}
	if !strings.Contains(fix.Terraform, `resource "aws_ecr_repository"`) || !strings.Contains(fix.Terraform, `name = "my-repo"`) {
		t.Errorf("terraform = %q, want an aws_ecr_repository named my-repo", fix.Terraform)
	}
	steps := strings.Join(fix.Steps, "\n")
	if !strings.Contains(steps, `statement "NoNewRepositories"`) || !strings.Contains(steps, "re-drive") {
		t.Errorf("the steps do not name the Deny and the re-drive:\n%s", steps)
	}
}
