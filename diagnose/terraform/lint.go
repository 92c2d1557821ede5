package terraform

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/ecrdoctor/ecrdoctor/diagnose"
	"github.com/ecrdoctor/ecrdoctor/diagnose/awsid"
	"github.com/ecrdoctor/ecrdoctor/diagnose/policy"
)

// Result is what lint found in one configuration.
type Result struct {
	FormatVersion string    `json:"format_version"`
	Findings      []Finding `json:"findings"`
	Checked       Checked   `json:"checked"`
	Warnings      []string  `json:"warnings"`
}

// Checked says how much was read.
type Checked struct {
	Files     int `json:"files"`
	Resources int `json:"resources"`
}

// Finding is one problem in the configuration, where it is declared.
type Finding struct {
	Code     string            `json:"code"`
	Severity diagnose.Severity `json:"severity"`
	Summary  string            `json:"summary"`
	Detail   string            `json:"detail"`
	Location Source            `json:"location"`
	Fix      *Fix              `json:"fix,omitempty"`
}

// Fix is the change to the configuration that resolves a finding.
type Fix struct {
	// Terraform is the corrected aws_ecr_registry_policy block (with any
	// data source it needs), in HCL.
	Terraform string `json:"terraform,omitempty"`
	// Remove lists the blocks to delete.
	Remove []Source `json:"remove"`
	Steps  []string `json:"steps"`
	// Verified is true when the evaluator confirmed that the corrected
	// policy allows replication.
	Verified bool `json:"verified"`
}

// HasErrors reports whether a finding has severity error (exit status 1).
func (r *Result) HasErrors() bool {
	for _, f := range r.Findings {
		if f.Severity == diagnose.SeverityError {
			return true
		}
	}
	return false
}

// Lint runs the checks of `ecrdoctor why` and the configuration-only checks
// over cfg. Replication is diagnosed by diagnose.Diagnose, the checks of
// why, on facts filled from the configuration: the registries the providers
// declare, with stand-in ids for symbolic accounts.
func Lint(cfg *Config) *Result {
	c := &linter{cfg: cfg, res: &Result{
		FormatVersion: diagnose.FormatVersion,
		Findings:      []Finding{},
		Checked:       Checked{Files: len(cfg.Files), Resources: cfg.Resources},
		Warnings:      append([]string{}, cfg.Warnings...),
	}, seen: map[string]bool{}, sources: map[diagnose.Source]Source{}, outside: map[*Replication][]Destination{}, parsed: map[*Policy]*policy.Policy{}}
	for _, reg := range cfg.Registries {
		c.singletons(reg)
		c.policies(reg)
		c.replicationLimits(reg)
	}
	for _, reg := range cfg.Registries {
		if len(reg.Replication) > 0 {
			c.replication(reg)
		}
	}
	c.outsideFindings()
	c.misplacedGrants()
	sort.SliceStable(c.res.Findings, func(i, j int) bool {
		a, b := c.res.Findings[i], c.res.Findings[j]
		if ra, rb := rank(a), rank(b); ra != rb {
			return ra < rb
		}
		if a.Location.File != b.Location.File {
			return a.Location.File < b.Location.File
		}
		return a.Location.Line < b.Location.Line
	})
	for i := range c.res.Warnings {
		c.res.Warnings[i] = cfg.Symbolize(c.res.Warnings[i])
	}
	return c.res
}

// applyFailures are the codes of configurations AWS rejects at apply: they
// come first, since nothing else takes effect until they are fixed.
var applyFailures = map[string]bool{
	diagnose.CodeRepositoryPolicyHasResource:    true,
	diagnose.CodeRegistryPolicyV1Action:         true,
	diagnose.CodeReplicationFilterInvalid:       true,
	diagnose.CodeReplicationTooManyDestinations: true,
}

// rank orders findings by severity, then apply failures, then the
// catalogue's root-cause order.
func rank(f Finding) int {
	sev := map[diagnose.Severity]int{diagnose.SeverityError: 0, diagnose.SeverityWarning: 1, diagnose.SeverityInfo: 2}[f.Severity]
	info, _ := diagnose.Lookup(f.Code)
	r := info.Rank() + 100
	if applyFailures[f.Code] {
		r -= 100
	}
	return sev*1000 + r
}

