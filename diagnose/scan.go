package diagnose

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/ecrdoctor/ecrdoctor/diagnose/awsid"
	"github.com/ecrdoctor/ecrdoctor/diagnose/policy"
	"github.com/ecrdoctor/ecrdoctor/diagnose/trail"
)

// A scan answers `why` for every repository × destination of one or more
// source registries at once, with the same facts and checks: each pair is
// one Diagnose of the facts FactsFromSnapshot derives for its repository.
// What a registry shares (its rules, the destinations' registry policies)
// is read once and parsed once for the whole scan; CloudTrail events are
// split by repository once. The report groups the root causes by code and
// destination, and gives one registry-policy fix per destination, since one
// grant there heals every repository behind it.

// ScanFormatVersion is the version of the scan's JSON report.
const ScanFormatVersion = "1"

// ScanOptions choose what a scan covers.
type ScanOptions struct {
	// Sources are the source registries to scan; each must be in the
	// snapshot. Empty means every registry with readable replication rules.
	Sources []Location
	// RepoPrefix keeps only repositories whose names start with it.
	RepoPrefix string
	// Repository, when set, is the only repository scanned (a snapshot
	// captured for one repository knows nothing of the others).
	Repository string
}

// ScanReport is the one result every scan renderer draws from. Field names
// are an interface: dashboards parse them.
type ScanReport struct {
	FormatVersion string `json:"format_version"`
	// CapturedAt is when the facts were read (RFC 3339).
	CapturedAt string `json:"captured_at,omitempty"`
	// Verdict is failing when any pair fails, unknown when none fails but
	// some are unknown (or a source could not be read), healthy otherwise.
	Verdict Verdict     `json:"verdict"`
	Summary ScanSummary `json:"summary"`
	// Sources are the source registries scanned, sorted.
	Sources []ScanSource `json:"sources"`
	// Destinations are the matrix's columns: every destination of a pair,
	// sorted.
	Destinations []ScanDestination `json:"destinations"`
	// Pairs are one entry per repository × destination, sorted by source,
	// repository, destination.
	Pairs []ScanPair `json:"pairs"`
	// RootCauses group the failing and unknown pairs by root-cause code
	// and destination, in the catalogue's order.
	RootCauses []ScanRootCause `json:"root_causes"`
	// Fixes are one per destination whose registry policy a grant fixes.
	Fixes    []ScanFix `json:"fixes"`
	Warnings []string  `json:"warnings"`
	// APICalls counts live AWS calls per service; absent for snapshots.
	APICalls map[string]int `json:"api_calls,omitempty"`
}

// ScanSummary counts the pairs by verdict.
type ScanSummary struct {
	Sources      int `json:"sources"`
	Repositories int `json:"repositories"`
	Pairs        int `json:"pairs"`
	Healthy      int `json:"healthy"`
	Failing      int `json:"failing"`
	Unknown      int `json:"unknown"`
}

// ScanSource is one source registry of a scan.
type ScanSource struct {
	Location
	// Verdict is unknown when its rules or repositories could not be read.
	Verdict Verdict `json:"verdict"`
	// Rules is the number of replication rules (0 with RulesKnown false
	// when they could not be read).
	Rules      int  `json:"rules"`
	RulesKnown bool `json:"rules_known"`
	// Repositories is how many repositories the registry lists (after
	// --repo-prefix); Covered how many of them a rule replicates.
	Repositories int `json:"repositories"`
	Covered      int `json:"covered"`
	// NotCovered names the repositories no rule replicates: not checked.
	NotCovered []string `json:"not_covered"`
	// Note says why nothing was checked ("no replication rules"), or "".
	Note string `json:"note,omitempty"`
	// Readable is false when its rules or its repositories could not be
	// read: nothing of it was checked. A scan with no readable source
	// could not run (exit 3).
	Readable bool `json:"readable"`
}

// ScanDestination is one column of the matrix.
type ScanDestination struct {
	Location
	// CrossAccount is true when a source replicating there is in another
	// account (its registry policy decides).
	CrossAccount bool `json:"cross_account"`
	// Kind says which: DestinationSameAccount, DestinationCrossAccount, or
	// DestinationMixed when it is in the account of some of its sources
	// and not of others.
	Kind string `json:"kind"`
}

