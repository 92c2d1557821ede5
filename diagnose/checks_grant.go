package diagnose

import (
	"fmt"
	"strings"

	"github.com/ecrdoctor/ecrdoctor/diagnose/awsid"
	"github.com/ecrdoctor/ecrdoctor/diagnose/policy"
	"github.com/ecrdoctor/ecrdoctor/diagnose/trail"
)

// Checks of what the destination's registry policy answers to the
// replication role's request, most specific cause first. They apply when the
// policy does not allow the request (pathDenied), the generic ones only when
// no specific one explains it.

// denied reports whether d is on the denied path without an explicit Deny:
// then the statements that almost allow the request explain why.
func (d *destination) deniedImplicitly() bool {
	return d.path == pathDenied && d.replicate.Decision != policy.DecisionExplicitDeny
}

func explicitDeny(d *destination) *Finding {
	if d.path != pathDenied || d.replicate.Decision != policy.DecisionExplicitDeny {
		return nil
	}
	names, ev := d.cite(d.replicate.Deciding)
	src := d.Source.Account
	return &Finding{
		Summary: fmt.Sprintf("%s in the registry policy of %s explicitly denies the replication of %s.", names, d.Destination, d.Repository),
		Detail: fmt.Sprintf("The replication role of account %s (%s) asks for ecr:ReplicateImage on %s. %s An explicit Deny wins over every Allow, so no grant can fix this on its own.",
			src, policy.ReplicationPrincipal(src).ARN, d.arn, d.replicate.Summary),
		Evidence: append(ev, d.failureEvidence()...),
	}
}

// conditionNeverHolds: a grant's condition is on a key the replication
// role's request never carries.
func conditionNeverHolds(d *destination) *Finding {
	if !d.deniedImplicitly() || len(d.conds) == 0 {
		return nil
	}
	names, ev := d.cite(d.conds)
	keys := conditionKeys(d.conds)
	return &Finding{
		Summary: fmt.Sprintf("%s %s replication to account %s, but %s condition on %s never holds for the replication role.",
			names, agree(d.conds, "grants", "grant"), d.Source.Account, agree(d.conds, "its", "their"), strings.Join(keys, ", ")),
		Detail: fmt.Sprintf("ECR replication calls ReplicateImage as %s. That request does not carry %s: those keys are set only when a service principal acts on someone's behalf, so the condition evaluates to false and the statement never applies. %s",
			policy.ReplicationPrincipal(d.Source.Account).ARN, strings.Join(keys, ", "), conditionReasons(d.conds)),
		Evidence: append(ev, d.failureEvidence()...),
	}
}

// conditionUnknown: the grant hinges on a key ecrdoctor cannot know. With
// failures recorded, they show it does not hold (an error); without, the
// verdict is unknown (a warning).
func conditionUnknown(d *destination) *Finding {
	if d.path != pathUncertain {
		return nil
	}
	sts := d.uncertainStatements
	names, ev := d.cite(sts)
	keys := strings.Join(conditionKeys(sts), ", ")
	src := d.Source.Account
	if d.failed() {
		return &Finding{
			Summary: fmt.Sprintf("%s %s replication to account %s only if %s matches, and the recorded failures show that it does not.", names, agree(sts, "grants", "grant"), src, keys),
			Detail: fmt.Sprintf("Whether the request carries a matching %s cannot be read from the snapshot, but the recorded denials show that the condition does not hold for the replication role. %s",
				keys, conditionReasons(sts)),
			Evidence: append(ev, d.failureEvidence()...),
			Fix: &Fix{Steps: []string{fmt.Sprintf("The proposed statement has no condition on %s, so it makes that condition moot for account %s. If the condition is deliberate, correct its value%s instead of adding the statement.",
				keys, src, orgHint(conditionKeys(sts), src))}},
		}
	}
	return &Finding{
		Severity: SeverityWarning,
		Summary:  fmt.Sprintf("%s %s replication to account %s only if %s matches, which ecrdoctor cannot know.", names, agree(sts, "grants", "grant"), src, keys),
		Detail: fmt.Sprintf("Whether the replication role's request carries a matching %s cannot be read from the snapshot, so the verdict for %s is unknown. "+
			"CloudTrail denials for this destination would settle it; none were found. %s", keys, d.Destination, conditionReasons(sts)),
		Evidence: append(ev, d.failureEvidence()...),
		// Nothing failed: loosening the condition would only remove a
		// guardrail someone put there on purpose.
		Fix: &Fix{Steps: []string{
			fmt.Sprintf("Nothing recorded has failed for %s. If replication to it does fail, this condition is the first suspect: check that the replication role's requests from account %s carry %s with the value the condition expects%s.",
				d.Destination, src, keys, orgHint(conditionKeys(sts), src)),
			"Do not remove or bypass the condition just because ecrdoctor cannot evaluate it: it is probably a deliberate guardrail.",
		}},
	}
}

