package diagnose

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/ecrdoctor/ecrdoctor/diagnose/awsid"
	"github.com/ecrdoctor/ecrdoctor/diagnose/policy"
)

// The fixes of a scan: each repository keeps what is its own, and each
// destination gets one registry-policy fix for all its repositories.

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
	slices.SortFunc(order, Location.Compare)
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
		if n := len(fix.Steps); fix.Backfill != "" && n > 0 {
			// buildFix's last step is the backfill's, worded for the
			// last source; the commands are one per source, each headed
			// by the account to run it as.
			fix.Steps[n-1] = backfillStep(true, "the credentials of the source account above each one", "the repositories of this scan")
		}
		var before *parsedPolicy
		if facts[0].RegistryPolicy.State == PolicyPresent {
			var err error
			if before, err = r.parse(facts[0].RegistryPolicy); err != nil {
				return nil, err
			}
		}
		after, err := r.parse(current)
		if err != nil {
			return nil, err
		}
		fix.Steps = append([]string{mergedStep(facts[0].Destination, before, after, accounts)}, fix.Steps[1:]...)
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
// source accounts does: the statements of before (nil: none) kept and
// replaced, and the one added for each source.
func mergedStep(dst Location, before, after *parsedPolicy, accounts []string) string {
	inAfter := map[string]bool{}
	for _, st := range after.doc.Statements {
		inAfter[st.Sid] = true
	}
	inBefore := map[string]bool{}
	kept := 0
	var replaced, added []string
	if before != nil {
		for _, st := range before.doc.Statements {
			inBefore[st.Sid] = true
			if st.Sid == "" || inAfter[st.Sid] {
				kept++ // unnamed statements are kept as they are
			} else {
				replaced = append(replaced, fmt.Sprintf("%q", st.Sid))
			}
		}
	}
	for _, st := range after.doc.Statements {
		if st.Sid != "" && !inBefore[st.Sid] {
			added = append(added, fmt.Sprintf("%q", st.Sid))
		}
	}
	verb, what := "Create", ""
	if before != nil {
		verb = "Put"
		what = fmt.Sprintf(" it keeps %d existing statement(s) unchanged,", kept)
		if len(replaced) > 0 {
			what += fmt.Sprintf(" replaces %s (diagnosed above as wrong),", strings.Join(replaced, " and "))
		}
		what += " and"
	}
	return fmt.Sprintf("%s this registry policy in account %s, region %s:%s adds one statement for each source account that replicates here (%s: %s), each allowing that account what its repositories need.",
		verb, dst.Account, dst.Region, what, strings.Join(accounts, ", "), strings.Join(added, ", "))
}