type linter struct {
	cfg  *Config
	res  *Result
	seen map[string]bool
	// sources maps the sources put in facts back to locations.
	sources map[diagnose.Source]Source
	// outside holds, per replication configuration, the destinations whose
	// account is in no file.
	outside map[*Replication][]Destination
	order   []*Replication
	// parsed holds each policy parsed once (nil when it is not valid
	// policy JSON, which is warned about once).
	parsed map[*Policy]*policy.Policy
}

func appendDest(list []Destination, d Destination) []Destination {
	for _, x := range list {
		if x.RegistryID == d.RegistryID && x.Region == d.Region {
			return list
		}
	}
	return append(list, d)
}

// outsideFindings reports, once per replication configuration, the
// destinations lint cannot check.
func (c *linter) outsideFindings() {
	for _, rep := range c.order {
		ds := c.outside[rep]
		if len(ds) == 0 {
			continue
		}
		var names, exprs []string
		for _, d := range ds {
			id := d.RegistryID
			if id == "" {
				id = d.Expr
			}
			names = append(names, id+" in "+d.Region)
			if d.Expr != "" && !slices.Contains(exprs, d.Expr) {
				exprs = append(exprs, d.Expr)
			}
		}
		list := strings.Join(names, ", ")
		if len(names) > 5 {
			list = strings.Join(names[:5], ", ") + fmt.Sprintf(" and %d more", len(names)-5)
		}
		what := "The destination " + list + " is an account"
		if len(names) > 1 {
			what = fmt.Sprintf("%d destinations (%s) are accounts", len(names), list)
		}
		c.add(Finding{
			Code: diagnose.CodeDestinationNotInConfiguration, Severity: diagnose.SeverityInfo, Location: rep.Source,
			Summary: what + " whose ECR resources are not in these files: their registry policies are not checked.",
			Detail: registryIDClause(exprs) + " no account of the configuration. Lint that account's configuration too (give both folders to one lint run), " +
				"or run `ecrdoctor why` after apply.",
		})
	}
}

func registryIDClause(exprs []string) string {
	if len(exprs) == 0 {
		return "The registry_id names"
	}
	return "registry_id = " + strings.Join(exprs, ", ") + " names"
}

func (c *linter) add(f Finding) {
	key := f.Code + "|" + f.Location.String() + "|" + f.Summary
	if c.seen[key] {
		return
	}
	c.seen[key] = true
	f.Summary, f.Detail = c.cfg.Symbolize(f.Summary), c.cfg.Symbolize(f.Detail)
	if f.Fix != nil {
		if f.Fix.Remove == nil {
			f.Fix.Remove = []Source{}
		}
		if f.Fix.Steps == nil {
			f.Fix.Steps = []string{}
		}
		for i := range f.Fix.Steps {
			f.Fix.Steps[i] = c.cfg.Symbolize(f.Fix.Steps[i])
		}
	}
	c.res.Findings = append(c.res.Findings, f)
}

func (c *linter) where(r *Registry) string {
	return fmt.Sprintf("%s in %s", r.Account.Label(), r.Region)
}

func providerNames(r *Registry) string {
	var names []string
	for _, p := range r.Providers {
		names = append(names, p.Address)
	}
	return strings.Join(names, ", ")
}

