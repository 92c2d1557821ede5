package diagnose

import (
	"slices"
	"sort"
	"strings"
)

// How a scan's per-repository reports become its pairs, root causes and
// verdicts.

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
	slices.SortFunc(rep.Destinations, func(a, b ScanDestination) int { return a.Location.Compare(b.Location) })
	sort.SliceStable(rep.Pairs, func(i, j int) bool {
		a, b := rep.Pairs[i], rep.Pairs[j]
		switch {
		case a.Source != b.Source:
			return a.Source.Compare(b.Source) < 0
		case a.Repository != b.Repository:
			return a.Repository < b.Repository
		}
		return a.Destination.Compare(b.Destination) < 0
	})
	for _, g := range groups {
		sort.Slice(g.Pairs, func(i, j int) bool {
			if g.Pairs[i].Source != g.Pairs[j].Source {
				return g.Pairs[i].Source.Compare(g.Pairs[j].Source) < 0
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
		return a.Destination.Compare(b.Destination) < 0
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
