package diagnose

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/ecrdoctor/ecrdoctor/diagnose/awsid"
	"github.com/ecrdoctor/ecrdoctor/diagnose/policy"
	"github.com/ecrdoctor/ecrdoctor/diagnose/trail"
)

const (
	actionReplicate = "ecr:ReplicateImage"
	actionCreate    = "ecr:CreateRepository"
)

// knownAbsentKeys are condition keys that the replication role's requests do
// not carry: conditions on them can never hold (the aws:Source* keys are set
// only when a service principal acts on someone's behalf). Absent keys not in
// this list make an answer uncertain instead.
var knownAbsentKeys = map[string]bool{
	"aws:sourceaccount":  true,
	"aws:sourcearn":      true,
	"aws:sourceorgid":    true,
	"aws:sourceorgpaths": true,
}

// tri is a three-valued fact: known true, known false, or unknown.
type tri int

const (
	triUnknown tri = iota
	triYes
	triNo
)

// destCheck gathers what is known about one cross-account destination.
type destCheck struct {
	d        destination
	arn      string
	reg      *Registry
	denied   []trail.Event  // failed replication events for this destination, newest first
	ok       []trail.Event  // successful ones
	failed   []imageStatus  // FAILED replication statuses
	repo     tri            // does the destination repository exist?
	policy   *policy.Policy // the registry policy, when known to exist
	text     string         // its text
	known    bool           // the registry policy's state (present or absent) is known
	findings []Finding
	unknown  bool // the verdict depends on something ecrdoctor cannot know
	// misplaced is the replication grant found in the repository policy.
	misplaced *misplaced
	// note says why the destination is healthy.
	note string
}

// misplaced is a replication grant put in a repository policy.
type misplaced struct {
	text       string // the repository policy
	source     string
	statements []policy.StatementResult
}

func (a *analysis) checkDestination(d destination) error {
	s := a.snap
	dr := DestinationReport{Account: d.loc.Account, Region: d.loc.Region, CrossAccount: d.crossAccount(s.Source), Verdict: Healthy}
	c := &destCheck{d: d, arn: awsid.RepositoryARN(d.loc, s.Repository), reg: s.Registry(d.loc)}
	others := map[string]int{} // failures that are no ECR access denial, by error code
	newestIsOther := false
	for _, e := range a.events { // newest first
		if Location(e.Destination) != d.loc {
			continue
		}
		switch {
		case e.Failed() && (e.Denial == nil || !isECRAction(trail.DeniedAction(e.ErrorMessage))):
			// A KMS or quota error, or a KMS access denial: counting it
			// as an ECR denial would blame the registry policy.
			what := e.ErrorCode
			if act := trail.DeniedAction(e.ErrorMessage); e.Denial != nil && act != "" {
				what += " on " + act
			}
			others[what]++
			if len(c.ok) == 0 && len(c.denied) == 0 {
				newestIsOther = true
			}
		case e.Failed():
			c.denied = append(c.denied, e)
		default:
			c.ok = append(c.ok, e)
		}
	}
	for _, what := range slices.Sorted(maps.Keys(others)) {
		a.warn("%s: %d replication call(s) failed with %s, which is not an ECR access denial: ecrdoctor does not diagnose it (KMS keys, quotas and tag immutability in the destination are common causes)", d.loc, others[what], what)
	}
	if newestIsOther {
		// The newest call failed for a reason ecrdoctor does not judge:
		// "healthy" would be wrong even when every policy allows it.
		c.unknown = true
	}
	for _, st := range a.status {
		if st.status.RegistryID == d.loc.Account && st.status.Region == d.loc.Region && st.status.Status == "FAILED" {
			c.failed = append(c.failed, st)
		}
	}

	switch {
	case d.loc == s.Source:
		a.destinationIsSource(c)
	case !dr.CrossAccount:
		a.sameAccount(c)
	default:
		if err := a.crossAccount(c); err != nil {
			return err
		}
	}

	dedupeFailureEvidence(c.findings)
	for i := range c.findings {
		loc := d.loc
		c.findings[i].Destination = &loc
		if c.findings[i].Severity == SeverityError {
			dr.Verdict = Failing
		}
		a.add(c.findings[i])
	}
	if dr.Verdict != Failing && c.unknown {
		dr.Verdict = Unknown
	}
	if dr.Verdict == Healthy {
		dr.Note = c.note
		switch {
		case len(c.ok) > 0:
			dr.Note = strings.TrimSpace(dr.Note + fmt.Sprintf(" Last successful replication recorded in CloudTrail: %s.", rfc3339(c.ok[0].Time)))
		case len(a.completed(d.loc)) == 0:
			// Healthy by the policy alone: say that nothing confirms it.
			dr.Note = strings.TrimSpace(dr.Note + " No COMPLETE replication status or successful call in CloudTrail confirms it yet.")
		}
	}
	a.report.Destinations = append(a.report.Destinations, dr)
	return nil
}

func (a *analysis) destinationIsSource(c *destCheck) {
	s := a.snap
	c.findings = append(c.findings, Finding{
		Code:     CodeDestinationIsSource,
		Severity: SeverityError,
		Summary:  fmt.Sprintf("A replication rule names the source registry itself (%s) as its destination.", s.Source),
		Detail: "A registry cannot replicate to itself: AWS rejects such a rule (\"Replication destination cannot be the same as the source registry\"), " +
			"and nothing is replicated for it. The registryId or region of the destination is probably wrong.",
		Evidence: []Evidence{{Kind: EvidenceReplicationConfiguration, Source: a.sourceConfigFile(),
			Text: fmt.Sprintf(`{"region": %q, "registryId": %q}`, s.Source.Region, s.Source.Account)}},
		Fix: &Fix{Steps: []string{"Correct the destination's registryId and region in the replication rule, or remove that destination."}},
	})
}