// singletons: one registry policy and one replication configuration per
// registry (FM-25).
func (c *linter) singletons(r *Registry) {
	if n := len(r.RegistryPolicies); n > 1 {
		last := r.RegistryPolicies[n-1]
		var others []string
		for _, p := range r.RegistryPolicies[:n-1] {
			others = append(others, p.Source.String())
		}
		c.add(Finding{
			Code: diagnose.CodeRegistryPolicyDuplicated, Severity: diagnose.SeverityError, Location: last.Source,
			Summary: fmt.Sprintf("%d aws_ecr_registry_policy resources manage the one registry policy of %s: each apply replaces the other's.", n, c.where(r)),
			Detail: fmt.Sprintf("ECR keeps one registry policy per account and region; %s and %s (provider %s) overwrite each other, so whichever applies last is the policy. "+
				"lint checks replication against the last one declared.", last.Source, strings.Join(others, ", "), providerNames(r)),
			Fix: &Fix{Remove: sourcesOf(r.RegistryPolicies[:n-1]), Steps: []string{"Merge the statements of every aws_ecr_registry_policy of this registry into one resource and remove the others."}},
		})
	}
	if n := len(r.Replication); n > 1 {
		last := r.Replication[n-1]
		var others []string
		for _, p := range r.Replication[:n-1] {
			others = append(others, p.Source.String())
		}
		c.add(Finding{
			Code: diagnose.CodeReplicationConfigurationDuplicated, Severity: diagnose.SeverityError, Location: last.Source,
			Summary: fmt.Sprintf("%d aws_ecr_replication_configuration resources manage the one replication configuration of %s: each apply replaces the other's rules.", n, c.where(r)),
			Detail: fmt.Sprintf("ECR keeps one replication configuration per account and region; %s and %s overwrite each other. lint checks the last one declared.",
				last.Source, strings.Join(others, ", ")),
			Fix: &Fix{Steps: []string{"Put every rule in one aws_ecr_replication_configuration and remove the others."}},
		})
	}
}

func sourcesOf(ps []*Policy) []Source {
	out := []Source{}
	for _, p := range ps {
		out = append(out, p.Source)
	}
	return out
}

// policies: what AWS refuses in a policy at apply, and duplicate Sids.
func (c *linter) policies(r *Registry) {
	for _, p := range r.RepositoryPolicies {
		doc := c.parse(p)
		if doc == nil {
			continue
		}
		for _, is := range policy.CheckRepositoryPolicy(doc) {
			c.add(Finding{
				Code: diagnose.CodeRepositoryPolicyHasResource, Severity: diagnose.SeverityError, Location: p.Source,
				Summary: fmt.Sprintf("The policy of repository %s has a %s element: AWS rejects it at apply with \"Invalid repository policy provided\".", p.Repository, lastElem(is.Path)),
				Detail: capitalize(is.Message) + ". A statement that names a Resource is written for a registry policy; " +
					"a grant of ecr:ReplicateImage belongs in aws_ecr_registry_policy, where replication looks for it.",
				Fix: &Fix{Steps: []string{fmt.Sprintf("Remove %s from the statement; if it grants replication, move the statement to aws_ecr_registry_policy instead.", is.Path)}},
			})
		}
		c.duplicateSids(p, doc)
	}
	for _, p := range r.RegistryPolicies {
		doc := c.parse(p)
		if doc == nil {
			continue
		}
		if r.PolicyScope != "" {
			for _, is := range policy.CheckRegistryPolicy(p.Text, doc, r.PolicyScope) {
				if is.Code != policy.IssueRegistryV1Action {
					continue
				}
				c.add(Finding{
					Code: diagnose.CodeRegistryPolicyV1Action, Severity: diagnose.SeverityError, Location: p.Source,
					Summary: fmt.Sprintf("The registry policy of %s names an action that registry policy scope V1 refuses: AWS rejects it at apply.", c.where(r)),
					Detail:  capitalize(is.Message) + ". The scope is set to V1 by aws_ecr_account_setting in these files.",
					Fix:     &Fix{Steps: []string{"Keep the registry policy to ecr:ReplicateImage, ecr:CreateRepository and ecr:BatchImportUpstreamImage, or set REGISTRY_POLICY_SCOPE to V2."}},
				})
			}
		}
		c.duplicateSids(p, doc)
	}
}

