package terraform

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	tfjson "github.com/hashicorp/terraform-json"
)

var updatePlans = flagBool("update-plans", "rewrite fixtures/terraform/*/plan.json from the .tf files")

// planAccounts are the ids the plans' aws_caller_identity data sources
// return, by profile.
var planAccounts = map[string]string{"develop": "111111111111", "management": "222222222222"}

// writePlan writes what `terraform show -json` prints for a fixture whose
// repositories already exist (so ARNs are known at plan): providers, the
// aws_caller_identity read per provider, the ECR resources' planned values.
func writePlan(t *testing.T, cfg *Config, path string) {
	t.Helper()
	real := map[string]string{}
	for _, p := range cfg.Providers {
		if id, ok := planAccounts[p.Profile]; ok && !p.Account.Known {
			real[p.Account.ID] = id
		}
	}
	subst := func(s string) string {
		for from, to := range real {
			s = strings.ReplaceAll(s, from, to)
		}
		return s
	}
	plan := map[string]any{"format_version": "1.2", "terraform_version": "1.9.8"}
	provCfg := map[string]any{}
	var confRes, prior, planned []map[string]any
	for _, p := range cfg.Providers {
		alias, _ := strings.CutPrefix(p.Address, "aws.")
		ex := map[string]any{"region": map[string]any{"constant_value": p.Region}}
		if p.Profile != "" {
			ex["profile"] = map[string]any{"constant_value": p.Profile}
		}
		pc := map[string]any{"name": "aws", "full_name": "registry.terraform.io/hashicorp/aws", "expressions": ex}
		if p.Address != "aws" {
			pc["alias"] = alias
		}
		provCfg[p.Address] = pc
		name := strings.ReplaceAll(alias, ".", "_")
		confRes = append(confRes, map[string]any{"address": "data.aws_caller_identity." + name, "mode": "data", "type": "aws_caller_identity", "name": name, "provider_config_key": p.Address})
		prior = append(prior, map[string]any{"address": "data.aws_caller_identity." + name, "mode": "data", "type": "aws_caller_identity", "name": name,
			"provider_name": "registry.terraform.io/hashicorp/aws", "values": map[string]any{"account_id": subst(p.Account.ID), "id": subst(p.Account.ID)}})
	}
	seen := map[string]bool{}
	add := func(p *Provider, src Source, typ string, values map[string]any) {
		addr := src.Address
		name := strings.TrimPrefix(addr, typ+".")
		if !seen[addr] {
			seen[addr] = true
			confRes = append(confRes, map[string]any{"address": addr, "mode": "managed", "type": typ, "name": name, "provider_config_key": p.Address})
		}
		planned = append(planned, map[string]any{"address": addr, "mode": "managed", "type": typ, "name": name,
			"provider_name": "registry.terraform.io/hashicorp/aws", "values": values})
	}
	for _, reg := range cfg.Registries {
		p := reg.Providers[0]
		for _, r := range reg.Repositories {
			add(p, r.Source, "aws_ecr_repository", map[string]any{"name": r.Name})
		}
		for _, pol := range reg.RegistryPolicies {
			add(p, pol.Source, "aws_ecr_registry_policy", map[string]any{"policy": subst(pol.Text)})
		}
		for _, pol := range reg.RepositoryPolicies {
			add(p, pol.Source, "aws_ecr_repository_policy", map[string]any{"repository": pol.Repository, "policy": subst(pol.Text)})
		}
		if reg.PolicyScope != "" {
			add(p, Source{Address: "aws_ecr_account_setting.scope"}, "aws_ecr_account_setting", map[string]any{"name": "REGISTRY_POLICY_SCOPE", "value": reg.PolicyScope})
		}
		for _, rep := range reg.Replication {
			var rules []any
			for _, rule := range rep.Rules {
				var dests, filters []any
				for _, d := range rule.Destinations {
					dests = append(dests, map[string]any{"region": d.Region, "registry_id": subst(d.RegistryID)})
				}
				for _, f := range rule.Filters {
					filters = append(filters, map[string]any{"filter": f.Filter, "filter_type": f.FilterType})
				}
				rules = append(rules, map[string]any{"destination": dests, "repository_filter": filters})
			}
			add(p, rep.Source, "aws_ecr_replication_configuration", map[string]any{"replication_configuration": []any{map[string]any{"rule": rules}}})
		}
	}
	plan["configuration"] = map[string]any{"provider_config": provCfg, "root_module": map[string]any{"resources": confRes}}
	plan["prior_state"] = map[string]any{"format_version": "1.0", "values": map[string]any{"root_module": map[string]any{"resources": prior}}}
	plan["planned_values"] = map[string]any{"root_module": map[string]any{"resources": planned}}
	b, err := json.MarshalIndent(plan, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	// The library must read what we write as a plan.
	var check tfjson.Plan
	if err := json.Unmarshal(b, &check); err != nil {
		t.Fatalf("not a plan tfjson reads: %v", err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestLintPlanFixtures lints each fixture's plan.json and expects the codes
// its .tf files give; the results are golden files too.
func TestLintPlanFixtures(t *testing.T) {
	root := filepath.Join("..", "..", "fixtures", "terraform")
	names := make([]string, 0, len(lintFixtures))
	for name := range lintFixtures {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		want := lintFixtures[name]
		t.Run(name, func(t *testing.T) {
			t.Chdir(root)
			planPath := filepath.Join(name, "plan.json")
			if *updatePlans {
				cfg, err := Load([]string{name}, Options{})
				if err != nil {
					t.Fatal(err)
				}
				writePlan(t, cfg, planPath)
			}
			cfg, err := Load([]string{planPath}, Options{})
			if err != nil {
				t.Fatal(err)
			}
			res := Lint(cfg)
			var got []string
			for _, f := range res.Findings {
				got = append(got, f.Code)
				if f.Location.File != planPath || f.Location.Address == "" {
					t.Errorf("%s location = %+v, want the plan and an address", f.Code, f.Location)
				}
			}
			if !slices.Equal(got, want) && !(len(got) == 0 && len(want) == 0) {
				t.Errorf("codes from the plan = %v, from the .tf files %v", got, want)
			}
			if len(res.Warnings) != 0 {
				t.Errorf("warnings = %q", res.Warnings)
			}
			golden(t, res, "plan-"+name)
		})
	}
}