// sameAccount: a destination in the source account needs no policy; report
// it healthy unless evidence says otherwise.
func (a *analysis) sameAccount(c *destCheck) {
	if len(c.denied) == 0 && len(c.failed) == 0 {
		c.note = "Same account: replication to another region needs no registry policy."
		return
	}
	ev := append(eventEvidence(c.denied, 3), statusEvidence(c.failed, 3)...)
	c.findings = append(c.findings, Finding{
		Code:     CodeReplicateImageDenied,
		Severity: SeverityError,
		Summary:  fmt.Sprintf("Replication of %s to %s failed, although a destination in the same account needs no registry policy.", a.snap.Repository, c.d.loc),
		Detail: "Same-account, cross-region replication is authorized without any registry policy, so a failure here points elsewhere: " +
			"a registry policy with an explicit Deny (under REGISTRY_POLICY_SCOPE V2 it applies to every ECR request), an opt-in region that is not enabled, " +
			"or a KMS key the replication cannot use. " + denialSentence(c.denied),
		Evidence: ev,
		Fix: &Fix{Steps: []string{
			fmt.Sprintf("Check the registry policy of %s for Deny statements matching ecr:ReplicateImage, and that region %s is enabled for the account.", c.d.loc, c.d.loc.Region),
		}},
	})
}

func (a *analysis) crossAccount(c *destCheck) error {
	c.repo = a.repositoryExists(c.reg)
	unreadable := ""
	if c.reg == nil {
		unreadable = "not collected"
	} else {
		rp := c.reg.RegistryPolicy
		switch {
		case rp.OK():
			p, err := a.parse(rp.Value.PolicyText, rp.Source)
			if err != nil {
				return err
			}
			c.policy, c.text, c.known = p, rp.Value.PolicyText, true
			for _, iss := range policy.CheckRegistryPolicy(rp.Value.PolicyText, p, a.scope(c.reg)) {
				a.warn("%s registry policy (%s): %s", c.d.loc, locate(iss.Path), iss.Message)
			}
		case rp.ErrCode() == "RegistryPolicyNotFoundException":
			c.known = true
		case rp.State == Failed:
			unreadable = rp.Err.Error()
		default:
			unreadable = "not collected"
		}
	}
	if !c.known {
		a.unreadableDestination(c, unreadable)
		return nil
	}

	replicate := a.request(c, actionReplicate)
	res := a.evaluate(c.policy, replicate)
	needCreate := c.repo == triNo || hasEvent(c.denied, "CreateRepository")
	createOK := true
	var createRes policy.Result
	if needCreate {
		createRes = a.evaluate(c.policy, a.request(c, actionCreate))
		createOK = createRes.Decision == policy.DecisionAllow
	}

	uncertain := a.uncertainKeys(res)
	if res.Decision == policy.DecisionAllow && len(uncertain) == 0 {
		if !createOK {
			a.createNotAllowed(c, createRes)
		}
		if len(c.findings) == 0 {
			var names []string
			for _, st := range res.Deciding {
				names = append(names, statementName(st))
			}
			c.note = fmt.Sprintf("The registry policy allows the replication role of account %s ecr:ReplicateImage (%s).", a.snap.Source.Account, strings.Join(names, ", "))
			if needCreate {
				c.note += " It also allows ecr:CreateRepository, which replication needs because the repository does not exist there yet."
			}
			if left := a.repositoryPolicyGrants(c); len(left) > 0 {
				c.note += fmt.Sprintf(" The repository policy of %s still grants it too (%s): replication never reads that grant, so it can be removed.",
					a.snap.Repository, strings.Join(left, ", "))
			}
			a.staleFailures(c)
			return nil
		}
		return a.attachFix(c)
	}

	if len(uncertain) > 0 && res.Decision != policy.DecisionExplicitDeny {
		if held, ok := a.conditionHeld(c); ok {
			// The recorded successes show the condition holds for the
			// replication role: allowed, like any other grant.
			c.note = fmt.Sprintf("The registry policy allows the replication role of account %s ecr:ReplicateImage if %s matches, and it does: %s.",
				a.snap.Source.Account, strings.Join(uncertain, ", "), held)
			a.staleFailures(c)
			return a.attachFix(c)
		}
		a.uncertainCondition(c, res, uncertain)
	} else {
		a.classifyDenial(c, res)
	}
	if !createOK && c.repo == triNo {
		a.createNotAllowed(c, createRes)
	}
	return a.attachFix(c)
}