func conditionKeys(sts []policy.StatementResult) []string {
	var keys []string
	for _, st := range sts {
		for _, fc := range st.FailedConditions {
			keys = appendUnique(keys, fc.Condition.Key)
		}
	}
	return keys
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

func resourceMismatch(d *destination) *Finding {
	if !d.deniedImplicitly() || len(d.resources) == 0 {
		return nil
	}
	names, ev := d.cite(d.resources)
	var resources []string
	for _, st := range d.resources {
		if stmt := d.registry.statement(st.Index); stmt != nil {
			resources = append(resources, stmt.Resource...)
		}
	}
	near := nearestARN(resources, d.arn)
	detail := fmt.Sprintf("The statement names the right principal and action, but its Resource %s does not match %s (ARNs match case-sensitively, with * and ? wildcards).",
		quoteList(resources), d.arn)
	if near != "" {
		detail += " " + describeARNDifference(near, d.arn)
	}
	return &Finding{
		Summary:  fmt.Sprintf("%s %s replication, but %s Resource does not cover %s.", names, agree(d.resources, "grants", "grant"), agree(d.resources, "its", "their"), d.arn),
		Detail:   detail,
		Evidence: append(ev, d.failureEvidence()...),
	}
}

func principalMismatch(d *destination) *Finding {
	if !d.deniedImplicitly() || len(d.principals) == 0 {
		return nil
	}
	// A statement whose principal looks like a slip for the source (a
	// typo of its account, the destination itself, one identity in it) is
	// the finding. A grant to an unrelated account is most likely another
	// source's: it is the finding only when nothing in the policy is
	// meant for this source at all, and is otherwise left alone.
	var wrong, others []policy.StatementResult
	for _, st := range d.principals {
		if d.mistakenPrincipal(st.Index) {
			wrong = append(wrong, st)
		} else {
			others = append(others, st)
		}
	}
	cited := wrong
	if len(wrong) == 0 {
		if len(d.conds) > 0 || len(d.resources) > 0 || len(d.actions) > 0 {
			return nil // a statement for the source exists: its own check explains it
		}
		cited, others = others, nil
	}
	names, ev := d.cite(cited)
	principals := d.statementPrincipals(cited)
	src := d.Source.Account
	detail := fmt.Sprintf("Replication is performed by the service-linked role of the source account, %s. The statement grants ecr:ReplicateImage to %s instead. ",
		policy.ReplicationPrincipal(src).ARN, quoteList(principals))
	for _, p := range principals {
		if acct := awsid.ARNAccount(p); acct != "" && acct != src {
			if acct == d.Destination.Account {
				detail += fmt.Sprintf("%s is the destination account itself (a copy of the Terraform example that grants the current account). ", acct)
			} else if EditDistance(acct, src) <= 2 {
				detail += fmt.Sprintf("%s differs from the source account %s by %d digit(s): a typo? ", acct, src, EditDistance(acct, src))
			}
		} else if acct == src {
			detail += fmt.Sprintf("%s names a specific identity in the source account, not the account: the replication role is %s. ", p, policy.ReplicationPrincipal(src).ARN)
		}
	}
	if len(others) > 0 {
		otherNames, _ := d.cite(others)
		detail += fmt.Sprintf("%s %s %s, another account's grant (another source's, perhaps), which this one leaves as it is. ",
			otherNames, agree(others, "grants", "grant"), strings.Join(d.statementPrincipals(others), ", "))
	}
	detail += fmt.Sprintf("Grant %s (or the account id %s).", awsid.AccountRootARN(d.Destination.Region, src), src)
	return &Finding{
		Summary:  fmt.Sprintf("%s %s ecr:ReplicateImage to %s, not to the source account %s.", names, agree(cited, "grants", "grant"), strings.Join(principals, ", "), src),
		Detail:   strings.TrimSpace(detail),
		Evidence: append(ev, d.failureEvidence()...),
	}
}

// statementPrincipals lists the principals the registry policy's
// statements sts name, in order.
func (d *destination) statementPrincipals(sts []policy.StatementResult) []string {
	var out []string
	for _, st := range sts {
		if stmt := d.registry.statement(st.Index); stmt != nil && stmt.Principal != nil {
			out = append(out, principalList(stmt.Principal)...)
		}
	}
	return out
}

// mistakenPrincipal reports whether every principal of the registry
// policy's statement index is a slip for the source account: a typo of it
// (two digits at most), the destination account itself, or one identity
// in the source account instead of the account.
func (d *destination) mistakenPrincipal(index int) bool {
	stmt := d.registry.statement(index)
	if stmt == nil || stmt.Principal == nil {
		return false
	}
	src := d.Source.Account
	ps := principalList(stmt.Principal)
	for _, p := range ps {
		acct := awsid.ARNAccount(p)
		if !(acct == src || acct == d.Destination.Account || acct != "" && EditDistance(acct, src) <= 2) {
			return false
		}
	}
	return len(ps) > 0
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

// actionNotGranted: statements for the source account allow other actions;
// or, when nothing more specific explains the denial, the policy says
// nothing about the source account at all.
func actionNotGranted(d *destination) *Finding {
	if !d.deniedImplicitly() || d.registry == nil {
		return nil
	}
	src := d.Source.Account
	if len(d.actions) > 0 {
		names, ev := d.cite(d.actions)
		var acts []string
		for _, st := range d.actions {
			if stmt := d.registry.statement(st.Index); stmt != nil {
				acts = append(acts, stmt.Action...)
			}
		}
		return &Finding{
			Summary:  fmt.Sprintf("%s %s for account %s but %s %s, not ecr:ReplicateImage.", names, agree(d.actions, "is", "are"), src, agree(d.actions, "allows", "allow"), strings.Join(acts, ", ")),
			Detail:   "Cross-account replication needs ecr:ReplicateImage (and ecr:CreateRepository when the destination repository does not exist yet) in the destination's registry policy.",
			Evidence: append(ev, d.failureEvidence()...),
		}
	}
	if len(d.conds) > 0 || len(d.resources) > 0 || len(d.principals) > 0 || len(d.repoGrants) > 0 || d.otherRegion != nil {
		return nil // a more specific check explains it
	}
	return &Finding{
		Summary: fmt.Sprintf("The registry policy of %s has no statement that grants account %s ecr:ReplicateImage.", d.Destination, src),
		Detail: fmt.Sprintf("The registry policy has %d statement(s); none allows the replication role of account %s to perform ecr:ReplicateImage on %s.",
			len(d.registry.doc.Statements), src, d.arn),
		Evidence: append([]Evidence{{Kind: EvidenceRegistryPolicy, Source: d.RegistryPolicy.Source, Text: compactJSON(d.RegistryPolicy.Text)}}, d.failureEvidence()...),
	}
}

func registryPolicyMissing(d *destination) *Finding {
	if !d.deniedImplicitly() || d.RegistryPolicy.State != PolicyAbsent {
		return nil
	}
	rp := d.RegistryPolicy
	return &Finding{
		Summary: fmt.Sprintf("The destination registry %s has no registry policy, so it does not let account %s replicate into it.", d.Destination, d.Source.Account),
		Detail: fmt.Sprintf("Cross-account replication needs a registry permissions policy in the destination account and region that allows the source account ecr:ReplicateImage (and ecr:CreateRepository). "+
			"get-registry-policy in %s returns RegistryPolicyNotFoundException.", d.Destination),
		Evidence: append([]Evidence{{Kind: EvidenceAPIError, Source: rp.Source, Text: rp.Err}}, d.failureEvidence()...),
	}
}

// createRepositoryNotAllowed: replication would have to create the
// destination repository, and may not. Where the policy allows replication
// otherwise, a recorded failed CreateRepository is reason enough; where it
// does not, only a repository known to be missing is.
func createRepositoryNotAllowed(d *destination) *Finding {
	if d.createOK {
		return nil
	}
	switch d.path {
	case pathAllowed:
	case pathDenied, pathUncertain:
		if d.RepositoryExists != TriNo {
			return nil
		}
	default:
		return nil
	}
	ev := []Evidence{{Kind: EvidenceRepository, Source: d.RepositoriesSource,
		Text: fmt.Sprintf("%s is not among the repositories of %s", d.Repository, d.Destination)}}
	var creates []trail.Event
	for _, e := range d.Denied {
		if e.EventName == "CreateRepository" {
			creates = append(creates, e)
		}
	}
	ev = append(ev, eventEvidence(creates, 2)...)
	return &Finding{
		Summary: fmt.Sprintf("The repository %s does not exist in %s, and the registry policy does not allow account %s ecr:CreateRepository.", d.Repository, d.Destination, d.Source.Account),
		Detail: "Replication creates a missing destination repository only when the registry policy grants ecr:CreateRepository; otherwise a repository with the same name must be created first. " +
			"Neither is the case, so replication fails. " + d.create.Summary,
		Evidence: ev,
	}
}
