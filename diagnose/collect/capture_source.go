package collect

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/ecrdoctor/ecrdoctor/diagnose"
	"github.com/ecrdoctor/ecrdoctor/diagnose/awsid"
)

// readSource reads the repository's images and the replication status of
// its newest. describe-images listing them says the repository exists, so
// describe-repositories is read only where it is needed (readSourceRepository).
// covered is false when the rules, read, send the repository nowhere: then no
// check uses its images, and only whether it exists is asked.
func (c *capture) readSource(ctx context.Context, client ECRAPI, covered bool) error {
	repo := c.opts.Repository
	if !covered {
		c.leaveOut(c.srcAt, DescribeImagesName(repo), fmt.Sprintf("no replication rule sends %s anywhere, so no check uses its images or their replication status", repo))
		_, err := c.readSourceRepository(ctx, client)
		return err
	}
	imgs, err := client.DescribeImages(ctx, &ecr.DescribeImagesInput{RepositoryName: aws.String(repo), MaxResults: aws.Int32(1000)})
	if err != nil {
		if why, abort := c.notReadWhy(err); abort {
			return c.runCtx.Err()
		} else if why != "" {
			c.warnf("%s %s: listing the images of %s: %s", c.srcAt, "DescribeImages", repo, why)
			// describe-repositories would wait as long.
			c.warnf("%s %s: not read: an earlier read of %s got no answer", c.srcAt, DescribeRepositoriesFile, c.srcAt)
			return nil
		}
		// Whether the repository exists is then describe-repositories'
		// to say, stored as the layout has it.
		missing, rerr := c.readSourceRepository(ctx, client)
		if rerr != nil {
			return rerr
		}
		if ae, ok := apiError(err); !missing || !ok || ae.ErrorCode() != "RepositoryNotFoundException" {
			c.warnf("%s %s: listing the images of %s: %s", c.srcAt, "DescribeImages", repo, explain(err, "ecr:DescribeImages", c.opts.Profile))
		}
		return nil
	}
	c.mu.Lock()
	c.srcListed = true
	c.mu.Unlock()
	// Kept as read: the push times tell an image older than the rule.
	if err := c.write(c.srcAt, DescribeImagesName(repo), toImages(imgs)); err != nil {
		return err
	}
	details := imgs.ImageDetails
	sort.SliceStable(details, func(i, j int) bool {
		return aws.ToTime(details[i].ImagePushedAt).After(aws.ToTime(details[j].ImagePushedAt))
	})
	if len(details) > newestImages {
		details = details[:newestImages]
	}
	unattempted, indexRead := false, false
	for _, d := range details {
		id := &ecrtypes.ImageIdentifier{ImageDigest: d.ImageDigest}
		// The tag or digest names the status file: only names ECR's
		// grammar allows may become a path ("../x" would leave the folder).
		digest, name := aws.ToString(d.ImageDigest), ""
		if len(d.ImageTags) > 0 && awsid.IsImageTag(d.ImageTags[0]) {
			name = d.ImageTags[0]
		} else if awsid.IsImageDigest(digest) {
			name = digest
		}
		if name == "" {
			c.warnf("%s DescribeImages: an image of %s is skipped: its digest %q or tag %q is not an ECR image name, so it cannot name a file", c.srcAt, repo, digest, strings.Join(d.ImageTags, ","))
			continue
		}
		st, err := client.DescribeImageReplicationStatus(ctx, &ecr.DescribeImageReplicationStatusInput{RepositoryName: aws.String(repo), ImageId: id})
		if err := c.record(c.srcAt, ReplicationStatusName(repo, name), "ecr:DescribeImageReplicationStatus", func() any { return toReplicationStatus(st) }, err); err != nil {
			return err
		}
		if err == nil && c.neverAttempted(st, aws.ToTime(d.ImagePushedAt)) {
			unattempted = true
		}
		if err == nil && !indexRead && indexCompleteSomewhere(aws.ToString(d.ImageManifestMediaType), st) {
			indexRead = true // the newest index only: each child costs a call
			if !c.opts.ReadImageManifests {
				c.warnf("%s image index %s: %s", c.srcAt, imageRef(repo, name), indexNotReadWhy)
			} else if err := c.readIndex(ctx, client, name, digest); err != nil {
				return err
			}
		}
	}
	if unattempted {
		// When the rules were written tells an image older than the rule:
		// Event history keeps 90 days.
		return c.lookupCalls(ctx, "PutReplicationConfiguration", c.opts.Now.Add(-eventHistory), false)
	}
	return nil
}

// eventHistory is how far back CloudTrail's event history goes.
const eventHistory = 90 * 24 * time.Hour

// neverAttempted reports whether an image pushed longer ago than
// replication usually takes has no replication status for one of the
// repository's destinations: IMAGE_PUSHED_BEFORE_RULE's case, where the
// rule's creation time is worth a CloudTrail read.
func (c *capture) neverAttempted(st *ecr.DescribeImageReplicationStatusOutput, pushed time.Time) bool {
	if pushed.IsZero() || c.opts.Now.Sub(pushed) < 30*time.Minute {
		return false
	}
	seen := map[diagnose.Location]bool{}
	for _, s := range st.ReplicationStatuses {
		seen[diagnose.Location{Account: aws.ToString(s.RegistryId), Region: aws.ToString(s.Region)}] = true
	}
	for _, d := range c.targets {
		if !seen[d] {
			return true
		}
	}
	return false
}

// readSourceRepository reads the source repository (describe-repositories):
// whether it exists, and its tag mutability. missing says AWS answered that
// it does not exist.
func (c *capture) readSourceRepository(ctx context.Context, client ECRAPI) (missing bool, err error) {
	out, rerr := client.DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{RepositoryNames: []string{c.opts.Repository}})
	ae, isAPI := apiError(rerr)
	missing = isAPI && ae.ErrorCode() == "RepositoryNotFoundException"
	return missing, c.record(c.srcAt, DescribeRepositoriesFile, "ecr:DescribeRepositories", func() any { return toRepositories(out) }, rerr)
}

// readSourceTags ends a run whose describe-images showed the source
// repository: the rest of describe-repositories is its tag mutability,
// which only TAG_IMMUTABILITY_CONFLICT reads, and only for a destination
// repository whose tags are immutable. It is read where one is, and left
// out, saying so, where none is.
func (c *capture) readSourceTags(ctx context.Context, client ECRAPI) error {
	c.mu.Lock()
	listed, immutable := c.srcListed, c.immutableAt
	c.mu.Unlock()
	switch {
	case !listed:
		return nil // read already, or not at all (warned)
	case len(immutable) > 0:
		_, err := c.readSourceRepository(ctx, client)
		return err
	}
	c.leaveOut(c.srcAt, DescribeRepositoriesFile, fmt.Sprintf("describe-images shows that %s exists; its tag mutability is read only against a destination repository whose tags are immutable, and none of those read is", c.opts.Repository))
	return nil
}

// noteTags notes a destination whose repository keeps its tags immutable
// (describe-repositories there): the source's tag mutability is then read.
func (c *capture) noteTags(d diagnose.Location, out *ecr.DescribeRepositoriesOutput) {
	if out == nil {
		return
	}
	for _, r := range out.Repositories {
		if aws.ToString(r.RepositoryName) == c.opts.Repository && strings.HasPrefix(string(r.ImageTagMutability), "IMMUTABLE") {
			c.mu.Lock()
			c.immutableAt = append(c.immutableAt, d)
			c.mu.Unlock()
		}
	}
}