// classifyDenial explains why the registry policy does not allow the
// replication role's ReplicateImage request, most specific cause first.
func (a *analysis) classifyDenial(c *destCheck, res policy.Result) {
	s := a.snap
	src := s.Source.Account
	evidence := a.failureEvidence(c)

	if res.Decision == policy.DecisionExplicitDeny {
		names, ev := a.cite(c, res.Deciding)
		c.findings = append(c.findings, Finding{
			Code:     CodeExplicitDeny,
			Severity: SeverityError,
			Summary:  fmt.Sprintf("%s in the registry policy of %s explicitly denies the replication of %s.", names, c.d.loc, s.Repository),
			Detail: fmt.Sprintf("The replication role of account %s (%s) asks for ecr:ReplicateImage on %s. %s An explicit Deny wins over every Allow, so no grant can fix this on its own.",
				src, policy.ReplicationPrincipal(src).ARN, c.arn, res.Summary),
			Evidence: append(ev, evidence...),
		})
		return
	}

	var conds, resources, principals, actions []policy.StatementResult
	for _, st := range res.Statements {
		if st.Policy != "resource" || st.Effect != policy.Allow {
			continue
		}
		switch {
		case st.PrincipalMatch && st.ActionMatch && st.ResourceMatch && !st.ConditionMatch:
			conds = append(conds, st)
		case st.PrincipalMatch && st.ActionMatch && !st.ResourceMatch:
			resources = append(resources, st)
		case !st.PrincipalMatch && st.ActionMatch:
			principals = append(principals, st)
		case st.PrincipalMatch && !st.ActionMatch:
			actions = append(actions, st)
		}
	}
	if len(conds) > 0 {
		a.conditionFinding(c, conds, evidence, false)
	}
	if len(resources) > 0 {
		a.resourceFinding(c, resources, evidence)
	}
	if len(principals) > 0 {
		a.principalFinding(c, principals, evidence)
	}
	if len(actions) > 0 {
		a.actionFinding(c, actions, evidence)
	}
	a.misplacedGrant(c, evidence)
	a.otherRegionGrant(c, evidence)
	switch {
	case c.policy == nil:
		a.policyMissing(c, evidence)
	case len(c.findings) == 0:
		// The policy exists but says nothing about the source account, and
		// the grant is not misplaced either.
		a.actionFinding(c, nil, evidence)
	}
}

func (a *analysis) conditionFinding(c *destCheck, sts []policy.StatementResult, evidence []Evidence, uncertain bool) {
	names, ev := a.cite(c, sts)
	var keys []string
	for _, st := range sts {
		for _, fc := range st.FailedConditions {
			keys = appendUnique(keys, fc.Condition.Key)
		}
	}
	f := Finding{
		Code:     CodeConditionNotSatisfied,
		Severity: SeverityError,
		Summary: fmt.Sprintf("%s grants replication to account %s, but its condition on %s never holds for the replication role.",
			names, a.snap.Source.Account, strings.Join(keys, ", ")),
		Detail: fmt.Sprintf("ECR replication calls ReplicateImage as %s. That request does not carry %s: those keys are set only when a service principal acts on someone's behalf, so the condition evaluates to false and the statement never applies. %s",
			policy.ReplicationPrincipal(a.snap.Source.Account).ARN, strings.Join(keys, ", "), conditionReasons(sts)),
		Evidence: append(ev, evidence...),
	}
	if uncertain {
		f.Summary = fmt.Sprintf("%s grants replication to account %s only if %s matches, which ecrdoctor cannot know.",
			names, a.snap.Source.Account, strings.Join(keys, ", "))
		f.Detail = fmt.Sprintf("Whether the replication role's request carries a matching %s cannot be read from the snapshot, so the verdict for %s is unknown. "+
			"CloudTrail denials for this destination would settle it; none were found. %s", strings.Join(keys, ", "), c.d.loc, conditionReasons(sts))
		f.Severity = SeverityWarning
		// Nothing failed: loosening the condition would only remove a
		// guardrail someone put there on purpose.
		f.Fix = &Fix{Steps: []string{
			fmt.Sprintf("Nothing recorded has failed for %s. If replication to it does fail, this condition is the first suspect: check that the replication role's requests from account %s carry %s with the value the condition expects%s.",
				c.d.loc, a.snap.Source.Account, strings.Join(keys, ", "), orgHint(keys, a.snap.Source.Account)),
			"Do not remove or bypass the condition just because ecrdoctor cannot evaluate it: it is probably a deliberate guardrail.",
		}}
		if len(c.denied) > 0 || len(c.failed) > 0 {
			f.Summary = fmt.Sprintf("%s grants replication to account %s only if %s matches, and the recorded failures show that it does not.",
				names, a.snap.Source.Account, strings.Join(keys, ", "))
			f.Fix = &Fix{Steps: []string{fmt.Sprintf("The proposed statement has no condition on %s, so it makes that condition moot for account %s. If the condition is deliberate, correct its value%s instead of adding the statement.",
				strings.Join(keys, ", "), a.snap.Source.Account, orgHint(keys, a.snap.Source.Account))}}
			f.Severity = SeverityError
			f.Detail = fmt.Sprintf("Whether the request carries a matching %s cannot be read from the snapshot, but the recorded denials show that the condition does not hold for the replication role. %s",
				strings.Join(keys, ", "), conditionReasons(sts))
		} else {
			c.unknown = true
		}
	}
	c.findings = append(c.findings, f)
}

// orgHint tells how to check the organization keys of a condition.
func orgHint(keys []string, account string) string {
	for _, k := range keys {
		switch strings.ToLower(k) {
		case "aws:principalorgid", "aws:principalorgpaths":
			return fmt.Sprintf(" (for %s, account %s must be a member of that organization: run aws organizations describe-account --account-id %s in the organization's management account)", k, account, account)
		}
	}
	return ""
}

func (a *analysis) resourceFinding(c *destCheck, sts []policy.StatementResult, evidence []Evidence) {
	names, ev := a.cite(c, sts)
	var resources []string
	for _, st := range sts {
		if stmt := a.statement(c.policy, st.Index); stmt != nil {
			resources = append(resources, stmt.Resource...)
		}
	}
	near := nearestARN(resources, c.arn)
	detail := fmt.Sprintf("The statement names the right principal and action, but its Resource %s does not match %s (ARNs match case-sensitively, with * and ? wildcards).",
		quoteList(resources), c.arn)
	if near != "" {
		detail += " " + describeARNDifference(near, c.arn)
	}
	c.findings = append(c.findings, Finding{
		Code:     CodeResourceMismatch,
		Severity: SeverityError,
		Summary:  fmt.Sprintf("%s grants replication, but its Resource does not cover %s.", names, c.arn),
		Detail:   detail,
		Evidence: append(ev, evidence...),
	})
}

