package diagnose

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/ecrdoctor/ecrdoctor/diagnose/awsid"
	"github.com/ecrdoctor/ecrdoctor/diagnose/policy"
	"github.com/ecrdoctor/ecrdoctor/diagnose/trail"
)

// Analyze diagnoses the replication of s.Repository from s.Source. It returns
// an error only when the snapshot holds something it cannot interpret, such as
// a policyText that is not a policy; missing data makes the verdict unknown.
func Analyze(s *Snapshot) (*Report, error) {
	a := &analysis{snap: s, report: &Report{
		FormatVersion: FormatVersion,
		Repository:    s.Repository,
		Source:        s.Source,
		Verdict:       Healthy,
		Destinations:  []DestinationReport{},
		Findings:      []Finding{},
		Warnings:      append([]string{}, s.Warnings...),
		APICalls:      s.APICalls,
	}}
	var foreign map[string]int
	a.events, foreign = relevantEvents(s)
	for _, acct := range slices.Sorted(maps.Keys(foreign)) {
		a.warn("%d replication event(s) for %s were made by the replication role of account %s, not of the source %s: not counted", foreign[acct], s.Repository, acct, s.Source.Account)
	}
	a.status = a.statuses()
	a.report.Events = summarizeEvents(s, a.events)

	dests, ok := a.checkSource()
	for _, d := range dests {
		if err := a.checkDestination(d); err != nil {
			return nil, err
		}
		a.deleteReplication(d)
	}
	a.finish(ok)
	return a.report, nil
}

type analysis struct {
	snap   *Snapshot
	report *Report
	// events are the replication events for this repository, newest first.
	events []trail.Event
	// status is the source's replication status of the repository's images.
	status []imageStatus
	// parsed caches parsed policies by their text.
	parsed map[string]*policy.Policy
}

// destination is one place the repository replicates to, with the filter
// prefixes of the rules that send it there ("" when a rule has no filter).
type destination struct {
	loc      Location
	prefixes []string
}

func (d destination) crossAccount(src Location) bool { return d.loc.Account != src.Account }

// checkSource reads the source replication configuration and returns the
// destinations this repository replicates to. ok is false when the source
// configuration is unknown and the destinations were inferred from evidence.
func (a *analysis) checkSource() ([]destination, bool) {
	s := a.snap
	src := s.Registry(s.Source)
	if src == nil || !src.DescribeRegistry.OK() {
		why := "not collected"
		if src != nil && src.DescribeRegistry.State == Failed {
			why = src.DescribeRegistry.Err.Error()
		}
		a.warn("source replication configuration (%s describe-registry): %s; destinations were taken from CloudTrail and replication status instead", s.Source, why)
		return a.inferDestinations(), false
	}
	cfg := src.DescribeRegistry.Value.ReplicationConfiguration
	evSrc := src.DescribeRegistry.Source
	if cfg == nil || len(cfg.Rules) == 0 {
		a.add(Finding{
			Code:     CodeReplicationNotConfigured,
			Severity: SeverityError,
			Summary:  fmt.Sprintf("The source registry %s has no replication rules, so %s is not replicated anywhere.", s.Source, s.Repository),
			Detail: fmt.Sprintf("describe-registry in account %s, region %s returns an empty replicationConfiguration. Replication is configured per region on the source registry; "+
				"if images are pushed to %s, the rules must be created there with put-replication-configuration (Terraform: aws_ecr_replication_configuration). "+
				"Several Terraform roots that each declare aws_ecr_replication_configuration overwrite one another.", s.Source.Account, s.Source.Region, s.Source.Region),
			Evidence: []Evidence{{Kind: EvidenceReplicationConfiguration, Source: evSrc, Text: `"replicationConfiguration": {"rules": []}`}},
			Fix: &Fix{Steps: []string{
				fmt.Sprintf("Create a replication rule in %s that names the destination registries (and a filter that covers %q, or none).", s.Source.Region, s.Repository),
			}},
		})
		return nil, true
	}

	var dests []destination
	index := map[Location]int{}
	var allPrefixes []string
	for _, rule := range cfg.Rules {
		prefix, matches := awsid.Covers(rule.RepositoryFilters, s.Repository)
		for _, f := range rule.RepositoryFilters {
			allPrefixes = append(allPrefixes, f.Filter)
		}
		if !matches {
			continue
		}
		for _, d := range rule.Destinations {
			loc := Location{Account: d.RegistryID, Region: d.Region}
			i, seen := index[loc]
			if !seen {
				i = len(dests)
				index[loc] = i
				dests = append(dests, destination{loc: loc})
			}
			dests[i].prefixes = appendUnique(dests[i].prefixes, prefix)
		}
	}
	if len(dests) == 0 {
		near := nearestPrefix(allPrefixes, s.Repository)
		a.add(Finding{
			Code:     CodeFilterDoesNotMatch,
			Severity: SeverityError,
			Summary:  fmt.Sprintf("No replication rule's filter covers %s: the rules only replicate repositories starting with %s.", s.Repository, quoteList(allPrefixes)),
			Detail: fmt.Sprintf("Every rule in %s has repository filters of type PREFIX_MATCH, and none of %s is a prefix of %q, so ECR never attempts to replicate it (no ReplicateImage call is made). "+
				"The nearest filter is %q. Filters are plain name prefixes without wildcards.", s.Source, quoteList(allPrefixes), s.Repository, near),
			Evidence: []Evidence{{Kind: EvidenceReplicationConfiguration, Source: evSrc, Text: "repositoryFilters: " + quoteList(allPrefixes)}},
			Fix: &Fix{Steps: []string{
				fmt.Sprintf("Add %q (or a shorter prefix of it) as a PREFIX_MATCH filter to the rule that should replicate it, or add a rule for it.", s.Repository),
				"Only images pushed after the rule changes are replicated: push the images you need again.",
			}},
		})
		return nil, true
	}
	return dests, true
}

