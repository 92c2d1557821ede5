package diagnose

import (
	"fmt"

	"github.com/ecrdoctor/ecrdoctor/diagnose/awsid"
)

// CodeCrossPartition: a destination AWS cannot replicate to (failure-mode
// note FM-14). The quota of FM-21 is REPLICATION_TOO_MANY_DESTINATIONS
// (checks_source.go).
const CodeCrossPartition = "CROSS_PARTITION"

// crossPartition: a destination in another AWS partition (aws-cn,
// aws-us-gov, ...) than the source. "Cross-Region replication is not
// supported between AWS partitions" (the user guide's replication page).
func crossPartition(d *destination) *Finding {
	sp, dp := awsid.Partition(d.Source.Region), awsid.Partition(d.Destination.Region)
	if sp == dp {
		return nil
	}
	return &Finding{
		Summary: fmt.Sprintf("%s is in partition %s and the source %s in %s: ECR does not replicate between partitions.", d.Destination, dp, d.Source, sp),
		Detail: fmt.Sprintf("Replication works within one AWS partition only (for example, a repository in us-west-2 cannot replicate to cn-north-1). "+
			"No registry policy in %s can change that: the accounts of different partitions are different accounts, with their own credentials.", d.Destination),
		Evidence: []Evidence{{Kind: EvidenceReplicationConfiguration, Source: d.RulesSource,
			Text: fmt.Sprintf(`{"region": %q, "registryId": %q}`, d.Destination.Region, d.Destination.Account)}},
		Fix: &Fix{Steps: []string{
			fmt.Sprintf("Remove the destination %s from the replication rule. To copy images into partition %s, push them there from a pipeline with that partition's credentials (or pull them there through a pull-through-cache rule where that partition supports one).", d.Destination, dp),
		}},
	}
}