// misplacedGrants reports a repository policy that allows
// ecr:ReplicateImage where no replication rule of the files led why's check
// to it (a destination-only root, say). Replication never reads repository
// policies, so such a grant is misplaced whichever account replicates.
func (c *linter) misplacedGrants() {
	flagged := map[Source]bool{}
	for _, f := range c.res.Findings {
		if f.Code != diagnose.CodeGrantInRepositoryPolicy {
			continue
		}
		flagged[f.Location] = true
		if f.Fix != nil {
			for _, s := range f.Fix.Remove {
				flagged[s] = true
			}
		}
	}
	for _, r := range c.cfg.Registries {
		for _, p := range r.RepositoryPolicies {
			if flagged[p.Source] {
				continue
			}
			doc := c.parse(p)
			if doc == nil {
				continue
			}
			for _, st := range doc.Statements {
				if st.Effect != policy.Allow || !allowsAction(st, "ecr:ReplicateImage") {
					continue
				}
				name := st.Path
				if st.Sid != "" {
					name = fmt.Sprintf("%q", st.Sid)
				}
				who := "its principal"
				if st.Principal != nil && len(st.Principal.AWS) > 0 {
					who = strings.Join(st.Principal.AWS, ", ")
				}
				target := c.where(r)
				if prov := providerNames(r); prov != "" {
					target += " (" + prov + ")"
				}
				fix := &Fix{Remove: []Source{}, Steps: []string{
					fmt.Sprintf("Move statement %s to an aws_ecr_registry_policy for %s, granting the source account's root ecr:ReplicateImage and ecr:CreateRepository.", name, target),
				}}
				if p.Source.Address != "" {
					fix.Remove = append(fix.Remove, p.Source)
				} else {
					fix.Steps = append(fix.Steps, fmt.Sprintf("Remove statement %s from this repository policy.", name))
				}
				fix.Steps = append(fix.Steps, "Lint the source configuration together with this one (ecrdoctor lint SOURCE_DIR DEST_DIR) for the complete, verified policy.")
				c.add(Finding{
					Code: diagnose.CodeGrantInRepositoryPolicy, Severity: diagnose.SeverityError, Location: p.Source,
					Summary: fmt.Sprintf("Statement %s of the repository policy of %s grants ecr:ReplicateImage to %s, but replication never reads repository policies.", name, p.Repository, who),
					Detail: "Cross-account replication is authorized only by the destination's registry policy (Terraform aws_ecr_registry_policy, not aws_ecr_repository_policy). " +
						"AWS accepts this repository policy and replication then fails silently. No replication rule in these files replicates into " + c.where(r) + ", so lint cannot name the source account beyond the statement's principal.",
					Fix: fix,
				})
				break
			}
		}
	}
}

// allowsAction says whether a statement's Action (or NotAction) covers action.
func allowsAction(st policy.Statement, action string) bool {
	for _, a := range st.Action {
		if policy.MatchWildcard(a, action, true) {
			return true
		}
	}
	if len(st.NotAction) == 0 {
		return false
	}
	for _, a := range st.NotAction {
		if policy.MatchWildcard(a, action, true) {
			return false
		}
	}
	return true
}

func lastElem(path string) string {
	if i := strings.LastIndex(path, "."); i >= 0 {
		return path[i+1:]
	}
	return path
}

func (c *linter) parse(p *Policy) *policy.Policy {
	if !p.Known {
		return nil
	}
	if doc, done := c.parsed[p]; done {
		return doc
	}
	doc, err := policy.Parse([]byte(p.Text))
	if err != nil {
		c.res.Warnings = append(c.res.Warnings, fmt.Sprintf("%s: the policy is not valid policy JSON: %v", p.Source, err))
		doc = nil
	}
	c.parsed[p] = doc
	return doc
}

func (c *linter) duplicateSids(p *Policy, doc *policy.Policy) {
	first := map[string]int{}
	for i, st := range doc.Statements {
		if st.Sid == "" {
			continue
		}
		if j, dup := first[st.Sid]; dup {
			c.add(Finding{
				Code: diagnose.CodePolicyDuplicateSid, Severity: diagnose.SeverityWarning, Location: p.Source,
				Summary: fmt.Sprintf("Statements %d and %d of this policy share the Sid %q.", j+1, i+1, st.Sid),
				Detail:  "A Sid must be unique within a policy. Tools that merge statements by Sid (aws_iam_policy_document source and override documents) keep only one of them.",
				Fix:     &Fix{Steps: []string{fmt.Sprintf("Rename one of the statements %q.", st.Sid)}},
			})
			continue
		}
		first[st.Sid] = i
	}
}

// filterPattern is the API model's pattern for a repository filter (FM-11).
var filterPattern = regexp.MustCompile(`^(?:[a-z0-9]+(?:[._-][a-z0-9]*)*/)*[a-z0-9]*(?:[._-][a-z0-9]*)*$`)

