package main

import (
	"errors"
	"os"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/ecrdoctor/ecrdoctor/diagnose/terraform"
)

// LintOptions is everything `ecrdoctor lint` needs; runLint can be called
// without flags.
type LintOptions struct {
	Paths      []string // root module folders, .tf files, plan JSON or policy files
	VarFiles   []string
	Vars       []string
	PolicyKind string // "", "registry" or "repository": PATHs are policy JSON files
	Output     string // text, json, sarif or markdown
	Env        []string
}

func lintCommand(s IO) *cli.Command {
	varFiles, vars := &repeatable{}, &repeatable{}
	return &cli.Command{
		Name:  "lint",
		Usage: "check a Terraform configuration for the replication mistakes why diagnoses, before apply",
		UsageText: `ecrdoctor lint [PATH...] [--var-file FILE]... [--var NAME=VALUE]...
               [--policy-kind registry|repository] [--output text|json|sarif|markdown]`,
		ArgsUsage: "[PATH...]",
		Description: `lint reads a Terraform configuration and runs the checks of ecrdoctor why on
what it would apply: the replication rules, registry and repository policies
and repositories of every aws provider, evaluated the way IAM does. It also
reports what AWS rejects at apply (a Resource in a repository policy, an
invalid filter, more than 25 destinations, V1-scope actions) and what apply
silently undoes (two registry policies or replication configurations for one
registry).

PATH is a root module folder (default .), a .tf file, a plan in JSON
(terraform show -json tfplan > plan.json), or, with --policy-kind, a policy
JSON file. Several PATHs are one configuration: give the source's and the
destination's folders together to check a cross-account grant.

Account ids unknown before apply stay symbolic: providers with the same
profile and no role are one account ("account of profile develop"); an
assume_role role_arn or a single allowed_account_ids names the account.
What lint cannot evaluate (remote modules, some functions, values known only
after apply) is listed in the warnings.

Exit status: 0 no error found, 1 an error-severity finding (or a file with
a syntax error), 2 usage error, 3 nothing could be read.

Examples:
  ecrdoctor lint
  ecrdoctor lint infra/source infra/destination --var-file prod.tfvars
  ecrdoctor lint --output sarif > ecrdoctor.sarif
  terraform show -json tfplan > plan.json && ecrdoctor lint plan.json
  ecrdoctor lint --policy-kind repository repo-policy.json`,
		Flags: []cli.Flag{
			&cli.GenericFlag{Name: "var-file", Value: varFiles, Usage: "variable definitions `FILE` (.tfvars or .tfvars.json); repeatable"},
			&cli.GenericFlag{Name: "var", Value: vars, Usage: "variable `NAME=VALUE`; repeatable"},
			&cli.StringFlag{Name: "policy-kind", Usage: "PATHs are policy JSON files of this `KIND`: registry or repository"},
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Value: "text", Usage: "output `FORMAT`: text, json, sarif or markdown"},
		},
		Action: action(func(c *cli.Context) error {
			paths, err := interspersed(c)
			if err != nil {
				return err
			}
			return runLint(s, LintOptions{
				Paths:      paths,
				VarFiles:   varFiles.vals,
				Vars:       vars.vals,
				PolicyKind: c.String("policy-kind"),
				Output:     c.String("output"),
				Env:        os.Environ(),
			})
		}),
	}
}

func runLint(s IO, o LintOptions) error {
	switch o.Output {
	case "text", "json", "sarif", "markdown":
	default:
		return usageErrorf("lint: --output %q: must be text, json, sarif or markdown", o.Output)
	}
	switch o.PolicyKind {
	case "", "registry", "repository":
	default:
		return usageErrorf("lint: --policy-kind %q: must be registry or repository", o.PolicyKind)
	}
	if o.PolicyKind != "" && len(o.Paths) == 0 {
		return usageErrorf("lint: --policy-kind needs the policy JSON files as PATHs")
	}
	for _, p := range o.Paths {
		if _, err := os.Stat(p); err != nil {
			return usageErrorf("lint: %s: %v", p, unwrapStat(err))
		}
	}
	var cfg *terraform.Config
	var err error
	if o.PolicyKind != "" {
		cfg, err = terraform.LoadPolicies(o.Paths, o.PolicyKind)
	} else {
		cfg, err = terraform.Load(o.Paths, terraform.Options{VarFiles: o.VarFiles, Vars: o.Vars, Env: o.Env})
	}
	if err != nil {
		if errors.Is(err, terraform.ErrNothingRead) {
			return inputErrorf("lint: %v", err)
		}
		if strings.HasPrefix(err.Error(), "--var") {
			return usageErrorf("lint: %v", err)
		}
		return inputErrorf("lint: %v", err)
	}
	res := terraform.Lint(cfg)
	for _, e := range cfg.Errors {
		res.Warnings = append(res.Warnings, "syntax error: "+e)
	}
	if err := writeLint(s, res, o.Output); err != nil {
		return err
	}
	if res.HasErrors() || len(cfg.Errors) > 0 {
		return findingsExit()
	}
	return nil
}

func unwrapStat(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func writeLint(s IO, res *terraform.Result, format string) error {
	switch format {
	case "json":
		return writeLintJSON(s.Out, res)
	case "sarif":
		return writeLintSARIF(s.Out, res)
	case "markdown":
		return writeLintMarkdown(s.Out, res)
	}
	return writeLintText(s.Out, res)
}
