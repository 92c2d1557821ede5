package diagnose

import (
	"fmt"
	"sort"
	"strings"
)

// The diagnosis is an ordered list of checks over facts derived once.
//
// A check is a value: the code it reports and a function that looks at the
// facts and returns a finding, or nil when it does not apply. Checks never
// change the facts and never see each other's findings; what a later check
// would have learnt from an earlier one is a fact in destination (derive.go
// computes it once). The runner gives each finding its code and, unless the
// check chose a milder one, the catalogue's severity; orders the findings by
// the catalogue's rank; and then builds one fix for the root cause (fix.go).
//
// To add a check:
//  1. add the code to Catalogue (catalogue.go) at its root-cause rank, and
//     its row to the README's code table;
//  2. write the function in the checks_*.go file of what it looks at
//     (checks_source.go: the source's rules; checks_grant.go: what the
//     registry policy answers; checks_placement.go: grants put in the wrong
//     place; checks_evidence.go: what CloudTrail and replication status
//     show), gating on destination.path and the facts it needs; if it needs
//     a fact nobody derives yet, add it to DestinationFacts (and fill it in
//     FactsFromSnapshot) or to destination (and compute it in derive);
//  3. list it below;
//  4. add a fixtures/<name>/ folder with its expect.json, and give the code
//     a pair of the scan fixture: a row of orgScenario and its files in
//     fixtures/organization_test.go, then go test ./fixtures -run
//     TestOrganization -update (TestScanFixtures fails until some pair
//     shows it, or excluded_codes says why none can).
//
// If its finding is a root cause that a registry-policy grant fixes, fixFor
// (fix.go) says whether the grant is built for it.

// sourceCheck looks at the source registry's replication rules.
type sourceCheck struct {
	Code string
	Run  func(*Facts) *Finding
}

// check looks at one destination.
type check struct {
	Code string
	Run  func(*destination) *Finding
}

var sourceChecks = []sourceCheck{
	{CodeReplicationNotConfigured, replicationNotConfigured},
	{CodeFilterDoesNotMatch, filterDoesNotMatch},
	{CodeReplicationTooManyDestinations, tooManyDestinations},
}

var destinationChecks = []check{
	{CodeDestinationIsSource, destinationIsSource},
	{CodeCrossPartition, crossPartition},
	{CodeRegionNotEnabled, regionNotEnabled},
	// What the registry policy answers.
	{CodeExplicitDeny, explicitDeny},
	{CodeConditionNotSatisfied, conditionNeverHolds},
	{CodeConditionNotSatisfied, conditionUnknown},
	{CodeResourceMismatch, resourceMismatch},
	{CodePrincipalMismatch, principalMismatch},
	{CodeActionNotGranted, actionNotGranted},
	// Where the grant was put instead.
	{CodeGrantInRepositoryPolicy, grantInRepositoryPolicy},
	{CodeRegistryPolicyInOtherRegion, grantInOtherRegion},
	{CodeRegistryPolicyMissing, registryPolicyMissing},
	{CodeCreateRepositoryNotAllowed, createRepositoryNotAllowed},
	{CodeKMSKeyNotUsable, kmsKeyNotUsable},
	{CodeCreationTemplateNotApplied, creationTemplateNotApplied},
	// What the evidence shows.
	{CodeReplicateImageDenied, deniedInSameAccount},
	{CodeReplicateImageDenied, deniedWhileUnreadable},
	{CodeReplicateImageDenied, deniedElsewhere},
	{CodeDestinationUnreadable, destinationUnreadable},
	{CodeBackfillFailed, backfillFailed},
	{CodeImagePushedBeforeRule, imagePushedBeforeRule},
	{CodeStaleFailures, staleFailures},
	{CodeIndexChildNotReplicated, imageIndexChildNotReplicated},
	{CodeBackfillInProgress, backfillInProgress},
	{CodeReplicationInProgressLong, replicationInProgressLong},
	{CodeTagImmutabilityConflict, tagImmutabilityConflict},
	// What the rules do besides replicating.
	{CodeDeleteReplicationEnabled, deleteReplicationEnabled},
	{CodePullThroughCacheNotReplication, pullThroughCacheNotReplication},
}

// run is one diagnosis: the report being written and the policies parsed
// so far (by text: destinations often share one).
type run struct {
	report *Report
	parsed map[string]*parsedPolicy
	// grants, in a scan, collects the destinations whose root cause a
	// registry-policy grant fixes: the scan builds one fix for each
	// destination, not one per repository (scanFix).
	grants map[Location]*DestinationFacts
	// cleanup, in a scan, holds per destination the steps that take a
	// misplaced grant out of this repository's policy: the scan lists
	// them with the destination's fix, which is the registry policy only.
	cleanup map[Location][]string
}

// Diagnose runs the checks on f. It returns an error only when f holds
// something it cannot interpret, such as a registry policy that is not a
// policy; missing facts make the verdict unknown.
func Diagnose(f *Facts) (*Report, error) {
	return newRun(f, map[string]*parsedPolicy{}).diagnose(f)
}

