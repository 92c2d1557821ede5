package terraform

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeTree writes files (path -> content) under a temporary folder.
func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func load(t *testing.T, opt Options, paths ...string) *Config {
	t.Helper()
	cfg, err := Load(paths, opt)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return cfg
}

func registryAt(t *testing.T, cfg *Config, provider string) *Registry {
	t.Helper()
	for _, r := range cfg.Registries {
		for _, p := range r.Providers {
			if p.Address == provider {
				return r
			}
		}
	}
	t.Fatalf("no registry managed by %s; registries: %d", provider, len(cfg.Registries))
	return nil
}

func policyDoc(t *testing.T, text string) map[string]any {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal([]byte(text), &doc); err != nil {
		t.Fatalf("policy %q: %v", text, err)
	}
	return doc
}

// The seed article's configuration as published: two aliases with the same
// profile are one account, the registry policy's principal and resource
// are built from the symbolic accounts.
func TestLoadSeedPublished(t *testing.T) {
	cfg := load(t, Options{}, "../../fixtures/terraform/seed-published")
	if len(cfg.Accounts) != 2 {
		t.Fatalf("accounts = %d, want 2 (profiles develop and management)", len(cfg.Accounts))
	}
	src := registryAt(t, cfg, "aws.develop")
	us := registryAt(t, cfg, "aws.develop_us")
	mgmt := registryAt(t, cfg, "aws.management")
	if src.Account != us.Account || src.Account == mgmt.Account {
		t.Errorf("develop and develop_us must share an account, management must not: %s %s %s", src.Account.Label(), us.Account.Label(), mgmt.Account.Label())
	}
	if src.Account.Known || src.Account.Ref != "data.aws_caller_identity.develop.account_id" {
		t.Errorf("develop account = %+v, want symbolic with its caller identity reference", src.Account)
	}
	if len(src.Replication) != 1 || len(src.Replication[0].Rules) != 1 {
		t.Fatalf("source replication = %+v", src.Replication)
	}
	rule := src.Replication[0].Rules[0]
	if len(rule.Destinations) != 2 || rule.Destinations[0].Account != src.Account || rule.Destinations[1].Account != mgmt.Account ||
		rule.Destinations[1].Region != "ap-northeast-1" || rule.Destinations[1].Expr != "aws_ecr_repository.management_repo.registry_id" {
		t.Errorf("destinations = %+v", rule.Destinations)
	}
	if len(rule.Filters) != 1 || rule.Filters[0] != (Filter{"my-repo", "PREFIX_MATCH"}) {
		t.Errorf("filters = %+v", rule.Filters)
	}
	if len(mgmt.RegistryPolicies) != 1 || !mgmt.RegistryPolicies[0].Known {
		t.Fatalf("management registry policies = %+v", mgmt.RegistryPolicies)
	}
	pol := mgmt.RegistryPolicies[0]
	st := policyDoc(t, pol.Text)["Statement"].([]any)[0].(map[string]any)
	if got := st["Principal"].(map[string]any)["AWS"]; got != "arn:aws:iam::"+src.Account.ID+":root" {
		t.Errorf("principal = %v", got)
	}
	if got := st["Resource"].([]any)[0]; got != "arn:aws:ecr:ap-northeast-1:"+mgmt.Account.ID+":repository/my-repo" {
		t.Errorf("resource = %v", got)
	}
	if pol.Source.Line != 68 || pol.Source.Address != "aws_ecr_registry_policy.management_registry_policy" {
		t.Errorf("source = %+v", pol.Source)
	}
	if got := cfg.Symbolize(pol.Text); !strings.Contains(got, "arn:aws:iam::<account of profile develop>:root") {
		t.Errorf("symbolized policy = %s", got)
	}
	if cfg.Resources != 7 || len(cfg.Files) != 1 || len(cfg.Warnings) != 0 {
		t.Errorf("resources %d, files %v, warnings %v", cfg.Resources, cfg.Files, cfg.Warnings)
	}
}

const regionVar = `
variable "region" { default = "eu-west-1" }
provider "aws" { region = var.region }
resource "aws_ecr_repository" "r" { name = "app" }
`