func (a *analysis) principalFinding(c *destCheck, sts []policy.StatementResult, evidence []Evidence) {
	names, ev := a.cite(c, sts)
	var principals []string
	for _, st := range sts {
		if stmt := a.statement(c.policy, st.Index); stmt != nil && stmt.Principal != nil {
			principals = append(principals, principalList(stmt.Principal)...)
		}
	}
	src := a.snap.Source.Account
	detail := fmt.Sprintf("Replication is performed by the service-linked role of the source account, %s. The statement grants ecr:ReplicateImage to %s instead. ",
		policy.ReplicationPrincipal(src).ARN, quoteList(principals))
	for _, p := range principals {
		if acct := awsid.ARNAccount(p); acct != "" && acct != src {
			if acct == c.d.loc.Account {
				detail += fmt.Sprintf("%s is the destination account itself (a copy of the Terraform example that grants the current account). ", acct)
			} else if EditDistance(acct, src) <= 2 {
				detail += fmt.Sprintf("%s differs from the source account %s by %d digit(s): a typo? ", acct, src, EditDistance(acct, src))
			}
		} else if acct == src {
			detail += fmt.Sprintf("%s names a specific identity in the source account, not the account: the replication role is %s. ", p, policy.ReplicationPrincipal(src).ARN)
		}
	}
	detail += fmt.Sprintf("Grant %s (or the account id %s).", awsid.AccountRootARN(c.d.loc.Region, src), src)
	c.findings = append(c.findings, Finding{
		Code:     CodePrincipalMismatch,
		Severity: SeverityError,
		Summary:  fmt.Sprintf("%s grants ecr:ReplicateImage to %s, not to the source account %s.", names, strings.Join(principals, ", "), src),
		Detail:   strings.TrimSpace(detail),
		Evidence: append(ev, evidence...),
	})
}

func (a *analysis) actionFinding(c *destCheck, sts []policy.StatementResult, evidence []Evidence) {
	src := a.snap.Source.Account
	f := Finding{Code: CodeActionNotGranted, Severity: SeverityError}
	if len(sts) == 0 {
		f.Summary = fmt.Sprintf("The registry policy of %s has no statement that grants account %s ecr:ReplicateImage.", c.d.loc, src)
		f.Detail = fmt.Sprintf("The registry policy has %d statement(s); none allows the replication role of account %s to perform ecr:ReplicateImage on %s.",
			len(c.policy.Statements), src, c.arn)
		f.Evidence = append([]Evidence{{Kind: EvidenceRegistryPolicy, Source: c.reg.RegistryPolicy.Source, Text: compactJSON(c.text)}}, evidence...)
	} else {
		names, ev := a.cite(c, sts)
		var acts []string
		for _, st := range sts {
			if stmt := a.statement(c.policy, st.Index); stmt != nil {
				acts = append(acts, stmt.Action...)
			}
		}
		f.Summary = fmt.Sprintf("%s is for account %s but allows %s, not ecr:ReplicateImage.", names, src, strings.Join(acts, ", "))
		f.Detail = "Cross-account replication needs ecr:ReplicateImage (and ecr:CreateRepository when the destination repository does not exist yet) in the destination's registry policy."
		f.Evidence = append(ev, evidence...)
	}
	c.findings = append(c.findings, f)
}

// misplacedGrant looks for the replication grant in the destination
// repository's policy: the classic confusion of repository and registry policy.
// repositoryGrants returns the statements of the destination repository's
// policy that would allow the replication role's ReplicateImage, were
// replication to read that policy, and the policy read.
func (a *analysis) repositoryGrants(c *destCheck) ([]policy.StatementResult, Read[PolicyOutput]) {
	if c.reg == nil {
		return nil, Read[PolicyOutput]{}
	}
	rp, ok := c.reg.RepositoryPolicies[a.snap.Repository]
	if !ok || !rp.OK() {
		return nil, rp
	}
	p, err := a.parse(rp.Value.PolicyText, rp.Source)
	if err != nil {
		a.warn("%v", err)
		return nil, rp
	}
	var grants []policy.StatementResult
	for _, st := range a.evaluate(p, a.request(c, actionReplicate)).Statements {
		if st.Effect == policy.Allow && st.PrincipalMatch && st.ActionMatch && st.ResourceMatch {
			grants = append(grants, st)
		}
	}
	return grants, rp
}

// repositoryPolicyGrants names the leftover grants of a healthy destination.
func (a *analysis) repositoryPolicyGrants(c *destCheck) []string {
	grants, _ := a.repositoryGrants(c)
	var names []string
	for _, st := range grants {
		names = append(names, statementName(st))
	}
	return names
}

func (a *analysis) misplacedGrant(c *destCheck, evidence []Evidence) {
	grants, rp := a.repositoryGrants(c)
	if len(grants) == 0 {
		return
	}
	var names []string
	var ev []Evidence
	for _, st := range grants {
		names = append(names, statementName(st))
		ev = append(ev, Evidence{Kind: EvidenceRepositoryPolicy, Source: rp.Source, Text: statementJSON(rp.Value.PolicyText, st.Index)})
	}
	regState := "has no registry policy at all"
	if c.policy != nil {
		regState = "has a registry policy, but it does not grant this"
	}
	f := Finding{
		Code:     CodeGrantInRepositoryPolicy,
		Severity: SeverityError,
		Summary: fmt.Sprintf("The grant for account %s is in the repository policy of %s, not in the registry policy of %s, where replication looks for it.",
			a.snap.Source.Account, a.snap.Repository, c.d.loc),
		Detail: fmt.Sprintf("%s of the repository policy of %s allows the replication role of account %s to perform ecr:ReplicateImage, but cross-account replication is authorized only by the destination's registry policy "+
			"(Terraform aws_ecr_registry_policy, not aws_ecr_repository_policy). %s %s. Move the grant to the registry policy and remove it from the repository policy.",
			capitalize(strings.Join(names, " and ")), a.snap.Repository, a.snap.Source.Account, c.d.loc, regState),
		Evidence: append(ev, evidence...),
	}
	c.findings = append(c.findings, f)
	c.misplaced = &misplaced{text: rp.Value.PolicyText, statements: grants, source: rp.Source}
}

