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

// deleteReplication reports, as information, that the rules covering the
// repository replicate deletions to d: an image missing in the destination
// may have been removed on purpose (failure-mode note §10.2).
func (a *analysis) deleteReplication(d destination) {
	src := a.snap.Registry(a.snap.Source)
	if src == nil || !src.DescribeRegistry.OK() || src.DescribeRegistry.Value.ReplicationConfiguration == nil {
		return
	}
	var rules []string
	for i, rule := range src.DescribeRegistry.Value.ReplicationConfiguration.Rules {
		if rule.DeleteReplication == nil || !rule.DeleteReplication.Enabled {
			continue
		}
		if _, ok := awsid.Covers(rule.RepositoryFilters, a.snap.Repository); !ok {
			continue
		}
		for _, dst := range rule.Destinations {
			if (Location{Account: dst.RegistryID, Region: dst.Region}) == d.loc {
				rules = append(rules, fmt.Sprintf("rules[%d]", i))
				break
			}
		}
	}
	if len(rules) == 0 {
		return
	}
	loc := d.loc
	a.add(Finding{
		Code:        CodeDeleteReplicationEnabled,
		Severity:    SeverityInfo,
		Destination: &loc,
		Summary: fmt.Sprintf("Deletions are replicated to %s: an image or tag removed from %s in %s is removed there too.",
			d.loc, a.snap.Repository, a.snap.Source),
		Detail: fmt.Sprintf("In the replication configuration of %s, %s has deleteReplication enabled. ECR then replicates a tag removal, the deletion of an image by digest, "+
			"and the expiry of an image by the source repository's lifecycle policy to the destination; removing an image's last tag deletes the image there. "+
			"An image that is missing in %s may therefore have been removed in the source on purpose, by a person or by a lifecycle rule, rather than have failed to replicate.",
			a.snap.Source, strings.Join(rules, " and "), d.loc),
		Evidence: []Evidence{{Kind: EvidenceReplicationConfiguration, Source: a.sourceConfigFile(),
			Text: strings.Join(rules, ", ") + `: "deleteReplication": {"enabled": true}`}},
		Fix: &Fix{Steps: []string{
			fmt.Sprintf("If an image is missing in %s, look for its deletion in the source first: the source repository's lifecycle policy (`aws ecr get-lifecycle-policy --region %s --repository-name %s`) and BatchDeleteImage calls in the source account's CloudTrail.",
				d.loc, a.snap.Source.Region, shellQuote(a.snap.Repository)),
			"To keep the destination's copies when the source deletes them, set deleteReplication.enabled to false in that rule (put-replication-configuration replaces the whole configuration: keep the other rules). " +
				"A Terraform aws_ecr_replication_configuration that does not set delete replication may turn it off again at the next apply: check the provider version you use.",
		}},
	})
}