func TestLoadVariablePrecedence(t *testing.T) {
	cases := []struct {
		name  string
		files map[string]string
		opt   func(dir string) Options
		want  string
	}{
		{"default", map[string]string{}, nil, "eu-west-1"},
		{"terraform.tfvars", map[string]string{"terraform.tfvars": `region = "us-east-1"`}, nil, "us-east-1"},
		{"auto.tfvars wins over terraform.tfvars", map[string]string{"terraform.tfvars": `region = "us-east-1"`, "b.auto.tfvars": `region = "us-east-2"`}, nil, "us-east-2"},
		{"auto.tfvars.json", map[string]string{"a.auto.tfvars.json": `{"region": "ca-central-1"}`}, nil, "ca-central-1"},
		{"--var-file wins over auto", map[string]string{"b.auto.tfvars": `region = "us-east-2"`, "prod.tfvars": `region = "ap-south-1"`},
			func(dir string) Options { return Options{VarFiles: []string{filepath.Join(dir, "prod.tfvars")}} }, "ap-south-1"},
		{"--var wins over --var-file", map[string]string{"prod.tfvars": `region = "ap-south-1"`},
			func(dir string) Options {
				return Options{VarFiles: []string{filepath.Join(dir, "prod.tfvars")}, Vars: []string{"region=sa-east-1"}}
			}, "sa-east-1"},
		{"TF_VAR_ is below tfvars", map[string]string{}, func(string) Options { return Options{Env: []string{"TF_VAR_region=me-south-1"}} }, "me-south-1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			files := map[string]string{"main.tf": regionVar}
			for k, v := range c.files {
				files[k] = v
			}
			dir := writeTree(t, files)
			opt := Options{}
			if c.opt != nil {
				opt = c.opt(dir)
			}
			cfg := load(t, opt, dir)
			reg := registryAt(t, cfg, "aws")
			if reg.Region != c.want {
				t.Errorf("region = %q, want %q", reg.Region, c.want)
			}
		})
	}
}

func TestLoadBadVarFlags(t *testing.T) {
	dir := writeTree(t, map[string]string{"main.tf": regionVar, "bad.tfvars": "region = \n"})
	for _, opt := range []Options{
		{Vars: []string{"region"}},
		{VarFiles: []string{filepath.Join(dir, "missing.tfvars")}},
		{VarFiles: []string{filepath.Join(dir, "bad.tfvars")}},
	} {
		if _, err := Load([]string{dir}, opt); err == nil || !strings.Contains(err.Error(), "--var") {
			t.Errorf("%+v: err = %v, want one naming the flag", opt, err)
		}
	}
}

// The provider's rendering of aws_iam_policy_document: one value as a
// string, several in reverse order, principals merged by type, conditions
// as given, &{} for ${}.
func TestLoadPolicyDocument(t *testing.T) {
	dir := writeTree(t, map[string]string{"main.tf": `
provider "aws" { region = "us-west-2" }
data "aws_caller_identity" "me" {}
data "aws_iam_policy_document" "p" {
  statement {
    sid       = "Replication"
    actions   = ["ecr:ReplicateImage", "ecr:CreateRepository", "ecr:ReplicateImage"]
    resources = ["arn:aws:ecr:us-west-2:${data.aws_caller_identity.me.account_id}:repository/&{aws:username}*"]
    principals {
      type        = "AWS"
      identifiers = ["arn:aws:iam::111111111111:root", "222222222222"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:PrincipalOrgID"
      values   = ["o-b", "o-a"]
    }
  }
  statement {
    effect    = "Deny"
    actions   = ["ecr:*"]
    not_resources = ["*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
  }
}
resource "aws_ecr_registry_policy" "p" { policy = data.aws_iam_policy_document.p.json }
`})
	cfg := load(t, Options{}, dir)
	reg := registryAt(t, cfg, "aws")
	pol := reg.RegistryPolicies[0]
	want := `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "Replication",
      "Effect": "Allow",
      "Action": [
        "ecr:ReplicateImage",
        "ecr:CreateRepository"
      ],
      "Resource": "arn:aws:ecr:us-west-2:ACCT:repository/${aws:username}*",
      "Principal": {
        "AWS": [
          "arn:aws:iam::111111111111:root",
          "222222222222"
        ]
      },
      "Condition": {
        "StringEquals": {
          "aws:PrincipalOrgID": [
            "o-b",
            "o-a"
          ]
        }
      }
    },
    {
      "Effect": "Deny",
      "Action": "ecr:*",
      "NotResource": "*",
      "Principal": "*"
    }
  ]
}`
	want = strings.ReplaceAll(want, "ACCT", reg.Account.ID)
	if pol.Text != want {
		t.Errorf("rendered policy:\n%s\nwant:\n%s", pol.Text, want)
	}
	if pol.PolicySource == nil || pol.PolicySource.Address != "data.aws_iam_policy_document.p" || pol.PolicySource.Line != 4 {
		t.Errorf("policy source = %+v", pol.PolicySource)
	}
}

