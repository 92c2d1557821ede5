package diagnose

import (
	"fmt"
	"strings"

	"github.com/ecrdoctor/ecrdoctor/diagnose/trail"
)

// Checks of what CloudTrail and the replication status show, where the
// policies cannot say (a destination in the source account, one that could
// not be read) or no longer say (failures from before a policy change).

// deniedInSameAccount: a destination in the source account needs no
// policy, so a failure there points elsewhere.
func deniedInSameAccount(d *destination) *Finding {
	if d.path != pathSameAccount || !d.failed() {
		return nil
	}
	return &Finding{
		Summary: fmt.Sprintf("Replication of %s to %s failed, although a destination in the same account needs no registry policy.", d.Repository, d.Destination),
		Detail: "Same-account, cross-region replication is authorized without any registry policy, so a failure here points elsewhere: " +
			"a registry policy with an explicit Deny (under REGISTRY_POLICY_SCOPE V2 it applies to every ECR request), an opt-in region that is not enabled, " +
			"or a KMS key the replication cannot use. " + denialSentence(d.Denied),
		Evidence: d.failureEvidence(),
		Fix: &Fix{Steps: []string{
			fmt.Sprintf("Check the registry policy of %s for Deny statements matching ecr:ReplicateImage, and that region %s is enabled for the account.", d.Destination, d.Destination.Region),
		}},
	}
}

// deniedWhileUnreadable: the destination could not be read, but the
// evidence shows replication denied. Unless CloudTrail names an explicit
// Deny, the fix step proposes the standard grant.
func deniedWhileUnreadable(d *destination) *Finding {
	if d.path != pathUnreadable || !d.failed() {
		return nil
	}
	src := d.Source.Account
	f := &Finding{
		Summary: fmt.Sprintf("Replication of %s to %s is being denied: the destination's registry policy is missing the grant, according to %s.",
			d.Repository, d.Destination, d.evidenceSources()),
		Detail: fmt.Sprintf("%s The destination's own state could not be read, so ecrdoctor proposes the standard fix: a registry policy statement in %s that allows account %s ecr:ReplicateImage and ecr:CreateRepository. "+
			"put-registry-policy replaces the whole policy: if %s already has a registry policy, add the statement to it instead.",
			denialSentence(d.Denied), d.Destination, src, d.Destination),
		Evidence: d.failureEvidence(),
	}
	if den := d.denial; den != nil && den.Kind == trail.KindExplicit {
		f.Summary = fmt.Sprintf("Replication of %s to %s is being denied by an explicit Deny in %s, according to %s.",
			d.Repository, d.Destination, withArticle(den.PolicyType), d.evidenceSources())
		f.Detail = fmt.Sprintf("%s An explicit Deny wins over every Allow, so no grant can fix this; the destination's own state could not be read either.", denialSentence(d.Denied))
		f.Fix = &Fix{Steps: []string{
			fmt.Sprintf("CloudTrail names an explicit deny in %s: adding a grant cannot fix it. %s", withArticle(den.PolicyType), denyStep(den, src)),
		}}
	}
	return f
}

func destinationUnreadable(d *destination) *Finding {
	if d.path != pathUnreadable {
		return nil
	}
	dst := d.Destination
	f := &Finding{
		// Nobody gave credentials for it: a gap to fill, not a fault.
		Severity: SeverityWarning,
		Summary:  fmt.Sprintf("The registry policy of the destination %s could not be read (%s).", dst, d.RegistryPolicy.Why),
		Detail: fmt.Sprintf("To check the destination, ecrdoctor needs ecr:GetRegistryPolicy, ecr:GetRepositoryPolicy, ecr:DescribeRepositories and ecr:GetAccountSetting in account %s, region %s: "+
			"run it with --dest-profile %s=PROFILE or --assume-role ROLE_NAME, or collect those files into the snapshot with that account's credentials.",
			dst.Account, dst.Region, dst.Account),
	}
	if cf := d.Credentials; cf != nil {
		// The credentials the user gave for it failed: that is the problem
		// to fix first, and no other flag is the answer.
		f.Severity = SeverityError
		f.Summary = fmt.Sprintf("The credentials given for the destination account %s (%s) did not work, so %s could not be read: %s.", dst.Account, cf.Given, dst, cf.Reason)
		f.Detail = fmt.Sprintf("Fix those credentials and run again: they must belong to account %s and allow ecr:GetRegistryPolicy, ecr:GetRepositoryPolicy, ecr:DescribeRepositories and ecr:GetAccountSetting in region %s "+
			"(for --assume-role, the source principal needs sts:AssumeRole on the role and the role's trust policy must allow it).", dst.Account, dst.Region)
	}
	if rp := d.RegistryPolicy; rp.Err != "" {
		f.Evidence = []Evidence{{Kind: EvidenceAPIError, Source: rp.Source, Text: rp.Err}}
	}
	if !d.failed() && len(d.Succeeded) > 0 {
		f.Detail += fmt.Sprintf(" CloudTrail shows %d successful replication(s) to it, the newest at %s.", len(d.Succeeded), rfc3339(d.Succeeded[0].Time))
	}
	return f
}

