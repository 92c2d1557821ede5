package diagnose

import (
	"fmt"
	"strings"
)

// CodeTagImmutabilityConflict: the destination repository keeps tags
// immutable while the source lets them move (failure-mode note FM-18).
const CodeTagImmutabilityConflict = "TAG_IMMUTABILITY_CONFLICT"

const docTagMutability = "https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-tag-mutability.html"

// tagImmutabilityConflict: "If tag immutability is enabled on a repository
// and an image is replicated that uses the same tag as an existing image,
// the image is replicated but won't contain the duplicated tag" (the user
// guide's replication page). With a source whose tags move (MUTABLE), every
// re-pushed tag stays on the old digest in the destination, and the new
// image arrives untagged: replication reports success.
func tagImmutabilityConflict(d *destination) *Finding {
	dst := d.TagMutability
	if !strings.HasPrefix(dst, "IMMUTABLE") {
		return nil
	}
	src := d.SourceTagMutability
	if strings.HasPrefix(src, "IMMUTABLE") && !strings.HasSuffix(src, "_WITH_EXCLUSION") {
		return nil // tags never move in the source: nothing to conflict with
	}
	srcSays := "tags can move (" + src + ")"
	if src == "" {
		srcSays = "tag mutability was not read"
	}
	exclusion := ""
	if strings.HasSuffix(dst, "_WITH_EXCLUSION") {
		exclusion = " Tags matching its exclusion filters stay mutable; the others do not."
	}
	return &Finding{
		Severity: SeverityInfo,
		Summary: fmt.Sprintf("The repository %s in %s has immutable tags (%s) while in the source %s: a tag pushed again in the source stays on the old image in the destination.",
			d.Repository, d.Destination, dst, srcSays),
		Detail: "Tag immutability is evaluated in each registry separately. When an image is replicated under a tag that already exists in the destination with another digest, " +
			"ECR replicates the image without that tag, so it arrives untagged and the tag keeps pointing at the old image; the replication status still says COMPLETE." + exclusion,
		Evidence: []Evidence{{Kind: EvidenceRepository, Source: d.RepositoriesSource, Text: fmt.Sprintf(`%s: "imageTagMutability": %q`, d.Repository, dst)}},
		Fix: &Fix{Steps: []string{
			fmt.Sprintf("Either make the destination repository's tags mutable (`aws ecr put-image-tag-mutability --region %s --repository-name %s --image-tag-mutability MUTABLE`, with account %s's credentials; or add exclusion filters for the tags you re-push), "+
				"or stop re-pushing tags in the source (make it IMMUTABLE too). A repository creation template for REPLICATION sets the mutability of the repositories replication creates.",
				shellQuote(d.Destination.Region), shellQuote(d.Repository), d.Destination.Account),
		}},
	}
}

// tagMutability is the imageTagMutability of repo in a describe-repositories
// output, "" when unknown.
func tagMutability(r Read[DescribeRepositoriesOutput], repo string) string {
	if !r.OK() {
		return ""
	}
	for _, x := range r.Value.Repositories {
		if x.RepositoryName == repo {
			return x.ImageTagMutability
		}
	}
	return ""
}
