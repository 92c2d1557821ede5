package terraform

import (
	"strings"
	"testing"
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
