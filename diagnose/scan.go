package diagnose

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/ecrdoctor/ecrdoctor/diagnose/awsid"
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
		slices.SortFunc(sources, Location.Compare)
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

// ScanSources lists the registries of s that have readable replication
// rules, sorted: what a scan covers when no source is named.
func ScanSources(s *Snapshot) []Location {
	var out []Location
	for loc, reg := range s.Registries {
		if reg.DescribeRegistry.OK() && reg.DescribeRegistry.Value.ReplicationConfiguration != nil && len(reg.DescribeRegistry.Value.ReplicationConfiguration.Rules) > 0 {
			out = append(out, loc)
		}
	}
	slices.SortFunc(out, Location.Compare)
	return out
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