func (c *linter) replicationLimits(r *Registry) {
	for _, rep := range r.Replication {
		unique := map[string]bool{}
		for _, rule := range rep.Rules {
			for _, d := range rule.Destinations {
				unique[d.RegistryID+"/"+d.Region] = true
			}
			for _, f := range rule.Filters {
				var why string
				switch {
				case f.FilterType != awsid.FilterTypePrefixMatch:
					why = fmt.Sprintf("its filter_type is %q; the only type is PREFIX_MATCH", f.FilterType)
				case strings.Contains(f.Filter, "*"):
					why = "it contains a *; filters are plain name prefixes, without wildcards"
				case len(f.Filter) < 2 || len(f.Filter) > 256 || !filterPattern.MatchString(f.Filter):
					why = "it is not a repository name prefix of 2 to 256 characters (lower-case letters, digits, '.', '_', '-' and '/')"
				default:
					continue
				}
				fix := strings.TrimRight(strings.ReplaceAll(f.Filter, "*", ""), "/")
				c.add(Finding{
					Code: diagnose.CodeReplicationFilterInvalid, Severity: diagnose.SeverityError, Location: rep.Source,
					Summary: fmt.Sprintf("The repository filter %q of the replication configuration of %s is invalid: %s.", f.Filter, c.where(r), why),
					Detail:  "PutReplicationConfiguration rejects a filter that is not a PREFIX_MATCH name prefix, so the apply fails and the previous rules stay in place.",
					Fix:     &Fix{Steps: []string{fmt.Sprintf("Write filter = %q with filter_type = \"PREFIX_MATCH\".", fix)}},
				})
			}
		}
		if len(unique) > diagnose.MaxUniqueDestinations {
			c.add(Finding{
				Code: diagnose.CodeReplicationTooManyDestinations, Severity: diagnose.SeverityError, Location: rep.Source,
				Summary: fmt.Sprintf("The replication configuration of %s names %d unique destinations; ECR accepts at most %d.", c.where(r), len(unique), diagnose.MaxUniqueDestinations),
				Detail:  "The quota of unique destinations across all rules is 25 and cannot be raised; the apply fails.",
				Fix:     &Fix{Steps: []string{"Remove destinations, or replicate in stages from a destination registry."}},
			})
		}
	}
}

// replication diagnoses each repository the source registry replicates,
// with the analysis of `why`.
func (c *linter) replication(src *Registry) {
	rep := src.Replication[len(src.Replication)-1]
	c.order = append(c.order, rep)
	for _, name := range c.candidates(src, rep) {
		report, err := diagnose.Diagnose(c.facts(src, rep, name))
		if err != nil {
			c.res.Warnings = append(c.res.Warnings, fmt.Sprintf("%s: repository %s not checked: %v", rep.Source, name, err))
			continue
		}
		for _, f := range report.Findings {
			if f.Code == diagnose.CodeReplicationTooManyDestinations {
				continue // lint's own finding says it once, as the apply failure it is
			}
			c.adopt(f, src, rep, name)
		}
	}
}

