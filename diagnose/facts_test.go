package diagnose_test

import (
	"slices"
	"testing"

	"github.com/ecrdoctor/ecrdoctor/diagnose"
)

// TestDiagnoseHandBuiltFacts runs the checks on facts that come from no
// snapshot, as `lint` builds them from a Terraform configuration: policies
// and rules only, no CloudTrail, no replication status. The seed case
// (FM-02) is still recognized from the policies alone.
func TestDiagnoseHandBuiltFacts(t *testing.T) {
	src := diagnose.Location{Account: "111111111111", Region: "ap-northeast-1"}
	dst := diagnose.Location{Account: "222222222222", Region: "ap-northeast-1"}
	grant := `{"Version":"2012-10-17","Statement":[{"Sid":"AllowReplication","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":["ecr:ReplicateImage","ecr:CreateRepository"]}]}`
	f := &diagnose.Facts{
		Repository: "my-repo",
		Source:     src,
		Rules: diagnose.RulesFact{Known: true, Source: diagnose.Source{Name: "aws_ecr_replication_configuration.this"}, Rules: []diagnose.ReplicationRule{{
			Destinations: []diagnose.ReplicationDestination{{Region: dst.Region, RegistryID: dst.Account}},
		}}},
		Destinations: []diagnose.DestinationFacts{{
			Repository: "my-repo", Source: src, Destination: dst, Prefixes: []string{""},
			RegistryPolicy:   diagnose.PolicyFact{State: diagnose.PolicyAbsent, Source: diagnose.Source{Name: "no aws_ecr_registry_policy"}, Err: "no aws_ecr_registry_policy for 222222222222/ap-northeast-1"},
			RepositoryPolicy: diagnose.PolicyFact{State: diagnose.PolicyPresent, Source: diagnose.Source{Name: "aws_ecr_repository_policy.my_repo"}, Text: grant},
			RepositoryExists: diagnose.TriYes,
		}},
	}
	r, err := diagnose.Diagnose(f)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := codes(r), []string{diagnose.CodeGrantInRepositoryPolicy, diagnose.CodeRegistryPolicyMissing}; !slices.Equal(got, want) {
		t.Fatalf("findings = %v, want %v", got, want)
	}
	root := r.Findings[0]
	if root.Evidence[0].Source.String() != "aws_ecr_repository_policy.my_repo" {
		t.Errorf("evidence source = %q, want the Terraform address", root.Evidence[0].Source)
	}
	if root.Fix == nil || !root.Fix.Verified {
		t.Errorf("the root cause has no verified fix: %+v", root.Fix)
	}
	if r.Verdict != diagnose.Failing || len(r.Destinations) != 1 || r.Destinations[0].Verdict != diagnose.Failing {
		t.Errorf("verdict %s, destinations %+v; want failing", r.Verdict, r.Destinations)
	}
}
