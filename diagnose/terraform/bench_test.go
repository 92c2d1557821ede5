package terraform

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeLargeConfig writes a configuration of 200 files and 500 resources:
// 12 destination accounts with a registry policy and 20 repositories each,
// every repository with a policy, one source with a replication rule.
func writeLargeConfig(tb testing.TB) string {
	dir := tb.TempDir()
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	var dests strings.Builder
	write("source.tf", `provider "aws" {
  alias   = "source"
  profile = "source"
  region  = "eu-west-1"
}
data "aws_caller_identity" "source" { provider = aws.source }
variable "prefix" { default = "app" }
`)
	files := 1
	for a := 0; a < 12; a++ {
		fmt.Fprintf(&dests, "      destination {\n        region      = \"eu-west-1\"\n        registry_id = data.aws_caller_identity.d%d.account_id\n      }\n", a)
		write(fmt.Sprintf("account%02d.tf", a), fmt.Sprintf(`provider "aws" {
  alias   = "d%[1]d"
  profile = "dest-%[1]d"
  region  = "eu-west-1"
}
data "aws_caller_identity" "d%[1]d" { provider = aws.d%[1]d }
resource "aws_ecr_registry_policy" "d%[1]d" {
  provider = aws.d%[1]d
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "Replication"
      Effect    = "Allow"
      Principal = { AWS = "arn:aws:iam::${data.aws_caller_identity.source.account_id}:root" }
      Action    = ["ecr:ReplicateImage", "ecr:CreateRepository"]
      Resource  = "arn:aws:ecr:eu-west-1:${data.aws_caller_identity.d%[1]d.account_id}:repository/${var.prefix}*"
    }]
  })
}
`, a))
		files++
		for r := 0; r < 20; r += 2 {
			// 10 files per account, two repositories and their policies each.
			var b strings.Builder
			for k := r; k < r+2; k++ {
				fmt.Fprintf(&b, `resource "aws_ecr_repository" "d%[1]d_r%[2]d" {
  provider = aws.d%[1]d
  name     = "${var.prefix}-%[2]d"
}
resource "aws_ecr_repository_policy" "d%[1]d_r%[2]d" {
  provider   = aws.d%[1]d
  repository = aws_ecr_repository.d%[1]d_r%[2]d.name
  policy     = data.aws_iam_policy_document.pull.json
}
`, a, k)
			}
			write(fmt.Sprintf("account%02d_repos%02d.tf", a, r/2), b.String())
			files++
		}
	}
	write("pull.tf", `data "aws_iam_policy_document" "pull" {
  statement {
    sid     = "Pull"
    actions = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
    principals {
      type        = "AWS"
      identifiers = ["arn:aws:iam::${data.aws_caller_identity.source.account_id}:root"]
    }
  }
}
`)
	files++
	write("replication.tf", fmt.Sprintf(`resource "aws_ecr_replication_configuration" "this" {
  provider = aws.source
  replication_configuration {
    rule {
%s      repository_filter {
        filter      = var.prefix
        filter_type = "PREFIX_MATCH"
      }
    }
  }
}
`, dests.String()))
	files++
	for files < 200 {
		write(fmt.Sprintf("notes%03d.tf", files), fmt.Sprintf("locals { note_%d = \"file %d\" }\n", files, files))
		files++
	}
	return dir
}

// BenchmarkLintLarge loads and lints 200 files with 500 resources.
func BenchmarkLintLarge(b *testing.B) {
	dir := writeLargeConfig(b)
	cfg, err := Load([]string{dir}, Options{})
	if err != nil {
		b.Fatal(err)
	}
	if len(cfg.Files) != 200 || cfg.Resources < 500 {
		b.Fatalf("%d files, %d resources; want 200 and 500", len(cfg.Files), cfg.Resources)
	}
	if res := Lint(cfg); len(res.Findings) != 0 || len(res.Warnings) != 0 {
		b.Fatalf("the benchmark configuration should be clean: %+v %v", res.Findings, res.Warnings)
	}
	for b.Loop() {
		cfg, err := Load([]string{dir}, Options{})
		if err != nil {
			b.Fatal(err)
		}
		Lint(cfg)
	}
}
