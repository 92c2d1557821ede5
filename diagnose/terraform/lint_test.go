package terraform

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ecrdoctor/ecrdoctor/diagnose"
)

const splitSource = `
provider "aws" {
  alias   = "develop"
  profile = "develop"
  region  = "ap-northeast-1"
}
provider "aws" {
  alias   = "management"
  profile = "management"
  region  = "ap-northeast-1"
}
data "aws_caller_identity" "management" { provider = aws.management }
resource "aws_ecr_repository" "app" {
  provider = aws.develop
  name     = "my-repo"
}
resource "aws_ecr_replication_configuration" "this" {
  provider = aws.develop
  replication_configuration {
    rule {
      destination {
        region      = "ap-northeast-1"
        registry_id = data.aws_caller_identity.management.account_id
      }
    }
  }
}
`

const splitDestination = `
provider "aws" {
  profile = "management"
  region  = "ap-northeast-1"
}
provider "aws" {
  alias   = "source"
  profile = "develop"
  region  = "ap-northeast-1"
}
data "aws_caller_identity" "source" { provider = aws.source }
resource "aws_ecr_registry_policy" "this" {
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "Replication"
      Effect    = "Allow"
      Principal = { AWS = "arn:aws:iam::${data.aws_caller_identity.source.account_id}:root" }
      Action    = ["ecr:ReplicateImage", "ecr:CreateRepository"]
      Resource  = "*"
    }]
  })
}
`

// Two root modules given together are one configuration: the profiles tie
// the source's destination to the other root's registry policy. Alone, the
// source root says the destination is not in the files (info), and does
// not claim the registry policy is missing.
func TestLintSeveralRoots(t *testing.T) {
	dir := writeTree(t, map[string]string{"source/main.tf": splitSource, "destination/main.tf": splitDestination})
	both := Lint(load(t, Options{}, dir+"/source", dir+"/destination"))
	if len(both.Findings) != 0 || len(both.Warnings) != 0 {
		t.Errorf("source and destination together: findings %+v, warnings %v; want none", both.Findings, both.Warnings)
	}
	alone := Lint(load(t, Options{}, dir+"/source"))
	if len(alone.Findings) != 1 || alone.Findings[0].Code != "DESTINATION_NOT_IN_CONFIGURATION" || alone.Findings[0].Severity != "info" {
		t.Fatalf("source alone: %+v", alone.Findings)
	}
	if !strings.Contains(alone.Findings[0].Summary, "<account of profile management> in ap-northeast-1") {
		t.Errorf("summary = %q", alone.Findings[0].Summary)
	}
	if alone.HasErrors() {
		t.Error("an info finding made the result an error")
	}
}

// The seed mistake in a destination-only root: the grant of
// ecr:ReplicateImage sits in aws_ecr_repository_policy and no replication
// rule is in the files. Replication never reads repository policies
// (failure modes §5, "Common misconceptions"), so the grant is misplaced
// whichever account replicates: an error, with the block to move.
func TestLintMisplacedGrantWithoutRules(t *testing.T) {
	const repoPolicy = `
provider "aws" { region = "ap-northeast-1" }
resource "aws_ecr_repository" "app" { name = "my-repo" }
resource "aws_ecr_repository_policy" "app" {
  repository = aws_ecr_repository.app.name
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "ReplicationAccessCrossAccount"
      Effect    = "Allow"
      Principal = { AWS = "arn:aws:iam::111111111111:root" }
      Action    = %s
    }]
  })
}
`
	grant := Lint(load(t, Options{}, writeTree(t, map[string]string{"main.tf": fmt.Sprintf(repoPolicy, `["ecr:ReplicateImage", "ecr:CreateRepository"]`)})))
	if len(grant.Findings) != 1 || grant.Findings[0].Code != diagnose.CodeGrantInRepositoryPolicy || grant.Findings[0].Severity != diagnose.SeverityError {
		t.Fatalf("findings %+v, want one GRANT_IN_REPOSITORY_POLICY error", grant.Findings)
	}
	f := grant.Findings[0]
	if f.Location.Address != "aws_ecr_repository_policy.app" || !strings.Contains(f.Summary, "ReplicationAccessCrossAccount") || !strings.Contains(f.Summary, "111111111111") {
		t.Errorf("finding %+v: want the statement, its principal and the block's address", f)
	}
	if f.Fix == nil || len(f.Fix.Remove) != 1 || f.Fix.Remove[0].Address != "aws_ecr_repository_policy.app" {
		t.Errorf("fix %+v: want the repository policy block to remove", f.Fix)
	}
	// A repository policy for pulls is what repository policies are for.
	pull := Lint(load(t, Options{}, writeTree(t, map[string]string{"main.tf": fmt.Sprintf(repoPolicy, `["ecr:BatchGetImage"]`)})))
	if len(pull.Findings) != 0 {
		t.Errorf("a pull grant: findings %+v, want none", pull.Findings)
	}
}

// With the replication rule in the files, the misplaced grant is reported
// once, by why's check, not a second time by the configuration-only one.
func TestLintMisplacedGrantOnce(t *testing.T) {
	res := Lint(load(t, Options{}, filepath.Join("..", "..", "fixtures", "terraform", "seed-grant-in-repository-policy-no-resource")))
	n := 0
	for _, f := range res.Findings {
		if f.Code == diagnose.CodeGrantInRepositoryPolicy {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d GRANT_IN_REPOSITORY_POLICY findings, want 1: %+v", n, res.Findings)
	}
}

// A policy that is not JSON is said once, however many checks read it.
func TestLintInvalidPolicyWarnedOnce(t *testing.T) {
	res := Lint(load(t, Options{}, writeTree(t, map[string]string{"main.tf": `
provider "aws" { region = "ap-northeast-1" }
resource "aws_ecr_repository" "app" { name = "my-repo" }
resource "aws_ecr_repository_policy" "app" {
  repository = aws_ecr_repository.app.name
  policy     = "{not json"
}
`})))
	n := 0
	for _, w := range res.Warnings {
		if strings.Contains(w, "not valid policy JSON") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d warnings about the invalid policy, want 1: %q", n, res.Warnings)
	}
}
