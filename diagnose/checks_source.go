package diagnose

import (
	"fmt"

	"github.com/ecrdoctor/ecrdoctor/diagnose/awsid"
)

// Checks of the source registry's replication rules: is the repository
// replicated anywhere, and to a registry other than its own?

func replicationNotConfigured(f *Facts) *Finding {
	if !f.Rules.Known || len(f.Rules.Rules) > 0 {
		return nil
	}
	return &Finding{
		Summary: fmt.Sprintf("The source registry %s has no replication rules, so %s is not replicated anywhere.", f.Source, f.Repository),
		Detail: fmt.Sprintf("describe-registry in account %s, region %s returns an empty replicationConfiguration. Replication is configured per region on the source registry; "+
			"if images are pushed to %s, the rules must be created there with put-replication-configuration (Terraform: aws_ecr_replication_configuration). "+
			"Several Terraform roots that each declare aws_ecr_replication_configuration overwrite one another.", f.Source.Account, f.Source.Region, f.Source.Region),
		Evidence: []Evidence{{Kind: EvidenceReplicationConfiguration, Source: f.Rules.Source, Text: `"replicationConfiguration": {"rules": []}`}},
		Fix: &Fix{Steps: []string{
			fmt.Sprintf("Create a replication rule in %s that names the destination registries (and a filter that covers %q, or none).", f.Source.Region, f.Repository),
		}},
	}
}

func filterDoesNotMatch(f *Facts) *Finding {
	if !f.Rules.Known || len(f.Rules.Rules) == 0 {
		return nil
	}
	var prefixes []string
	for _, rule := range f.Rules.Rules {
		if _, ok := awsid.Covers(rule.RepositoryFilters, f.Repository); ok && len(rule.Destinations) > 0 {
			return nil
		}
		for _, flt := range rule.RepositoryFilters {
			prefixes = append(prefixes, flt.Filter)
		}
	}
	return &Finding{
		Summary: fmt.Sprintf("No replication rule's filter covers %s: the rules only replicate repositories starting with %s.", f.Repository, quoteList(prefixes)),
		Detail: fmt.Sprintf("Every rule in %s has repository filters of type PREFIX_MATCH, and none of %s is a prefix of %q, so ECR never attempts to replicate it (no ReplicateImage call is made). "+
			"The nearest filter is %q. Filters are plain name prefixes without wildcards.", f.Source, quoteList(prefixes), f.Repository, nearestPrefix(prefixes, f.Repository)),
		Evidence: []Evidence{{Kind: EvidenceReplicationConfiguration, Source: f.Rules.Source, Text: "repositoryFilters: " + quoteList(prefixes)}},
		Fix:      filterFix(f),
	}
}

// destinationIsSource: a rule names the source registry as a destination.
func destinationIsSource(d *destination) *Finding {
	if d.path != pathSource {
		return nil
	}
	return &Finding{
		Summary: fmt.Sprintf("A replication rule names the source registry itself (%s) as its destination.", d.Source),
		Detail: "A registry cannot replicate to itself: AWS rejects such a rule (\"Replication destination cannot be the same as the source registry\"), " +
			"and nothing is replicated for it. The registryId or region of the destination is probably wrong.",
		Evidence: []Evidence{{Kind: EvidenceReplicationConfiguration, Source: d.RulesSource,
			Text: fmt.Sprintf(`{"region": %q, "registryId": %q}`, d.Source.Region, d.Source.Account)}},
		Fix: &Fix{Steps: []string{"Correct the destination's registryId and region in the replication rule, or remove that destination."}},
	}
}

// CodeReplicationTooManyDestinations: the rules name more unique
// destinations than the quota (failure-mode note FM-21). lint reports it as
// an apply failure; why, which reads a configuration AWS accepted, warns.
const CodeReplicationTooManyDestinations = "REPLICATION_TOO_MANY_DESTINATIONS"

// MaxUniqueDestinations is the quota of unique destinations across all the
// rules of a registry: 25, not adjustable (the user guide's service quotas;
// the API model's per-rule maximum of 100 is not it, failure-mode note §0.5).
const MaxUniqueDestinations = 25

// tooManyDestinations: the source's rules name more than 25 unique
// destinations. AWS is documented to refuse such a configuration, so one
// read back from describe-registry contradicts the documentation: what
// replication does beyond the quota is not documented (a warning).
func tooManyDestinations(f *Facts) *Finding {
	if !f.Rules.Known {
		return nil
	}
	unique := map[Location]bool{}
	for _, rule := range f.Rules.Rules {
		for _, d := range rule.Destinations {
			unique[Location{Account: d.RegistryID, Region: d.Region}] = true
		}
	}
	if len(unique) <= MaxUniqueDestinations {
		return nil
	}
	return &Finding{
		Severity: SeverityWarning,
		Summary:  fmt.Sprintf("The replication rules of %s name %d unique destinations; AWS documents at most %d.", f.Source, len(unique), MaxUniqueDestinations),
		Detail: fmt.Sprintf("The quota of unique destinations across all the rules of a registry is %d and cannot be raised: put-replication-configuration is documented to refuse more. "+
			"This configuration has more, so AWS accepted it against its documentation, and whether ECR replicates to every destination is not documented: "+
			"treat a destination that receives nothing as possibly over the quota.", MaxUniqueDestinations),
		Evidence: []Evidence{{Kind: EvidenceReplicationConfiguration, Source: f.Rules.Source, Text: fmt.Sprintf("%d unique {region, registryId} destinations across %d rule(s)", len(unique), len(f.Rules.Rules))}},
		Fix: &Fix{Steps: []string{
			fmt.Sprintf("Keep at most %d unique destinations across the rules of %s: remove some, or replicate in stages (ECR does not replicate a replicated image again, so a stage is a pipeline that pushes from a destination).", MaxUniqueDestinations, f.Source),
		}},
	}
}