// The kinds of a scan's destination.
const (
	DestinationSameAccount  = "same account"
	DestinationCrossAccount = "cross-account"
	DestinationMixed        = "mixed"
)

// ScanPair is the verdict for one repository × destination.
type ScanPair struct {
	Source      Location `json:"source"`
	Repository  string   `json:"repository"`
	Destination Location `json:"destination"`
	Verdict     Verdict  `json:"verdict"`
	// RootCause is the code of the first error (failing) or warning
	// (unknown); "" when healthy.
	RootCause string `json:"root_cause"`
	// Codes are every finding code of the pair, in report order.
	Codes []string `json:"codes"`
	// Summary is the root cause's summary, or the healthy note.
	Summary string `json:"summary"`
	// Findings are the pair's findings with their evidence. Their fix is
	// the pair's own: for a grant, the destination's ScanFix is the one
	// to apply, since it covers every pair behind it.
	Findings []Finding `json:"findings"`
}

// ScanRootCause is one code at one destination, with the pairs it affects.
type ScanRootCause struct {
	Code     string   `json:"code"`
	Severity Severity `json:"severity"`
	Title    string   `json:"title"`
	// Destination is the registry the pairs replicate to.
	Destination Location `json:"destination"`
	// Pairs name the affected repositories, sorted.
	Pairs []ScanPairRef `json:"pairs"`
	// Summary is the first pair's root-cause summary; Evidence its
	// evidence.
	Summary  string     `json:"summary"`
	Evidence []Evidence `json:"evidence"`
	// FixedBy says the destination's ScanFix heals these pairs.
	FixedBy bool `json:"fixed_by_destination_fix"`
}

// ScanPairRef names one pair.
type ScanPairRef struct {
	Source     Location `json:"source"`
	Repository string   `json:"repository"`
}

// ScanFix is the registry-policy change for one destination that heals
// every failing pair whose root cause a grant fixes.
type ScanFix struct {
	Destination Location `json:"destination"`
	// Codes are the root causes it heals; Repositories how many pairs.
	Codes []string `json:"codes"`
	Pairs int      `json:"pairs"`
	Fix   Fix      `json:"fix"`
	// RepositorySteps are what to do besides in each repository the fix
	// heals: take the grant out of its repository policy where it was
	// misplaced (GRANT_IN_REPOSITORY_POLICY). Sorted by source and
	// repository.
	RepositorySteps []ScanRepositoryStep `json:"repository_steps"`
}

// ScanRepositoryStep is the repository's own part of a destination's fix.
type ScanRepositoryStep struct {
	Source     Location `json:"source"`
	Repository string   `json:"repository"`
	Steps      []string `json:"steps"`
}