// recoveredFrom reports whether the policy now allows replication and
// failures were recorded before: then they are stale, unless a policy
// ecrdoctor does not read denies it (deniedByOther).
func (d *destination) recoveredFrom() bool {
	return d.failed() && (d.path == pathAllowed && d.createOK || d.path == pathHeld)
}

// deniedByOther is the CloudTrail denial by a policy ecrdoctor does not
// read (an SCP, an RCP), when it is the newest word: a success after it
// shows that policy was changed, and the denials are stale like any other.
func (d *destination) deniedByOther() *trail.Denial {
	den := d.denial
	if den == nil || den.PolicyType == "" || den.PolicyType == trail.PolicyResource {
		return nil
	}
	if len(d.Succeeded) > 0 && d.Succeeded[0].Time.After(d.Denied[0].Time) {
		return nil
	}
	return den
}

// deniedElsewhere: the registry policy allows replication, but CloudTrail
// names another kind of policy as the one that denies it (a resource control
// policy or a VPC endpoint policy, say), which ecrdoctor does not read.
func deniedElsewhere(d *destination) *Finding {
	if !d.recoveredFrom() || d.deniedByOther() == nil {
		return nil
	}
	den, src := d.deniedByOther(), d.Source.Account
	return &Finding{
		Summary: fmt.Sprintf("The registry policy of %s allows replication from %s, but CloudTrail shows it denied by %s.",
			d.Destination, src, withArticle(den.PolicyType)),
		Detail: fmt.Sprintf("The registry policy grants the replication role ecr:ReplicateImage, so it is not the cause. %s "+
			"ecrdoctor does not read that kind of policy: look at the %s that applies to account %s (or %s) and exempt ECR replication there.",
			denialSentence(d.Denied), den.PolicyType, d.Destination.Account, src),
		Evidence: d.failureEvidence(),
		Fix:      elsewhereFix(d, den),
	}
}

// staleFailures: the policy allows replication now, yet failures were
// recorded; ECR does not retry them.
func staleFailures(d *destination) *Finding {
	if !d.recoveredFrom() || d.deniedByOther() != nil {
		return nil
	}
	var images []string
	for _, st := range d.Failed {
		images = appendUnique(images, st.Image)
	}
	var steps []string
	if len(images) > 0 {
		steps = append(steps, fmt.Sprintf("Images whose replication to %s failed: %s.", d.Destination, strings.Join(images, ", ")))
	}
	fix := &Fix{Steps: steps}
	backfillTo(fix, d, false)
	last := ""
	if len(d.Denied) > 0 {
		last = fmt.Sprintf(" The newest recorded denial is from %s.", rfc3339(d.Denied[0].Time))
	}
	f := &Finding{
		Detail:   "The current registry policy allows ecr:ReplicateImage for the replication role, so the recorded denials predate a policy change." + last,
		Evidence: d.failureEvidence(),
		Fix:      fix,
	}
	if len(images) > 0 {
		// A FAILED status stays until the image replicates: it is
		// missing in the destination until it is re-driven.
		f.Summary = fmt.Sprintf("The registry policy of %s now allows replication from %s, but %s failed to replicate there and %s still missing until re-driven.",
			d.Destination, d.Source.Account, strings.Join(images, ", "), isAre(len(images)))
		return f
	}
	f.Severity = SeverityWarning
	f.Summary = fmt.Sprintf("The registry policy of %s now allows replication from %s, but earlier replications were denied, and ecrdoctor cannot tell whether those images are still missing there.",
		d.Destination, d.Source.Account)
	f.Detail += " No replication status of the repository's images was read, and CloudTrail does not name the image a call was for: check the images in the destination, and re-drive those that are missing."
	return f
}

// elsewhereFix changes the policy ecrdoctor does not read, then re-drives
// the failed images.
func elsewhereFix(d *destination, den *trail.Denial) *Fix {
	fix := &Fix{Steps: []string{elsewhereStep(den, d.Source.Account)}}
	backfillTo(fix, d, true)
	return fix
}

// elsewhereStep is the fix for a denial by a policy ecrdoctor does not read.
func elsewhereStep(d *trail.Denial, source string) string {
	if d.Kind == trail.KindExplicit {
		return denyStep(d, source)
	}
	return fmt.Sprintf("Find the %s named in the CloudTrail message and allow ecr:ReplicateImage (and ecr:CreateRepository) for the replication role of account %s.", orPolicy(d.PolicyType), source)
}

func isAre(n int) string {
	if n == 1 {
		return "is"
	}
	return "are"
}
