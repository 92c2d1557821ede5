package diagnose_test

import (
	"context"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ecrdoctor/ecrdoctor/diagnose"
	"github.com/ecrdoctor/ecrdoctor/diagnose/collect"
	"github.com/ecrdoctor/ecrdoctor/fixtures"
)

func load(t testing.TB, fixture string) *diagnose.Snapshot {
	t.Helper()
	return loadDir(t, filepath.Join(fixtures.Dir(), fixture), "my-repo")
}

func loadDir(t testing.TB, dir, repo string) *diagnose.Snapshot {
	t.Helper()
	snap, err := collect.LoadDir(context.Background(), dir, collect.LoadOptions{Repository: repo})
	if err != nil {
		t.Fatalf("loading fixture %s: %v", dir, err)
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
// severities an on-call engineer sees for every shipped scenario, as its
// expect.json states them.
func TestFixtures(t *testing.T) {
	list, err := fixtures.Snapshots()
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range list {
		t.Run(x.Name, func(t *testing.T) {
			r := analyze(t, loadDir(t, x.Dir, x.Repository))
			if got := codes(r); !slices.Equal(got, x.Codes) {
				t.Errorf("findings = %v, want %v", got, x.Codes)
			}
			if string(r.Verdict) != x.Verdict {
				t.Errorf("verdict = %s, want %s", r.Verdict, x.Verdict)
			}
			got := map[string]string{}
			for _, d := range r.Destinations {
				got[d.Account+"/"+d.Region] = string(d.Verdict)
			}
			if !maps.Equal(got, x.Destinations) {
				t.Errorf("destinations = %v, want %v", got, x.Destinations)
			}
			if r.HasErrors() != (x.Exit == 1) {
				t.Errorf("HasErrors = %v, want exit %d", r.HasErrors(), x.Exit)
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

func TestResourceMismatchNamesTheIntendedARN(t *testing.T) {
	r := analyze(t, load(t, "resource-mismatch"))
	d := r.Findings[0].Detail
	for _, want := range []string{"my-reo", "arn:aws:ecr:ap-northeast-1:222222222222:repository/my-repo"} {
		if !strings.Contains(d, want) {
			t.Errorf("detail does not mention %q:\n%s", want, d)
		}
	}
}