// Scan diagnoses every repository × destination of the sources in s.
// s.Source and s.Repository are ignored. It returns an error only when the
// snapshot holds something it cannot interpret.
func Scan(s *Snapshot, opts ScanOptions) (*ScanReport, error) {
	rep := &ScanReport{
		FormatVersion: ScanFormatVersion,
		CapturedAt:    rfc3339(s.CapturedAt),
		Sources:       []ScanSource{},
		Destinations:  []ScanDestination{},
		Pairs:         []ScanPair{},
		RootCauses:    []ScanRootCause{},
		Fixes:         []ScanFix{},
		Warnings:      append([]string{}, s.Warnings...),
		APICalls:      s.APICalls,
	}
	sources := opts.Sources
	if len(sources) == 0 {
		sources = ScanSources(s)
	} else {
		sources = slices.Clone(sources)
		sortLocations(sources)
	}
	// CloudTrail split once by repository and by the account whose
	// replication role made the call: two sources may each have a
	// repository of the same name. A call whose caller is not recorded
	// goes to every source; one made by an account that is not scanned
	// stays with the name, where FactsFromSnapshot counts it as foreign.
	scanned := map[string]bool{}
	for _, src := range sources {
		scanned[src.Account] = true
	}
	type repoKey struct{ account, repo string }
	byRepo := map[repoKey][]trail.Event{}
	for _, e := range s.Events {
		if e.CallerAccount != "" && scanned[e.CallerAccount] {
			k := repoKey{e.CallerAccount, e.Repository}
			byRepo[k] = append(byRepo[k], e)
			continue
		}
		for acct := range scanned {
			k := repoKey{acct, e.Repository}
			byRepo[k] = append(byRepo[k], e)
		}
	}
	parsed := map[string]*parsedPolicy{}
	warned := map[string]bool{}
	for _, w := range rep.Warnings {
		warned[w] = true
	}
	var units []*scanUnit
	for _, src := range sources {
		ss, repos := scanSource(s, src, opts)
		rep.Sources = append(rep.Sources, ss)
		if !ss.Readable {
			// A partial read: the other sources' pairs stand, this one's
			// repositories are unknown, not healthy.
			w := fmt.Sprintf("source registry %s: %s: its repositories were not checked", src, ss.Note)
			if !warned[w] {
				warned[w] = true
				rep.Warnings = append(rep.Warnings, w)
			}
		}
		for _, repo := range repos {
			sub := *s
			sub.Source, sub.Repository, sub.Events, sub.Warnings = src, repo, byRepo[repoKey{src.Account, repo}], nil
			facts := FactsFromSnapshot(&sub)
			run := newRun(facts, parsed)
			run.grants, run.cleanup = map[Location]*DestinationFacts{}, map[Location][]string{}
			r, err := run.diagnose(facts)
			if err != nil {
				return nil, err
			}
			for _, w := range r.Warnings {
				if !warned[w] {
					warned[w] = true
					rep.Warnings = append(rep.Warnings, w)
				}
			}
			units = append(units, &scanUnit{facts: facts, report: r, grants: run.grants, cleanup: run.cleanup})
		}
	}
	rep.collect(units)
	if err := rep.buildFixes(units, parsed); err != nil {
		return nil, err
	}
	rep.finish()
	return rep, nil
}

// scanUnit is one repository of a scan: its facts and its report.
type scanUnit struct {
	facts  *Facts
	report *Report
	// grants are its destinations whose root cause a grant fixes.
	grants map[Location]*DestinationFacts
	// cleanup are the repository-policy steps of its destinations.
	cleanup map[Location][]string
}

// scanFix is attachFix in a scan: a root cause that a registry-policy
// grant fixes gets the steps that belong to this repository (taking a
// misplaced grant out of its repository policy), and the destination is
// noted for the one fix the scan builds for all its repositories.
func (r *run) scanFix(d *destination, found []Finding) {
	target := slices.IndexFunc(found, func(f Finding) bool { return f.Severity == SeverityError })
	if target < 0 || !grantFixes(found[target]) {
		return
	}
	if d.path == pathDenied && d.replicate.Decision == policy.DecisionExplicitDeny {
		// No grant heals an explicit Deny: the pair keeps why's own fix
		// (what to decide about the Deny), and the destination's one fix
		// is for the repositories a grant does heal.
		attachFix(d, found)
		return
	}
	r.grants[d.Destination] = d.DestinationFacts
	fix := &Fix{Steps: []string{}}
	if prior := found[target].Fix; prior != nil {
		fix.Steps = slices.Clone(prior.Steps)
	}
	fix.Steps = append(fix.Steps, fmt.Sprintf("Apply the registry-policy fix of %s: one grant there heals every repository this scan found failing behind it.", d.Destination))
	if slices.ContainsFunc(found, func(f Finding) bool { return f.Code == CodeGrantInRepositoryPolicy }) {
		steps := misplacedRemovalSteps(d.repoPolicy.text, d.repoGrants, d.Repository, d.Destination)
		fix.Steps = append(fix.Steps, steps...)
		r.cleanup[d.Destination] = steps
	}
	explicitDenyCaveat(d, fix, &found[target])
	found[target].Fix = fix
}

// ScanSources lists the registries of s that have readable replication
// rules, sorted: what a scan covers when no source is named.
func ScanSources(s *Snapshot) []Location {
	var out []Location
	for loc, reg := range s.Registries {
		if reg.DescribeRegistry.OK() && reg.DescribeRegistry.Value.ReplicationConfiguration != nil && len(reg.DescribeRegistry.Value.ReplicationConfiguration.Rules) > 0 {
			out = append(out, loc)
		}
	}
	sortLocations(out)
	return out
}

