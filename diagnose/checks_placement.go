package diagnose

import (
	"fmt"
	"strings"
)

// Checks of where the replication grant was put instead of the
// destination's registry policy in the destination region.

// grantInRepositoryPolicy: the classic confusion of repository policy and
// registry policy (FM-02).
func grantInRepositoryPolicy(d *destination) *Finding {
	if len(d.repoGrants) == 0 || !(d.deniedImplicitly() || d.path == pathUncertain) {
		return nil
	}
	var names []string
	var ev []Evidence
	for _, st := range d.repoGrants {
		names = append(names, statementName(st))
		ev = append(ev, Evidence{Kind: EvidenceRepositoryPolicy, Source: d.RepositoryPolicy.Source, Text: d.repoPolicy.statementJSON(st.Index)})
	}
	if d.path == pathDenied {
		// Where the condition is uncertain, its finding shows the failures.
		ev = append(ev, d.failureEvidence()...)
	}
	regState := "has no registry policy at all"
	if d.registry != nil {
		regState = "has a registry policy, but it does not grant this"
	}
	return &Finding{
		Summary: fmt.Sprintf("The grant for account %s is in the repository policy of %s, not in the registry policy of %s, where replication looks for it.",
			d.Source.Account, d.Repository, d.Destination),
		Detail: fmt.Sprintf("%s of the repository policy of %s allows the replication role of account %s to perform ecr:ReplicateImage, but cross-account replication is authorized only by the destination's registry policy "+
			"(Terraform aws_ecr_registry_policy, not aws_ecr_repository_policy). %s %s. Move the grant to the registry policy and remove it from the repository policy.",
			capitalize(strings.Join(names, " and ")), d.Repository, d.Source.Account, d.Destination, regState),
		Evidence: ev,
	}
}

// grantInOtherRegion: the destination account grants replication in a
// region the rule does not replicate to (FM-04).
func grantInOtherRegion(d *destination) *Finding {
	if !d.deniedImplicitly() || d.otherRegion == nil {
		return nil
	}
	o := d.otherRegion
	return &Finding{
		Summary: fmt.Sprintf("The replication grant for account %s is in the registry policy of region %s, but the rule replicates to %s.",
			d.Source.Account, o.Region, d.Destination.Region),
		Detail: fmt.Sprintf("Registry policies are set per region. Account %s grants replication in %s, but has no such grant in %s, the destination region of the replication rule. "+
			"Put the registry policy in %s as well (a Terraform provider for %s).", d.Destination.Account, o.Region, d.Destination.Region, d.Destination.Region, d.Destination.Region),
		Evidence: append([]Evidence{{Kind: EvidenceRegistryPolicy, Source: o.Policy.Source, Text: compactJSON(o.Policy.Text)}}, d.failureEvidence()...),
	}
}