// newRun starts the diagnosis of f with the policies already parsed, by
// text: a scan shares them between its repositories.
func newRun(f *Facts, parsed map[string]*parsedPolicy) *run {
	return &run{report: &Report{
		FormatVersion: FormatVersion,
		Repository:    f.Repository,
		Source:        f.Source,
		Verdict:       Healthy,
		Destinations:  []DestinationReport{},
		Findings:      []Finding{},
		Events:        f.Events,
		Warnings:      append([]string{}, f.Warnings...),
		APICalls:      f.APICalls,
	}, parsed: parsed}
}

func (r *run) diagnose(f *Facts) (*Report, error) {
	for _, c := range sourceChecks {
		if fd := c.Run(f); fd != nil {
			r.add(withCode(c.Code, fd))
		}
	}
	for i := range f.Destinations {
		if err := r.destination(&f.Destinations[i]); err != nil {
			return nil, err
		}
	}
	r.finish(f.Rules.Known)
	return r.report, nil
}

func (r *run) destination(df *DestinationFacts) error {
	r.report.Warnings = append(r.report.Warnings, df.Warnings...)
	d, err := r.derive(df)
	if err != nil {
		return err
	}
	var found []Finding
	for _, c := range destinationChecks {
		if fd := c.Run(d); fd != nil {
			found = append(found, withCode(c.Code, fd))
		}
	}
	sort.SliceStable(found, func(i, j int) bool { return codeRank(found[i].Code) < codeRank(found[j].Code) })
	if r.grants != nil {
		r.scanFix(d, found)
	} else {
		attachFix(d, found)
	}
	dedupeFailureEvidence(found)

	dr := DestinationReport{Account: df.Destination.Account, Region: df.Destination.Region, CrossAccount: df.CrossAccount(), Verdict: verdict(d, found)}
	for i := range found {
		loc := df.Destination
		found[i].Destination = &loc
		r.add(found[i])
	}
	if dr.Verdict == Healthy {
		dr.Note = healthyNote(d)
	}
	r.report.Destinations = append(r.report.Destinations, dr)
	return nil
}

// withCode stamps a check's finding with the check's code and, unless the
// check chose one, the catalogue's severity.
func withCode(code string, f *Finding) Finding {
	f.Code = code
	if f.Severity == "" {
		info, _ := Lookup(code)
		f.Severity = info.Severity
	}
	return *f
}

// verdict: failing with an error; unknown when a warning says the answer
// depends on something unread, or when the newest call failed for a reason
// no check judges; healthy otherwise.
func verdict(d *destination, found []Finding) Verdict {
	v := Healthy
	if d.NewestFailedOtherwise {
		v = Unknown
	}
	for _, f := range found {
		switch f.Severity {
		case SeverityError:
			return Failing
		case SeverityWarning:
			v = Unknown
		}
	}
	return v
}

// healthyNote says why a destination without errors is judged healthy, and
// what confirms it.
func healthyNote(d *destination) string {
	note := ""
	switch d.path {
	case pathSameAccount:
		note = "Same account: replication to another region needs no registry policy."
	case pathAllowed:
		var names []string
		for _, st := range d.replicate.Deciding {
			names = append(names, statementName(st))
		}
		note = fmt.Sprintf("The registry policy allows the replication role of account %s ecr:ReplicateImage (%s).", d.Source.Account, strings.Join(names, ", "))
		if d.needCreate {
			note += " It also allows ecr:CreateRepository, which replication needs because the repository does not exist there yet."
		}
		if len(d.repoGrants) > 0 {
			var left []string
			for _, st := range d.repoGrants {
				left = append(left, statementName(st))
			}
			note += fmt.Sprintf(" The repository policy of %s still grants it too (%s): replication never reads that grant, so it can be removed.",
				d.Repository, strings.Join(left, ", "))
		}
	case pathHeld:
		note = fmt.Sprintf("The registry policy allows the replication role of account %s ecr:ReplicateImage if %s matches, and it does: %s.",
			d.Source.Account, strings.Join(d.uncertain, ", "), d.held)
	}
	switch {
	case len(d.Succeeded) > 0:
		note = strings.TrimSpace(note + fmt.Sprintf(" Last successful replication recorded in CloudTrail: %s.", rfc3339(d.Succeeded[0].Time)))
	case len(d.Completed) == 0:
		// Healthy by the policy alone: say that nothing confirms it.
		note = strings.TrimSpace(note + " No COMPLETE replication status or successful call in CloudTrail confirms it yet.")
	}
	return note
}

// dedupeFailureEvidence keeps the CloudTrail and replication-status evidence
// of a destination on the first finding that shows it: the later findings
// explain the same failures.
func dedupeFailureEvidence(findings []Finding) {
	shown := map[Evidence]bool{}
	for i := range findings {
		var keep []Evidence
		for _, e := range findings[i].Evidence {
			failure := e.Kind == EvidenceCloudTrailEvent || e.Kind == EvidenceReplicationStatus
			if failure && shown[e] {
				continue
			}
			shown[e] = true
			keep = append(keep, e)
		}
		findings[i].Evidence = keep
	}
}