func sortLocations(locs []Location) {
	sort.Slice(locs, func(i, j int) bool {
		if locs[i].Account != locs[j].Account {
			return locs[i].Account < locs[j].Account
		}
		return locs[i].Region < locs[j].Region
	})
}

// scanSource reads one source registry's rules and repositories: the
// repositories a rule covers are returned to be diagnosed.
func scanSource(s *Snapshot, src Location, opts ScanOptions) (ScanSource, []string) {
	prefix := opts.RepoPrefix
	ss := ScanSource{Location: src, Verdict: Unknown, NotCovered: []string{}}
	reg := s.Registry(src)
	switch {
	case reg == nil:
		ss.Note = "not collected"
		return ss, nil
	case !reg.DescribeRegistry.OK():
		ss.Note = "replication rules unreadable (describe-registry): " + readWhy(reg.DescribeRegistry.State, reg.DescribeRegistry.Err)
		return ss, nil
	}
	ss.RulesKnown = true
	var rules []ReplicationRule
	if cfg := reg.DescribeRegistry.Value.ReplicationConfiguration; cfg != nil {
		rules = cfg.Rules
	}
	ss.Rules = len(rules)
	if !reg.Repositories.OK() {
		ss.Note = "repositories unreadable (describe-repositories): " + readWhy(reg.Repositories.State, reg.Repositories.Err)
		return ss, nil
	}
	var covered []string
	seen := map[string]bool{}
	for _, repo := range reg.Repositories.Value.Repositories {
		name := repo.RepositoryName
		if !strings.HasPrefix(name, prefix) || opts.Repository != "" && name != opts.Repository || seen[name] {
			continue
		}
		seen[name] = true
		ss.Repositories++
		if scanCovers(rules, name) {
			covered = append(covered, name)
		} else {
			ss.NotCovered = append(ss.NotCovered, name)
		}
	}
	sort.Strings(covered)
	sort.Strings(ss.NotCovered)
	ss.Covered = len(covered)
	ss.Readable = true
	ss.Verdict = Healthy // until a pair says otherwise (finish)
	switch {
	case reg.Repositories.Value.NextToken != "":
		ss.Verdict = Unknown
		ss.Note = "describe-repositories returned one page of several: repositories on the other pages were not checked"
	case len(rules) == 0:
		ss.Note = "no replication rules: nothing is replicated from this registry"
	case len(covered) == 0 && ss.Repositories > 0:
		ss.Note = "no repository is covered by a replication rule's filters"
	case ss.Repositories == 0 && prefix != "":
		ss.Note = fmt.Sprintf("no repository starts with %q", prefix)
	case ss.Repositories == 0:
		ss.Note = "no repositories"
	}
	return ss, covered
}

func scanCovers(rules []ReplicationRule, repo string) bool {
	for _, r := range rules {
		if _, ok := awsid.Covers(r.RepositoryFilters, repo); ok && len(r.Destinations) > 0 {
			return true
		}
	}
	return false
}

func readWhy(state ReadState, err *APIError) string {
	if state == Failed && err != nil {
		return err.Error()
	}
	return "not collected"
}