// otherRegionGrant looks for a registry policy with the grant in another
// region of the destination account.
func (a *analysis) otherRegionGrant(c *destCheck, evidence []Evidence) {
	var locs []Location
	for loc := range a.snap.Registries {
		if loc.Account == c.d.loc.Account && loc.Region != c.d.loc.Region {
			locs = append(locs, loc)
		}
	}
	sort.Slice(locs, func(i, j int) bool { return locs[i].Region < locs[j].Region })
	for _, loc := range locs {
		reg := a.snap.Registries[loc]
		if !reg.RegistryPolicy.OK() {
			continue
		}
		p, err := a.parse(reg.RegistryPolicy.Value.PolicyText, reg.RegistryPolicy.Source)
		if err != nil {
			a.warn("%v", err)
			continue
		}
		req := a.request(c, actionReplicate)
		req.Resource = awsid.RepositoryARN(loc, a.snap.Repository)
		if a.evaluate(p, req).Decision != policy.DecisionAllow {
			continue
		}
		c.findings = append(c.findings, Finding{
			Code:     CodeRegistryPolicyInOtherRegion,
			Severity: SeverityError,
			Summary: fmt.Sprintf("The replication grant for account %s is in the registry policy of region %s, but the rule replicates to %s.",
				a.snap.Source.Account, loc.Region, c.d.loc.Region),
			Detail: fmt.Sprintf("Registry policies are set per region. Account %s grants replication in %s, but has no such grant in %s, the destination region of the replication rule. "+
				"Put the registry policy in %s as well (a Terraform provider for %s).", loc.Account, loc.Region, c.d.loc.Region, c.d.loc.Region, c.d.loc.Region),
			Evidence: append([]Evidence{{Kind: EvidenceRegistryPolicy, Source: reg.RegistryPolicy.Source, Text: compactJSON(reg.RegistryPolicy.Value.PolicyText)}}, evidence...),
		})
		return
	}
}

func (a *analysis) policyMissing(c *destCheck, evidence []Evidence) {
	rp := c.reg.RegistryPolicy
	ev := []Evidence{{Kind: EvidenceAPIError, Source: rp.Source, Text: rp.Err.Error()}}
	c.findings = append(c.findings, Finding{
		Code:     CodeRegistryPolicyMissing,
		Severity: SeverityError,
		Summary:  fmt.Sprintf("The destination registry %s has no registry policy, so it does not let account %s replicate into it.", c.d.loc, a.snap.Source.Account),
		Detail: fmt.Sprintf("Cross-account replication needs a registry permissions policy in the destination account and region that allows the source account ecr:ReplicateImage (and ecr:CreateRepository). "+
			"get-registry-policy in %s returns RegistryPolicyNotFoundException.", c.d.loc),
		Evidence: append(ev, evidence...),
	})
}

func (a *analysis) createNotAllowed(c *destCheck, res policy.Result) {
	var ev []Evidence
	if c.reg != nil {
		ev = append(ev, Evidence{Kind: EvidenceRepository, Source: c.reg.Repositories.Source,
			Text: fmt.Sprintf("%s is not among the repositories of %s", a.snap.Repository, c.d.loc)})
	}
	var creates []trail.Event
	for _, e := range c.denied {
		if e.EventName == "CreateRepository" {
			creates = append(creates, e)
		}
	}
	ev = append(ev, eventEvidence(creates, 2)...)
	c.findings = append(c.findings, Finding{
		Code:     CodeCreateRepositoryNotAllowed,
		Severity: SeverityError,
		Summary:  fmt.Sprintf("The repository %s does not exist in %s, and the registry policy does not allow account %s ecr:CreateRepository.", a.snap.Repository, c.d.loc, a.snap.Source.Account),
		Detail: "Replication creates a missing destination repository only when the registry policy grants ecr:CreateRepository; otherwise a repository with the same name must be created first. " +
			"Neither is the case, so replication fails. " + res.Summary,
		Evidence: ev,
	})
}