// for_each and count instances, a local module given a provider alias, and
// locals, heredoc JSON and file() inside it.
func TestLoadInstancesAndModules(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"main.tf": `
provider "aws" {
  alias  = "dest"
  region = "eu-central-1"
  assume_role { role_arn = "arn:aws:iam::333333333333:role/deploy" }
}
provider "aws" {
  region              = "us-east-1"
  allowed_account_ids = ["444444444444"]
}
locals { repos = toset(["web", "api"]) }
module "dest" {
  source    = "./modules/dest"
  repos     = local.repos
  providers = { aws = aws.dest }
}
resource "aws_ecr_repository" "numbered" {
  count = 2
  name  = "svc-${count.index}"
}
`,
		"modules/dest/main.tf": `
variable "repos" { type = set(string) }
resource "aws_ecr_repository" "this" {
  for_each = var.repos
  name     = each.key
}
resource "aws_ecr_repository_policy" "this" {
  for_each   = var.repos
  repository = aws_ecr_repository.this[each.key].name
  policy     = <<-EOF
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "${aws_ecr_repository.this[each.key].registry_id}"}, "Action": "ecr:BatchGetImage"}]}
  EOF
}
resource "aws_ecr_registry_policy" "this" {
  policy = file("${path.module}/registry.json")
}
`,
		"modules/dest/registry.json": `{"Version":"2012-10-17","Statement":[]}`,
	})
	cfg := load(t, Options{}, dir)
	dest := registryAt(t, cfg, "aws.dest")
	if !dest.Account.Known || dest.Account.ID != "333333333333" || dest.Region != "eu-central-1" {
		t.Errorf("dest registry = %s/%s", dest.Account.Label(), dest.Region)
	}
	var addrs []string
	for _, p := range dest.RepositoryPolicies {
		addrs = append(addrs, p.Source.Address+"="+p.Repository)
		if !strings.Contains(p.Text, `"AWS": "333333333333"`) {
			t.Errorf("%s policy = %s", p.Source.Address, p.Text)
		}
	}
	if got := strings.Join(addrs, " "); got != `module.dest.aws_ecr_repository_policy.this["api"]=api module.dest.aws_ecr_repository_policy.this["web"]=web` {
		t.Errorf("repository policies = %s", got)
	}
	if len(dest.RegistryPolicies) != 1 || dest.RegistryPolicies[0].Text != `{"Version":"2012-10-17","Statement":[]}` {
		t.Errorf("registry policy from file() = %+v", dest.RegistryPolicies)
	}
	def := registryAt(t, cfg, "aws")
	if def.Account.ID != "444444444444" || len(def.Repositories) != 2 || def.Repositories[1].Name != "svc-1" || def.Repositories[1].Source.Address != "aws_ecr_repository.numbered[1]" {
		t.Errorf("default registry = %s, repositories %+v", def.Account.Label(), def.Repositories)
	}
	if cfg.Resources != 7 || len(cfg.Files) != 3 {
		t.Errorf("resources %d (want 7), files %v (want the two .tf and registry.json)", cfg.Resources, cfg.Files)
	}
}

