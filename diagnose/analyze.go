package diagnose

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// Analyze diagnoses the replication of s.Repository from s.Source: it
// derives the facts from the snapshot and runs the checks on them. It
// returns an error only when the snapshot holds something it cannot
// interpret, such as a policyText that is not a policy; missing data makes
// the verdict unknown.
func Analyze(s *Snapshot) (*Report, error) {
	return Diagnose(FactsFromSnapshot(s))
}

// finish sets the verdicts and orders the findings.
func (r *run) finish(sourceKnown bool) {
	rep := r.report
	sort.SliceStable(rep.Findings, func(i, j int) bool {
		return findingRank(rep.Findings[i]) < findingRank(rep.Findings[j])
	})
	verdict := Healthy
	for _, f := range rep.Findings {
		if f.Severity == SeverityError {
			verdict = Failing
			break
		}
	}
	if verdict != Failing {
		for _, d := range rep.Destinations {
			if d.Verdict == Unknown {
				verdict = Unknown
			}
		}
		if !sourceKnown {
			verdict = Unknown
		}
	}
	rep.Verdict = verdict
	if rep.Warnings == nil {
		rep.Warnings = []string{}
	}
}

// findingRank orders findings by severity, then by the catalogue's
// root-cause order.
func findingRank(f Finding) int {
	sev := map[Severity]int{SeverityError: 0, SeverityWarning: 1, SeverityInfo: 2}[f.Severity]
	return sev*100 + codeRank(f.Code)
}

func (r *run) add(f Finding) {
	if f.Evidence == nil {
		f.Evidence = []Evidence{}
	}
	if f.Fix != nil && f.Fix.Steps == nil {
		f.Fix.Steps = []string{}
	}
	r.report.Findings = append(r.report.Findings, f)
}

func (r *run) warn(format string, args ...any) {
	r.report.Warnings = append(r.report.Warnings, fmt.Sprintf(format, args...))
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