// unreadableDestination: the destination's registry policy is unknown.
// CloudTrail or replication status may still settle the verdict.
func (a *analysis) unreadableDestination(c *destCheck, why string) {
	s := a.snap
	src := s.Source.Account
	unread := Finding{
		Code:     CodeDestinationUnreadable,
		Severity: SeverityWarning,
		Summary:  fmt.Sprintf("The registry policy of the destination %s could not be read (%s).", c.d.loc, why),
		Detail: fmt.Sprintf("To check the destination, ecrdoctor needs ecr:GetRegistryPolicy, ecr:GetRepositoryPolicy, ecr:DescribeRepositories and ecr:GetAccountSetting in account %s, region %s: "+
			"run it with --dest-profile %s=PROFILE or --assume-role ROLE_NAME, or collect those files into the snapshot with that account's credentials.",
			c.d.loc.Account, c.d.loc.Region, c.d.loc.Account),
	}
	if c.reg != nil && c.reg.RegistryPolicy.State == Failed {
		unread.Evidence = []Evidence{{Kind: EvidenceAPIError, Source: c.reg.RegistryPolicy.Source, Text: c.reg.RegistryPolicy.Err.Error()}}
	}
	if len(c.denied) == 0 && len(c.failed) == 0 {
		if len(c.ok) > 0 {
			unread.Detail += fmt.Sprintf(" CloudTrail shows %d successful replication(s) to it, the newest at %s.", len(c.ok), rfc3339(c.ok[0].Time))
		}
		c.unknown = true
		c.findings = append(c.findings, unread)
		return
	}
	d := firstDenial(c.denied)
	explicit := d != nil && d.Kind == trail.KindExplicit
	denied := fmt.Sprintf("Replication of %s to %s is being denied: the destination's registry policy is missing the grant, according to %s.",
		s.Repository, c.d.loc, evidenceSources(c))
	detail := fmt.Sprintf("%s The destination's own state could not be read, so ecrdoctor proposes the standard fix: a registry policy statement in %s that allows account %s ecr:ReplicateImage and ecr:CreateRepository. "+
		"put-registry-policy replaces the whole policy: if %s already has a registry policy, add the statement to it instead.",
		denialSentence(c.denied), c.d.loc, src, c.d.loc)
	if explicit {
		denied = fmt.Sprintf("Replication of %s to %s is being denied by an explicit Deny in %s, according to %s.",
			s.Repository, c.d.loc, withArticle(d.PolicyType), evidenceSources(c))
		detail = fmt.Sprintf("%s An explicit Deny wins over every Allow, so no grant can fix this; the destination's own state could not be read either.", denialSentence(c.denied))
	}
	c.findings = append(c.findings, Finding{
		Code:     CodeReplicateImageDenied,
		Severity: SeverityError,
		Summary:  denied,
		Detail:   detail,
		Evidence: a.failureEvidence(c),
	})
	c.findings = append(c.findings, unread)
	if explicit {
		c.findings[len(c.findings)-2].Fix = &Fix{Steps: []string{
			fmt.Sprintf("CloudTrail names an explicit deny in %s: adding a grant cannot fix it. %s", withArticle(d.PolicyType), denyStep(d, src)),
		}}
		return
	}
	_ = a.attachFix(c)
}

// uncertainCondition: the answer hinges on condition keys ecrdoctor cannot know.
func (a *analysis) uncertainCondition(c *destCheck, res policy.Result, keys []string) {
	var sts []policy.StatementResult
	for _, st := range res.Statements {
		if st.Policy == "resource" && st.PrincipalMatch && st.ActionMatch && st.ResourceMatch && st.DependsOnMissingKey {
			sts = append(sts, st)
		}
	}
	if len(sts) == 0 {
		a.classifyDenial(c, res)
		return
	}
	a.conditionFinding(c, sts, a.failureEvidence(c), true)
	a.misplacedGrant(c, nil)
}

// completed lists the images whose replication to loc is COMPLETE.
func (a *analysis) completed(loc Location) []string {
	var images []string
	for _, st := range a.status {
		if st.status.RegistryID == loc.Account && st.status.Region == loc.Region && st.status.Status == "COMPLETE" {
			images = appendUnique(images, st.image)
		}
	}
	return images
}

// conditionHeld reports whether the snapshot shows the replication role's
// requests to this destination succeeding after its last recorded failure,
// and says how: then a condition ecrdoctor cannot evaluate holds.
func (a *analysis) conditionHeld(c *destCheck) (string, bool) {
	if len(c.ok) > 0 {
		if len(c.denied) > 0 && !c.ok[0].Time.After(c.denied[0].Time) {
			return "", false // the newest call failed
		}
		return fmt.Sprintf("CloudTrail records %d successful replication call(s) since the last failure", len(c.ok)), true
	}
	if len(c.denied) > 0 || len(c.failed) > 0 {
		return "", false
	}
	images := a.completed(c.d.loc)
	if len(images) == 0 {
		return "", false
	}
	return fmt.Sprintf("the replication status of %s is COMPLETE", strings.Join(images, ", ")), true
}

// staleFailures: the policy allows replication now, yet failures were
// recorded; ECR does not retry them.
func (a *analysis) staleFailures(c *destCheck) {
	if len(c.denied) == 0 && len(c.failed) == 0 {
		return
	}
	// A denial by a policy ecrdoctor does not read (an SCP, an RCP) is the
	// cause only if nothing has succeeded since: a success after it shows
	// that policy was changed, and the denials are stale like any other.
	if d := firstDenial(c.denied); d != nil && d.PolicyType != "" && d.PolicyType != trail.PolicyResource &&
		(len(c.ok) == 0 || !c.ok[0].Time.After(c.denied[0].Time)) {
		a.deniedElsewhere(c, d)
		return
	}
	var images []string
	for _, st := range c.failed {
		images = appendUnique(images, st.image)
	}
	steps := []string{"ECR does not retry failed replications: push the affected images again (for example retag them and push) so they replicate now."}
	if len(images) > 0 {
		steps = append(steps, fmt.Sprintf("Images whose replication to %s failed: %s.", c.d.loc, strings.Join(images, ", ")))
	}
	last := ""
	if len(c.denied) > 0 {
		last = fmt.Sprintf(" The newest recorded denial is from %s.", rfc3339(c.denied[0].Time))
	}
	c.findings = append(c.findings, Finding{
		Code:     CodeStaleFailures,
		Severity: SeverityInfo,
		Summary:  fmt.Sprintf("The registry policy of %s now allows replication from %s, but earlier replications failed and were not retried.", c.d.loc, a.snap.Source.Account),
		Detail:   "The current registry policy allows ecr:ReplicateImage for the replication role, so the recorded denials predate a policy change." + last,
		Evidence: a.failureEvidence(c),
		Fix:      &Fix{Steps: steps},
	})
}