// collect turns the reports into pairs and root-cause groups.
func (rep *ScanReport) collect(units []*scanUnit) {
	dests := map[Location]int{} // index in rep.Destinations
	type key struct {
		code string
		dst  Location
	}
	groups := map[key]*ScanRootCause{}
	for _, u := range units {
		r := u.report
		for _, dr := range r.Destinations {
			loc := dr.Location()
			kind := DestinationSameAccount
			if dr.CrossAccount {
				kind = DestinationCrossAccount
			}
			if i, ok := dests[loc]; !ok {
				dests[loc] = len(rep.Destinations)
				rep.Destinations = append(rep.Destinations, ScanDestination{Location: loc, CrossAccount: dr.CrossAccount, Kind: kind})
			} else if d := &rep.Destinations[i]; d.Kind != kind {
				// Another region of one source, another account of the next.
				d.Kind, d.CrossAccount = DestinationMixed, true
			}
			p := ScanPair{Source: r.Source, Repository: r.Repository, Destination: loc, Verdict: dr.Verdict, Codes: []string{}, Findings: []Finding{}, Summary: dr.Note}
			var root *Finding
			for i := range r.Findings {
				f := &r.Findings[i]
				if f.Destination == nil || *f.Destination != loc {
					continue
				}
				p.Codes = append(p.Codes, f.Code)
				p.Findings = append(p.Findings, *f)
				if root == nil && (dr.Verdict == Failing && f.Severity == SeverityError || dr.Verdict == Unknown && f.Severity == SeverityWarning) {
					root = f
				}
			}
			if root != nil {
				p.RootCause, p.Summary = root.Code, root.Summary
				k := key{root.Code, loc}
				g := groups[k]
				if g == nil {
					info, _ := Lookup(root.Code)
					g = &ScanRootCause{Code: root.Code, Severity: root.Severity, Title: info.Title, Destination: loc, Summary: root.Summary, Evidence: root.Evidence}
					groups[k] = g
				}
				g.Pairs = append(g.Pairs, ScanPairRef{Source: r.Source, Repository: r.Repository})
			} else if dr.Verdict == Unknown && p.Summary == "" {
				p.Summary = "Unknown: " + strings.Join(destinationWarnings(u.facts, loc), "; ")
			}
			rep.Pairs = append(rep.Pairs, p)
		}
	}
	sort.Slice(rep.Destinations, func(i, j int) bool { return locLess(rep.Destinations[i].Location, rep.Destinations[j].Location) })
	sort.SliceStable(rep.Pairs, func(i, j int) bool {
		a, b := rep.Pairs[i], rep.Pairs[j]
		switch {
		case a.Source != b.Source:
			return locLess(a.Source, b.Source)
		case a.Repository != b.Repository:
			return a.Repository < b.Repository
		}
		return locLess(a.Destination, b.Destination)
	})
	for _, g := range groups {
		sort.Slice(g.Pairs, func(i, j int) bool {
			if g.Pairs[i].Source != g.Pairs[j].Source {
				return locLess(g.Pairs[i].Source, g.Pairs[j].Source)
			}
			return g.Pairs[i].Repository < g.Pairs[j].Repository
		})
		rep.RootCauses = append(rep.RootCauses, *g)
	}
	sevRank := map[Severity]int{SeverityError: 0, SeverityWarning: 1, SeverityInfo: 2}
	sort.Slice(rep.RootCauses, func(i, j int) bool {
		a, b := rep.RootCauses[i], rep.RootCauses[j]
		switch {
		case sevRank[a.Severity] != sevRank[b.Severity]:
			return sevRank[a.Severity] < sevRank[b.Severity]
		case codeRank(a.Code) != codeRank(b.Code):
			return codeRank(a.Code) < codeRank(b.Code)
		}
		return locLess(a.Destination, b.Destination)
	})
}

func destinationWarnings(f *Facts, loc Location) []string {
	for _, d := range f.Destinations {
		if d.Destination == loc && len(d.Warnings) > 0 {
			return d.Warnings
		}
	}
	return []string{"the facts do not settle it"}
}

func locLess(a, b Location) bool {
	if a.Account != b.Account {
		return a.Account < b.Account
	}
	return a.Region < b.Region
}

// finish counts the pairs and sets the verdicts.
func (rep *ScanReport) finish() {
	sum := &rep.Summary
	sum.Sources = len(rep.Sources)
	repos := map[ScanPairRef]bool{}
	srcVerdict := map[Location]Verdict{}
	for _, p := range rep.Pairs {
		repos[ScanPairRef{Source: p.Source, Repository: p.Repository}] = true
		sum.Pairs++
		switch p.Verdict {
		case Healthy:
			sum.Healthy++
		case Failing:
			sum.Failing++
			srcVerdict[p.Source] = Failing
		default:
			sum.Unknown++
			if srcVerdict[p.Source] != Failing {
				srcVerdict[p.Source] = Unknown
			}
		}
	}
	sum.Repositories = len(repos)
	verdict := Healthy
	for i := range rep.Sources {
		s := &rep.Sources[i]
		switch v, ok := srcVerdict[s.Location]; {
		case ok && v == Failing:
			s.Verdict = Failing
		case ok && s.Verdict == Healthy:
			s.Verdict = v
		}
		switch {
		case s.Verdict == Failing:
			verdict = Failing
		case s.Verdict == Unknown && verdict != Failing:
			verdict = Unknown
		}
	}
	if len(rep.Sources) == 0 {
		verdict = Unknown // nothing was scanned: not "all healthy"
	}
	rep.Verdict = verdict
}