// candidates are the repository names to check: the source's repositories
// that a rule covers, or whose name a destination also declares (so a filter
// that misses them is a mistake); else, per rule, its filter prefixes.
func (c *linter) candidates(src *Registry, rep *Replication) []string {
	var out []string
	seen := map[string]bool{}
	addName := func(n string) {
		if n != "" && !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	destNames := map[string]bool{}
	for _, rule := range rep.Rules {
		for _, d := range rule.Destinations {
			if reg := c.registryOf(d); reg != nil {
				for _, r := range reg.Repositories {
					destNames[r.Name] = true
				}
			}
		}
	}
	for _, rule := range rep.Rules {
		covered := false
		for _, r := range src.Repositories {
			if !r.Known {
				continue
			}
			if ruleCovers(rule, r.Name) {
				addName(r.Name)
				covered = true
			} else if destNames[r.Name] {
				addName(r.Name)
			}
		}
		if !covered {
			for _, f := range rule.Filters {
				addName(f.Filter)
			}
		}
	}
	return out
}

func ruleCovers(rule Rule, name string) bool {
	if len(rule.Filters) == 0 {
		return true
	}
	for _, f := range rule.Filters {
		if f.FilterType == "PREFIX_MATCH" && strings.HasPrefix(name, f.Filter) {
			return true
		}
	}
	return false
}

// managed reports whether the files declare ECR resources of acct in any
// region: a provider used only to look the account up does not make its
// registry policy part of these files.
func (c *linter) managed(acct *Account) bool {
	for _, r := range c.cfg.Registries {
		if r.Account == acct {
			return true
		}
	}
	return false
}

func (c *linter) registryOf(d Destination) *Registry {
	for _, r := range c.cfg.Registries {
		if r.Account.ID == d.RegistryID && r.Region == d.Region {
			return r
		}
	}
	return nil
}

// src is the evidence source of a declaration: its file and line, and its
// address, which tells apart two declarations on one line.
func (c *linter) src(s Source) diagnose.Source {
	k := diagnose.Source{File: s.File, Line: s.Line, Name: s.Address}
	c.sources[k] = s
	return k
}

// facts are what `why` would know of repository name once the configuration
// is applied: the source's rules and, per destination, the registry policy,
// scope, repository and repository policy the files declare for it.
func (c *linter) facts(src *Registry, rep *Replication, name string) *diagnose.Facts {
	srcLoc := diagnose.Location{Account: src.Account.ID, Region: src.Region}
	f := &diagnose.Facts{Repository: name, Source: srcLoc, Rules: diagnose.RulesFact{Known: true, Source: c.src(rep.Source)}}
	index := map[diagnose.Location]int{}
	for _, rule := range rep.Rules {
		rr := diagnose.ReplicationRule{Destinations: []diagnose.ReplicationDestination{}}
		for _, d := range rule.Destinations {
			rr.Destinations = append(rr.Destinations, diagnose.ReplicationDestination{Region: d.Region, RegistryID: d.RegistryID})
		}
		for _, fl := range rule.Filters {
			rr.RepositoryFilters = append(rr.RepositoryFilters, diagnose.RepositoryFilter{Filter: fl.Filter, FilterType: fl.FilterType})
		}
		f.Rules.Rules = append(f.Rules.Rules, rr)
		prefix, ok := awsid.Covers(rr.RepositoryFilters, name)
		if !ok {
			continue
		}
		for _, d := range rule.Destinations {
			loc := diagnose.Location{Account: d.RegistryID, Region: d.Region}
			i, seen := index[loc]
			if !seen {
				i = len(f.Destinations)
				index[loc] = i
				df := diagnose.DestinationFacts{Repository: name, Source: srcLoc, Destination: loc, RulesSource: f.Rules.Source}
				if df.CrossAccount() {
					c.destinationFacts(&df, d)
				}
				f.Destinations = append(f.Destinations, df)
			}
			if !slices.Contains(f.Destinations[i].Prefixes, prefix) {
				f.Destinations[i].Prefixes = append(f.Destinations[i].Prefixes, prefix)
			}
		}
	}
	return f
}

// destinationFacts fills what the files declare for a cross-account
// destination. A registry no provider manages, of an account in the files,
// has no registry policy; one of an account not in the files is unknown.
func (c *linter) destinationFacts(df *diagnose.DestinationFacts, d Destination) {
	if d.Account == nil || !c.managed(d.Account) {
		df.RegistryPolicy = diagnose.PolicyFact{Why: "its account's ECR resources are not in these files"}
		return
	}
	reg := c.registryOf(d)
	if reg == nil {
		reg = &Registry{Account: d.Account, Region: d.Region}
	}
	where := diagnose.Source{Name: fmt.Sprintf("these files (no provider manages %s in %s)", reg.Account.Label(), reg.Region)}
	if len(reg.Providers) > 0 {
		where = diagnose.Source{Name: "these files (provider " + providerNames(reg) + ")"}
	}
	df.RegistryPolicy = diagnose.PolicyFact{State: diagnose.PolicyAbsent, Source: where,
		Err: "no aws_ecr_registry_policy for " + reg.Account.Label() + " in " + reg.Region + " in these files"}
	if n := len(reg.RegistryPolicies); n > 0 {
		df.RegistryPolicy = c.policyFact(reg.RegistryPolicies[n-1])
	}
	df.Scope = reg.PolicyScope
	df.RepositoriesSource = where
	df.RepositoryExists = diagnose.TriNo
	for _, r := range reg.Repositories {
		if r.Known && r.Name == df.Repository {
			df.RepositoryExists = diagnose.TriYes
			df.RepositoriesSource = c.src(r.Source)
			df.RepositoryPolicy = diagnose.PolicyFact{State: diagnose.PolicyAbsent, Source: c.src(r.Source),
				Err: "no aws_ecr_repository_policy for " + r.Name + " in these files"}
		}
	}
	for _, p := range reg.RepositoryPolicies {
		if p.Repository == df.Repository {
			df.RepositoryPolicy = c.policyFact(p)
		}
	}
	for _, other := range c.cfg.Registries {
		if other.Account == reg.Account && other.Region != reg.Region && len(other.RegistryPolicies) > 0 {
			if p := other.RegistryPolicies[len(other.RegistryPolicies)-1]; p.Known {
				df.OtherRegions = append(df.OtherRegions, diagnose.RegionPolicy{Region: other.Region, Policy: c.policyFact(p)})
			}
		}
	}
	sort.Slice(df.OtherRegions, func(i, j int) bool { return df.OtherRegions[i].Region < df.OtherRegions[j].Region })
}

func (c *linter) policyFact(p *Policy) diagnose.PolicyFact {
	if !p.Known {
		return diagnose.PolicyFact{Source: c.src(p.Source), Why: "known only after apply"}
	}
	return diagnose.PolicyFact{State: diagnose.PolicyPresent, Source: c.src(p.Source), Text: p.Text}
}

// adopt turns a finding of the analysis into a lint finding.
func (c *linter) adopt(f diagnose.Finding, src *Registry, rep *Replication, repo string) {
	var dst *Destination
	if f.Destination != nil {
		for _, rule := range rep.Rules {
			for i, d := range rule.Destinations {
				if d.RegistryID == f.Destination.Account && d.Region == f.Destination.Region {
					dst = &rule.Destinations[i]
				}
			}
		}
	}
	if f.Code == diagnose.CodeDestinationUnreadable {
		if dst != nil && (dst.Account == nil || !c.managed(dst.Account)) {
			c.outside[rep] = appendDest(c.outside[rep], *dst)
		}
		// Otherwise the policy is not known before apply; the warnings say so.
		return
	}
	out := Finding{Code: f.Code, Severity: f.Severity, Summary: f.Summary, Detail: f.Detail, Location: rep.Source}
	for _, ev := range f.Evidence {
		if s, ok := c.sources[ev.Source]; ok && ev.Kind != diagnose.EvidenceReplicationConfiguration {
			out.Location = s
			break
		}
	}
	if f.Code == diagnose.CodeCreateRepositoryNotAllowed {
		out.Severity = diagnose.SeverityWarning
		out.Detail += " The repository may exist outside these files: then replication works."
	}
	if f.Code == diagnose.CodeRegistryPolicyMissing {
		out.Detail = notFoundSentence.ReplaceAllString(out.Detail, "No aws_ecr_registry_policy of these files is for $1.")
	}
	if f.Fix != nil {
		out.Fix = &Fix{Verified: f.Fix.Verified}
		if !src.Account.Known {
			// The fix's Sid names the source account; a stand-in id would
			// become the account id only after apply.
			sid := "AllowReplicationFrom" + src.Account.ID
			f.Fix.RegistryPolicy = json.RawMessage(strings.ReplaceAll(string(f.Fix.RegistryPolicy), sid, "AllowReplicationFromSource"))
			for i := range f.Fix.Steps {
				f.Fix.Steps[i] = strings.ReplaceAll(f.Fix.Steps[i], sid, "AllowReplicationFromSource")
			}
		}
		redrive := false
		for _, st := range f.Fix.Steps {
			if strings.Contains(st, "backfill") || strings.Contains(st, "ECR does not retry") || strings.Contains(st, "push the images you need again") {
				// why's re-drive step names commands lint does not print.
				if !redrive {
					redrive = true
					out.Fix.Steps = append(out.Fix.Steps, redriveStep)
				}
				continue
			}
			if strings.Contains(st, "aws command below") {
				st = "Add the aws_ecr_registry_policy block below to the configuration" + providerClause(c.registryOf(derefDest(dst))) + "."
				if reg := c.registryOf(derefDest(dst)); reg != nil && len(reg.RegistryPolicies) > 0 {
					old := reg.RegistryPolicies[len(reg.RegistryPolicies)-1]
					st = "Replace " + old.Source.Address + " (" + old.Source.File + fmt.Sprintf(":%d", old.Source.Line) + ") with the block below."
				}
			}
			out.Fix.Steps = append(out.Fix.Steps, st)
		}
		if dst != nil && len(f.Fix.RegistryPolicy) > 0 {
			if reg := c.registryOf(*dst); reg != nil || dst.Account != nil {
				if reg == nil {
					reg = &Registry{Account: dst.Account, Region: dst.Region}
				}
				out.Fix.Terraform = c.registryPolicyBlock(reg, src, f.Fix.RegistryPolicy)
			}
		}
		if f.Code == diagnose.CodeGrantInRepositoryPolicy && dst != nil {
			if reg := c.registryOf(*dst); reg != nil {
				for _, p := range reg.RepositoryPolicies {
					if p.Repository == repo {
						out.Fix.Remove = append(out.Fix.Remove, p.Source)
					}
				}
			}
		}
	}
	c.add(out)
}

// redriveStep stands for why's re-drive step: images pushed before the fix
// is applied do not replicate by themselves.
const redriveStep = "After apply, images pushed before the fix do not replicate by themselves: push them again, or run a replication backfill once the fix is in place (`ecrdoctor why` prints the command)."

var notFoundSentence = regexp.MustCompile(`get-registry-policy in (\S+) returns RegistryPolicyNotFoundException\.?`)

func derefDest(d *Destination) Destination {
	if d == nil {
		return Destination{}
	}
	return *d
}

func providerClause(r *Registry) string {
	if r == nil || len(r.Providers) == 0 {
		return " of the destination account"
	}
	return ", with provider " + r.Providers[0].Address
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// registryPolicyBlock writes the corrected aws_ecr_registry_policy for reg
// in HCL: jsonencode of the policy, with the accounts written as the
// configuration's own references.
func (c *linter) registryPolicyBlock(reg, src *Registry, policyJSON json.RawMessage) string {
	var b strings.Builder
	name, provider := "replication", ""
	if n := len(reg.RegistryPolicies); n > 0 {
		addr := reg.RegistryPolicies[n-1].Source.Address
		if i := strings.LastIndex(addr, "aws_ecr_registry_policy."); i >= 0 && !strings.HasPrefix(addr, "module.") {
			name = strings.TrimPrefix(addr[i:], "aws_ecr_registry_policy.")
		}
	}
	if len(reg.Providers) > 0 && reg.Providers[0].Address != "aws" {
		provider = reg.Providers[0].Address
	}
	refs := map[string]string{}
	for _, acct := range []*Account{src.Account, reg.Account} {
		if acct == nil || refs[acct.ID] != "" {
			continue
		}
		if acct.Ref != "" {
			refs[acct.ID] = acct.Ref
			continue
		}
		if acct.Known {
			continue
		}
		alias := "dest"
		prov := ""
		for _, r := range c.cfg.Registries {
			if r.Account == acct && len(r.Providers) > 0 {
				prov = r.Providers[0].Address
				break
			}
		}
		if acct == src.Account {
			alias = "source"
		}
		fmt.Fprintf(&b, "data \"aws_caller_identity\" %q {\n", alias)
		if prov != "" && prov != "aws" {
			fmt.Fprintf(&b, "  provider = %s\n", prov)
		}
		b.WriteString("}\n\n")
		refs[acct.ID] = "data.aws_caller_identity." + alias + ".account_id"
	}
	fmt.Fprintf(&b, "resource \"aws_ecr_registry_policy\" %q {\n", name)
	if provider != "" {
		fmt.Fprintf(&b, "  provider = %s\n\n", provider)
	}
	b.WriteString("  policy = jsonencode(")
	hcl, err := jsonToHCL(policyJSON, "  ", refs)
	if err != nil {
		return ""
	}
	b.WriteString(hcl)
	b.WriteString(")\n}\n")
	return c.cfg.Symbolize(b.String())
}