// deniedElsewhere: the registry policy allows replication, but CloudTrail
// names another kind of policy as the one that denies it (a resource control
// policy or a VPC endpoint policy, say), which ecrdoctor does not read.
func (a *analysis) deniedElsewhere(c *destCheck, d *trail.Denial) {
	c.findings = append(c.findings, Finding{
		Code:     CodeReplicateImageDenied,
		Severity: SeverityError,
		Summary: fmt.Sprintf("The registry policy of %s allows replication from %s, but CloudTrail shows it denied by %s.",
			c.d.loc, a.snap.Source.Account, withArticle(d.PolicyType)),
		Detail: fmt.Sprintf("The registry policy grants the replication role ecr:ReplicateImage, so it is not the cause. %s "+
			"ecrdoctor does not read that kind of policy: look at the %s that applies to account %s (or %s) and exempt ECR replication there.",
			denialSentence(c.denied), d.PolicyType, c.d.loc.Account, a.snap.Source.Account),
		Evidence: a.failureEvidence(c),
		Fix: &Fix{Steps: []string{
			elsewhereStep(d, a.snap.Source.Account),
			"Then push the affected images again: ECR does not retry failed replications.",
		}},
	})
}

// isECRAction reports whether a denied action is ECR's, or unnamed.
func isECRAction(action string) bool {
	return action == "" || strings.HasPrefix(strings.ToLower(action), "ecr:")
}

// elsewhereStep is the fix for a denial by a policy ecrdoctor does not read.
func elsewhereStep(d *trail.Denial, source string) string {
	if d.Kind == trail.KindExplicit {
		return denyStep(d, source)
	}
	return fmt.Sprintf("Find the %s named in the CloudTrail message and allow ecr:ReplicateImage (and ecr:CreateRepository) for the replication role of account %s.", orPolicy(d.PolicyType), source)
}

// request builds the replication role's request against the destination.
func (a *analysis) request(c *destCheck, action string) policy.Request {
	return policy.Request{
		Principal:       policy.ReplicationPrincipal(a.snap.Source.Account),
		Action:          action,
		Resource:        c.arn,
		ResourceAccount: c.d.loc.Account,
		Context: map[string][]string{
			"aws:RequestedRegion":       {c.d.loc.Region},
			"aws:SecureTransport":       {"true"},
			"aws:PrincipalIsAWSService": {"false"},
		},
	}
}

func (a *analysis) evaluate(p *policy.Policy, req policy.Request) policy.Result {
	if p == nil {
		return policy.Result{Decision: policy.DecisionImplicitDeny, Summary: "There is no registry policy, so nothing allows the request."}
	}
	return policy.Evaluate(p, req)
}

// uncertainKeys returns the absent condition keys that could change res.
func (a *analysis) uncertainKeys(res policy.Result) []string {
	var out []string
	for _, st := range res.Statements {
		if !st.DependsOnMissingKey || !st.PrincipalMatch || !st.ActionMatch || !st.ResourceMatch {
			continue
		}
		// A missing key matters only where it could flip the decision.
		if res.Decision == policy.DecisionAllow && st.Effect == policy.Allow {
			continue
		}
		for _, fc := range st.FailedConditions {
			if fc.MissingKey && !knownAbsentKeys[strings.ToLower(fc.Condition.Key)] {
				out = appendUnique(out, fc.Condition.Key)
			}
		}
		if len(st.FailedConditions) == 0 && st.Effect == policy.Deny {
			for _, k := range res.MissingContextKeys {
				if !knownAbsentKeys[strings.ToLower(k)] {
					out = appendUnique(out, k)
				}
			}
		}
	}
	return out
}

func (a *analysis) parse(text, source string) (*policy.Policy, error) {
	if a.parsed == nil {
		a.parsed = map[string]*policy.Policy{}
	}
	if p, ok := a.parsed[text]; ok {
		return p, nil
	}
	p, err := policy.Parse([]byte(text))
	if err != nil {
		return nil, fmt.Errorf("%s: policyText is not a valid policy: %w", source, err)
	}
	a.parsed[text] = p
	return p, nil
}

func (a *analysis) statement(p *policy.Policy, index int) *policy.Statement {
	if p == nil || index < 0 || index >= len(p.Statements) {
		return nil
	}
	return &p.Statements[index]
}

func (a *analysis) scope(reg *Registry) string {
	if reg != nil && reg.PolicyScope.OK() {
		return reg.PolicyScope.Value.Value
	}
	return ""
}

func (a *analysis) repositoryExists(reg *Registry) tri {
	if reg == nil {
		return triUnknown
	}
	r := reg.Repositories
	if r.ErrCode() == "RepositoryNotFoundException" {
		return triNo
	}
	if !r.OK() {
		return triUnknown
	}
	for _, repo := range r.Value.Repositories {
		if repo.RepositoryName == a.snap.Repository {
			return triYes
		}
	}
	return triNo
}

func (a *analysis) sourceConfigFile() string {
	if src := a.snap.Registry(a.snap.Source); src != nil {
		return src.DescribeRegistry.Source
	}
	return ""
}

// failureEvidence is the CloudTrail and replication-status evidence of
// failures for this destination.
func (a *analysis) failureEvidence(c *destCheck) []Evidence {
	return append(eventEvidence(c.denied, 3), statusEvidence(c.failed, 3)...)
}