// buildFixes gives each destination one registry-policy fix for all its
// failing pairs whose root cause a grant fixes: the pairs' own grants
// merged, for every source account and filter prefix behind them, and
// verified like a pair's.
func (rep *ScanReport) buildFixes(units []*scanUnit, parsed map[string]*parsedPolicy) error {
	type want struct {
		facts []*DestinationFacts
		codes []string
		steps []ScanRepositoryStep
	}
	wants := map[Location]*want{}
	var order []Location
	for _, u := range units {
		for dst, df := range u.grants {
			w := wants[dst]
			if w == nil {
				w = &want{}
				wants[dst] = w
				order = append(order, dst)
			}
			w.facts = append(w.facts, df)
			if steps := u.cleanup[dst]; len(steps) > 0 {
				// Units come sorted by source and repository.
				w.steps = append(w.steps, ScanRepositoryStep{Source: u.report.Source, Repository: u.report.Repository, Steps: steps})
			}
			if root := rootFinding(u.report, dst); root != nil {
				w.codes = appendUnique(w.codes, root.Code)
			}
		}
	}
	sort.Slice(order, func(i, j int) bool { return locLess(order[i], order[j]) })
	for _, dst := range order {
		w := wants[dst]
		fix, err := destinationFix(w.facts, parsed)
		if err != nil {
			return err
		}
		sort.Slice(w.codes, func(i, j int) bool { return codeRank(w.codes[i]) < codeRank(w.codes[j]) })
		if w.steps == nil {
			w.steps = []ScanRepositoryStep{}
		}
		rep.Fixes = append(rep.Fixes, ScanFix{Destination: dst, Codes: w.codes, Pairs: len(w.facts), Fix: *fix, RepositorySteps: w.steps})
		for i := range rep.RootCauses {
			if rep.RootCauses[i].Destination == dst && slices.Contains(w.codes, rep.RootCauses[i].Code) {
				rep.RootCauses[i].FixedBy = true
			}
		}
	}
	return nil
}

// rootFinding is the first error of r at dst, or nil.
func rootFinding(r *Report, dst Location) *Finding {
	for i := range r.Findings {
		f := &r.Findings[i]
		if f.Destination != nil && *f.Destination == dst && f.Severity == SeverityError {
			return f
		}
	}
	return nil
}