// inferDestinations lists destinations seen in evidence when the source
// configuration is unknown.
func (a *analysis) inferDestinations() []destination {
	seen := map[Location]bool{}
	var out []destination
	addLoc := func(l Location) {
		if l.Account == "" || l.Region == "" || seen[l] {
			return
		}
		seen[l] = true
		out = append(out, destination{loc: l, prefixes: []string{a.snap.Repository}})
	}
	for _, e := range a.events {
		addLoc(Location(e.Destination))
	}
	for _, st := range a.status {
		addLoc(Location{Account: st.status.RegistryID, Region: st.status.Region})
	}
	return out
}

// finish sets the verdicts and orders the findings.
func (a *analysis) finish(sourceKnown bool) {
	r := a.report
	sort.SliceStable(r.Findings, func(i, j int) bool {
		return findingRank(r.Findings[i]) < findingRank(r.Findings[j])
	})
	verdict := Healthy
	for _, f := range r.Findings {
		if f.Severity == SeverityError {
			verdict = Failing
			break
		}
	}
	if verdict != Failing {
		for _, d := range r.Destinations {
			if d.Verdict == Unknown {
				verdict = Unknown
			}
		}
		if !sourceKnown {
			verdict = Unknown
		}
	}
	r.Verdict = verdict
	if r.Warnings == nil {
		r.Warnings = []string{}
	}
}

// findingRank orders findings by severity, then by the catalogue's
// root-cause order.
func findingRank(f Finding) int {
	sev := map[Severity]int{SeverityError: 0, SeverityWarning: 1, SeverityInfo: 2}[f.Severity]
	return sev*100 + codeRank(f.Code)
}

func (a *analysis) add(f Finding) {
	if f.Evidence == nil {
		f.Evidence = []Evidence{}
	}
	if f.Fix != nil && f.Fix.Steps == nil {
		f.Fix.Steps = []string{}
	}
	a.report.Findings = append(a.report.Findings, f)
}

func (a *analysis) warn(format string, args ...any) {
	a.report.Warnings = append(a.report.Warnings, fmt.Sprintf(format, args...))
}

// relevantEvents keeps the replication events for exactly this repository,
// newest first. A call recorded in both accounts (the same sharedEventID)
// counts once. Calls by the replication role of another account (an
// organization trail holds every account's) are left out and counted by
// account in foreign.
func relevantEvents(s *Snapshot) (out []trail.Event, foreign map[string]int) {
	shared := map[string]bool{}
	for _, e := range s.Events {
		if e.Repository != s.Repository || !e.IsReplication() {
			continue
		}
		if acct := e.CallerAccount; acct != "" && s.Source.Account != "" && acct != s.Source.Account {
			if foreign == nil {
				foreign = map[string]int{}
			}
			foreign[acct]++
			continue
		}
		if e.SharedEventID != "" {
			if shared[e.SharedEventID] {
				continue
			}
			shared[e.SharedEventID] = true
		}
		out = append(out, e)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Time.After(out[j].Time) })
	return out, foreign
}

func summarizeEvents(s *Snapshot, events []trail.Event) EventSummary {
	sum := EventSummary{Collected: s.EventsCollected, Scanned: s.EventsScanned.Records, Matched: len(events)}
	if len(events) > 0 {
		sum.First = rfc3339(events[len(events)-1].Time)
		sum.Last = rfc3339(events[0].Time)
	}
	return sum
}

func rfc3339(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func appendUnique(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

func quoteList(list []string) string {
	q := make([]string, len(list))
	for i, s := range list {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, ", ")
}

// nearestPrefix returns the filter closest to being a prefix of repo.
func nearestPrefix(prefixes []string, repo string) string {
	best, bestD := "", -1
	for _, p := range prefixes {
		cand := repo
		if len(cand) > len(p) {
			cand = cand[:len(p)]
		}
		d := EditDistance(p, cand)
		if bestD < 0 || d < bestD {
			best, bestD = p, d
		}
	}
	return best
}

// EditDistance is the Levenshtein distance between a and b, in runes. It
// ranks "did you mean" candidates here and in the simulate command.
func EditDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// imageStatus is one replication status of one image of the repository.
type imageStatus struct {
	image  string // tag or digest
	source string
	status ImageReplicationStatus
}

// statuses lists the source's replication statuses for the repository.
func (a *analysis) statuses() []imageStatus {
	src := a.snap.Registry(a.snap.Source)
	if src == nil {
		return nil
	}
	byImage := src.ReplicationStatus[a.snap.Repository]
	keys := make([]string, 0, len(byImage))
	for k := range byImage {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []imageStatus
	for _, k := range keys {
		rd := byImage[k]
		if !rd.OK() {
			continue
		}
		img := rd.Value.ImageID.ImageTag
		if img == "" {
			img = rd.Value.ImageID.ImageDigest
		}
		if img == "" {
			img = k
		}
		for _, st := range rd.Value.ReplicationStatuses {
			out = append(out, imageStatus{image: img, source: rd.Source, status: st})
		}
	}
	return out
}