// cite names the statements ("Statement \"Sid\" and statement 2") and
// quotes them as evidence.
func (a *analysis) cite(c *destCheck, sts []policy.StatementResult) (string, []Evidence) {
	var names []string
	var ev []Evidence
	for _, st := range sts {
		names = append(names, statementName(st))
		ev = append(ev, a.policyEvidence(c, st))
	}
	return capitalize(strings.Join(names, " and ")), ev
}

func (a *analysis) policyEvidence(c *destCheck, st policy.StatementResult) Evidence {
	text := statementJSON(c.text, st.Index)
	if st.Reason != "" {
		text += "  -- " + st.Reason
	}
	return Evidence{Kind: EvidenceRegistryPolicy, Source: c.reg.RegistryPolicy.Source, Text: text}
}

func eventEvidence(events []trail.Event, max int) []Evidence {
	var out []Evidence
	for i, e := range events {
		if i == max {
			break
		}
		text := e.EventName + " " + e.ErrorCode + ": " + e.ErrorMessage
		if !e.Failed() {
			text = e.EventName + " succeeded"
		}
		out = append(out, Evidence{Kind: EvidenceCloudTrailEvent, Source: e.Source, Text: text, Time: rfc3339(e.Time)})
	}
	if len(events) > max {
		out = append(out, Evidence{Kind: EvidenceCloudTrailEvent, Source: "CloudTrail",
			Text: fmt.Sprintf("and %d more such event(s), the oldest at %s", len(events)-max, rfc3339(events[len(events)-1].Time))})
	}
	return out
}

func statusEvidence(sts []imageStatus, max int) []Evidence {
	var out []Evidence
	for i, st := range sts {
		if i == max {
			break
		}
		text := fmt.Sprintf("image %s: %s to %s/%s", st.image, st.status.Status, st.status.RegistryID, st.status.Region)
		if st.status.FailureCode != "" {
			text += " (" + st.status.FailureCode + ")"
		}
		out = append(out, Evidence{Kind: EvidenceReplicationStatus, Source: st.source, Text: text})
	}
	return out
}

func hasEvent(events []trail.Event, name string) bool {
	for _, e := range events {
		if e.EventName == name {
			return true
		}
	}
	return false
}

func firstDenial(events []trail.Event) *trail.Denial {
	for _, e := range events {
		if e.Denial != nil {
			return e.Denial
		}
	}
	return nil
}

func denialSentence(events []trail.Event) string {
	if len(events) == 0 {
		return ""
	}
	e := events[0]
	s := fmt.Sprintf("CloudTrail recorded %d denied replication call(s), the newest at %s: %q.", len(events), rfc3339(e.Time), e.ErrorMessage)
	if d := e.Denial; d != nil && d.PolicyType != "" {
		switch {
		case d.Kind == trail.KindExplicit:
			s += fmt.Sprintf(" The message names an explicit deny in %s.", withArticle(d.PolicyType))
		case d.PolicyType == trail.PolicyResource:
			s += fmt.Sprintf(" The message says no %s allows it: the destination's registry policy lacks the grant.", d.PolicyType)
		default:
			s += fmt.Sprintf(" The message says no %s allows it.", d.PolicyType)
		}
	}
	// Older denials of another kind matter too: an SCP added last week
	// is not fixed by the grant the newest denial asks for.
	newest := describeDenial(e.Denial)
	counts := map[string]int{}
	var kinds []string
	for _, o := range events[1:] {
		if k := describeDenial(o.Denial); k != "" && k != newest {
			if counts[k] == 0 {
				kinds = append(kinds, k)
			}
			counts[k]++
		}
	}
	if len(kinds) > 0 {
		parts := make([]string, len(kinds))
		for i, k := range kinds {
			parts[i] = fmt.Sprintf("%s (%d)", k, counts[k])
		}
		s += " Older denials name other causes too: " + strings.Join(parts, ", ") + "."
	}
	return s
}

// describeDenial is a short description of a denial's kind and policy.
func describeDenial(d *trail.Denial) string {
	switch {
	case d == nil:
		return ""
	case d.Kind == trail.KindExplicit:
		return "an explicit deny in " + withArticle(d.PolicyType)
	case d.PolicyType != "":
		return "no " + d.PolicyType + " allows it"
	}
	return ""
}

func orPolicy(policyType string) string {
	if policyType == "" {
		return "policy"
	}
	return policyType
}

func evidenceSources(c *destCheck) string {
	var parts []string
	if len(c.denied) > 0 {
		parts = append(parts, fmt.Sprintf("%d CloudTrail event(s)", len(c.denied)))
	}
	if len(c.failed) > 0 {
		parts = append(parts, fmt.Sprintf("%d FAILED replication status(es)", len(c.failed)))
	}
	return strings.Join(parts, " and ")
}

func statementName(st policy.StatementResult) string {
	if st.Sid != "" {
		return fmt.Sprintf("statement %q", st.Sid)
	}
	return fmt.Sprintf("statement %d", st.Index)
}

func conditionReasons(sts []policy.StatementResult) string {
	var out []string
	for _, st := range sts {
		for _, fc := range st.FailedConditions {
			if fc.Reason != "" {
				out = append(out, fc.Reason)
			}
		}
	}
	if len(out) == 0 {
		return ""
	}
	return "Evaluator: " + strings.Join(out, "; ") + "."
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func locate(path string) string {
	if path == "" {
		return "whole policy"
	}
	return path
}

func principalList(p *policy.Principals) []string {
	if p.Wildcard {
		return []string{"*"}
	}
	var out []string
	out = append(out, p.AWS...)
	out = append(out, p.Service...)
	out = append(out, p.Federated...)
	out = append(out, p.CanonicalUser...)
	return out
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