// What lint cannot know is said, never silently passed.
func TestLoadUnsupportedIsWarned(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"main.tf": `
provider "aws" { region = "us-east-1" }
module "remote" { source = "terraform-aws-modules/ecr/aws" }
module "self" { source = "./" }
resource "aws_iam_role" "ci" { name = "ci" }
resource "aws_ecr_registry_policy" "a" {
  policy = jsonencode({Statement = [{Effect = "Allow", Principal = {AWS = aws_iam_role.ci.arn}, Action = "ecr:ReplicateImage", Resource = "*"}]})
}
resource "aws_ecr_repository_policy" "b" {
  repository = "x"
  policy     = templatefile("p.json", {})
}
resource "aws_ecr_registry_policy" "c" { policy = file("../../etc/passwd") }
`,
		"broken.tf": "resource \"aws_ecr_repository\" \"x\" {\n  name = \n}\n",
	})
	cfg := load(t, Options{}, dir)
	all := strings.Join(cfg.Warnings, "\n")
	for _, want := range []string{
		`module "remote" comes from "terraform-aws-modules/ecr/aws", which lint does not download`,
		"(aws_ecr_registry_policy.a): the policy is not checked: it depends on aws_iam_role.ci.arn",
		`There is no function named "templatefile"`,
		"is outside the folders given to lint",
		`module "self" is ./, which contains this call: a module cannot include itself`,
		"broken.tf: not read: it has a syntax error",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("warnings lack %q:\n%s", want, all)
		}
	}
	if len(cfg.Errors) != 1 || !strings.Contains(cfg.Errors[0], "broken.tf:2:") {
		t.Errorf("errors = %q, want broken.tf:2:column", cfg.Errors)
	}
}

func TestLoadNothingRead(t *testing.T) {
	dir := writeTree(t, map[string]string{"main.tf": "provider \"aws\" {\n"})
	cfg, err := Load([]string{dir}, Options{})
	if !errors.Is(err, ErrNothingRead) || cfg == nil || len(cfg.Errors) != 1 || !strings.Contains(cfg.Errors[0], "main.tf:") {
		t.Fatalf("err = %v, cfg = %+v", err, cfg)
	}
	if _, err := Load([]string{filepath.Join(dir, "nope")}, Options{}); err == nil || errors.Is(err, ErrNothingRead) {
		t.Errorf("a missing path: err = %v, want a usage-kind error", err)
	}
}

// A repository's ARN carries its region's partition, the one awsid knows
// (aws-iso for us-iso-*, not "aws"): a grant's Resource built from
// aws_ecr_repository.R.arn must match what AWS will compute after apply.
func TestLoadRepositoryARNPartition(t *testing.T) {
	for region, want := range map[string]string{
		"ap-northeast-1": "arn:aws:ecr:ap-northeast-1:555555555555:repository/app",
		"cn-north-1":     "arn:aws-cn:ecr:cn-north-1:555555555555:repository/app",
		"us-iso-east-1":  "arn:aws-iso:ecr:us-iso-east-1:555555555555:repository/app",
	} {
		t.Run(region, func(t *testing.T) {
			dir := writeTree(t, map[string]string{"main.tf": `
provider "aws" {
  region              = "` + region + `"
  allowed_account_ids = ["555555555555"]
}
resource "aws_ecr_repository" "app" { name = "app" }
resource "aws_ecr_repository_policy" "app" {
  repository = aws_ecr_repository.app.name
  policy     = jsonencode({Version = "2012-10-17", Statement = [{Effect = "Allow", Principal = {AWS = "555555555555"}, Action = "ecr:BatchGetImage", Resource = aws_ecr_repository.app.arn}]})
}
`})
			reg := registryAt(t, load(t, Options{}, dir), "aws")
			if len(reg.RepositoryPolicies) != 1 || !strings.Contains(reg.RepositoryPolicies[0].Text, `"Resource":"`+want+`"`) {
				t.Errorf("repository policy = %+v, want Resource %s", reg.RepositoryPolicies, want)
			}
		})
	}
}
