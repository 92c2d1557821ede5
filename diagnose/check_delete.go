package diagnose

import (
	"fmt"
	"strings"

	"github.com/ecrdoctor/ecrdoctor/diagnose/awsid"
)

// CodeDeleteReplicationEnabled: a rule that replicates the repository to a
// destination also replicates deletions there.
const CodeDeleteReplicationEnabled = "DELETE_REPLICATION_ENABLED"

const docReplicationDelete = "https://docs.aws.amazon.com/AmazonECR/latest/userguide/replication-delete.html"

// deleteReplicationEnabled reports, as information, that the rules
// covering the repository replicate deletions to d: an image missing in the
// destination may have been removed on purpose (failure-mode note §10.2).
func deleteReplicationEnabled(d *destination) *Finding {
	rules := d.DeleteReplicationRules
	if len(rules) == 0 {
		return nil
	}
	f := &Finding{
		Summary: fmt.Sprintf("Deletions are replicated to %s: an image or tag removed from %s in %s is removed there too.",
			d.Destination, d.Repository, d.Source),
		Detail: fmt.Sprintf("In the replication configuration of %s, %s has deleteReplication enabled. ECR then replicates a tag removal, the deletion of an image by digest, "+
			"and the expiry of an image by the source repository's lifecycle policy to the destination; removing an image's last tag deletes the image there. "+
			"An image that is missing in %s may therefore have been removed in the source on purpose, by a person or by a lifecycle rule, rather than have failed to replicate.",
			d.Source, strings.Join(rules, " and "), d.Destination),
		Evidence: []Evidence{{Kind: EvidenceReplicationConfiguration, Source: d.RulesSource,
			Text: strings.Join(rules, ", ") + `: "deleteReplication": {"enabled": true}`}},
		Fix: &Fix{Steps: []string{
			fmt.Sprintf("If an image is missing in %s, look for its deletion in the source first: the source repository's lifecycle policy (`aws ecr get-lifecycle-policy --region %s --repository-name %s`) and BatchDeleteImage calls in the source account's CloudTrail.",
				d.Destination, shellQuote(d.Source.Region), shellQuote(d.Repository)),
			"To keep the destination's copies when the source deletes them, set deleteReplication.enabled to false in that rule (put-replication-configuration replaces the whole configuration: keep the other rules). " +
				"A Terraform aws_ecr_replication_configuration that does not set delete replication may turn it off again at the next apply: check the provider version you use.",
		}},
	}
	explainDeletions(d, f)
	return f
}

// deleteReplicationRules names the rules ("rules[0]") that cover repo,
// send it to dst and replicate deletions.
func deleteReplicationRules(rules []ReplicationRule, repo string, dst Location) []string {
	var out []string
	for i, rule := range rules {
		if rule.DeleteReplication == nil || !rule.DeleteReplication.Enabled {
			continue
		}
		if _, ok := awsid.Covers(rule.RepositoryFilters, repo); !ok {
			continue
		}
		for _, d := range rule.Destinations {
			if (Location{Account: d.RegistryID, Region: d.Region}) == dst {
				out = append(out, fmt.Sprintf("rules[%d]", i))
				break
			}
		}
	}
	return out
}