// destinationFix merges the grants of every (source account, prefixes)
// behind one destination into its registry policy, one source at a time,
// with the builder a pair's fix comes from; the merged policy is then
// verified against the requests of every pair it is meant to heal.
func destinationFix(facts []*DestinationFacts, parsed map[string]*parsedPolicy) (*Fix, error) {
	type grant struct {
		df       DestinationFacts
		prefixes []string
	}
	bySource := map[string]*grant{}
	var accounts []string
	for _, df := range facts {
		g := bySource[df.Source.Account]
		if g == nil {
			g = &grant{df: *df}
			// The destination-wide grant: the repository-specific facts
			// (its policy, its events) stay with the pair.
			g.df.RepositoryPolicy = PolicyFact{}
			g.df.Denied, g.df.Succeeded, g.df.Failed = nil, nil, nil
			bySource[df.Source.Account] = g
			accounts = append(accounts, df.Source.Account)
		}
		for _, p := range df.Prefixes {
			g.prefixes = appendUnique(g.prefixes, p)
		}
		if df.RepositoryExists != TriYes {
			g.df.RepositoryExists = TriNo
		}
	}
	sort.Strings(accounts)
	r := &run{report: &Report{}, parsed: parsed}
	var fix *Fix
	var backfill []string
	current := facts[0].RegistryPolicy
	for _, acct := range accounts {
		g := bySource[acct]
		sort.Strings(g.prefixes)
		g.df.Prefixes = g.prefixes
		g.df.RegistryPolicy = current
		d, err := r.derive(&g.df)
		if err != nil {
			return nil, err
		}
		f := buildFix(d, nil)
		if len(f.RegistryPolicy) == 0 {
			return f, nil // a grant cannot fix it: its steps say why
		}
		fix = f
		if f.Backfill != "" {
			backfill = append(backfill, fmt.Sprintf("# with the credentials of the source %s\n%s", g.df.Source, f.Backfill))
		}
		current = PolicyFact{State: PolicyPresent, Text: string(f.RegistryPolicy), Source: current.Source}
	}
	if len(accounts) > 1 {
		last := bySource[accounts[len(accounts)-1]].df
		for i, st := range fix.Steps {
			// The backfill step names the last source; the commands are
			// one per source, each headed by the account to run it as.
			st = strings.Replace(st, fmt.Sprintf("the source account %s's credentials", last.Source.Account), "the credentials of the source account above each one", 1)
			fix.Steps[i] = strings.Replace(st, "not only "+last.Repository+".", "not only the repositories of this scan.", 1)
		}
		fix.Steps = append([]string{mergedStep(facts[0], current, accounts)}, fix.Steps[1:]...)
		fix.Backfill = strings.Join(backfill, "\n")
		fix.Terraform = terraformRegistryPolicy(facts[0].Destination, "replication", fix.RegistryPolicy)
	}
	if fix.Verified {
		// Each source's fix was verified for its own first repository;
		// the merged policy must allow every pair's requests.
		merged, err := r.parse(current)
		if err != nil {
			return nil, err
		}
		for _, df := range facts {
			d := &destination{DestinationFacts: df, arn: awsid.RepositoryARN(df.Destination, df.Repository)}
			acts := []string{actionReplicate}
			if df.RepositoryExists != TriYes {
				acts = append(acts, actionCreate)
			}
			for _, act := range acts {
				if res := d.evaluate(merged, d.request(act)); res.Decision != policy.DecisionAllow {
					fix.Verified = false
					fix.Steps = append(fix.Steps, fmt.Sprintf("The merged policy does not allow %s for %s (%s): review it before applying.", act, df.Repository, res.Summary))
				}
			}
		}
	}
	return fix, nil
}

// mergedStep says in one step what the registry policy merged for several
// source accounts does: the statements kept and replaced, and the one added
// for each source.
func mergedStep(df *DestinationFacts, merged PolicyFact, accounts []string) string {
	after := map[string]bool{}
	var added []string
	if _, stmts, err := splitPolicy(merged.Text); err == nil {
		for _, st := range stmts {
			after[statementSid(st)] = true
		}
	}
	before := map[string]bool{}
	kept := 0
	var replaced []string
	if df.RegistryPolicy.State == PolicyPresent {
		if _, stmts, err := splitPolicy(df.RegistryPolicy.Text); err == nil {
			for _, st := range stmts {
				sid := statementSid(st)
				before[sid] = true
				switch {
				case sid != "" && after[sid]:
					kept++
				case sid == "":
					kept++ // unnamed statements are kept as they are
				default:
					replaced = append(replaced, fmt.Sprintf("%q", sid))
				}
			}
		}
	}
	if _, stmts, err := splitPolicy(merged.Text); err == nil {
		for _, st := range stmts {
			if sid := statementSid(st); sid != "" && !before[sid] {
				added = append(added, fmt.Sprintf("%q", sid))
			}
		}
	}
	verb, what := "Create", ""
	if df.RegistryPolicy.State == PolicyPresent {
		verb = "Put"
		what = fmt.Sprintf(" it keeps %d existing statement(s) unchanged,", kept)
		if len(replaced) > 0 {
			what += fmt.Sprintf(" replaces %s (diagnosed above as wrong),", strings.Join(replaced, " and "))
		}
		what += " and"
	}
	return fmt.Sprintf("%s this registry policy in account %s, region %s:%s adds one statement for each source account that replicates here (%s: %s), each allowing that account what its repositories need.",
		verb, df.Destination.Account, df.Destination.Region, what, strings.Join(accounts, ", "), strings.Join(added, ", "))
}

func statementSid(st json.RawMessage) string {
	var x struct{ Sid string }
	_ = json.Unmarshal(st, &x)
	return x.Sid
}
