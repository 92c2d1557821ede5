package collect

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"

	"github.com/ecrdoctor/ecrdoctor/diagnose"
	"github.com/ecrdoctor/ecrdoctor/diagnose/awsid"
)

// manifestAPI is the part of the ECR client that reads manifests.
type manifestAPI interface {
	BatchGetImage(context.Context, *ecr.BatchGetImageInput, ...func(*ecr.Options)) (*ecr.BatchGetImageOutput, error)
}

var errNoManifestAPI = errors.New("this ECR client has no manifest reads")

func (t timedECR) BatchGetImage(ctx context.Context, in *ecr.BatchGetImageInput, o ...func(*ecr.Options)) (*ecr.BatchGetImageOutput, error) {
	mc, ok := t.c.(manifestAPI)
	if !ok {
		return nil, errNoManifestAPI
	}
	ctx, cancel := context.WithTimeout(ctx, t.d)
	defer cancel()
	return mc.BatchGetImage(ctx, in, o...)
}

// indexNotReadWhy is the warning for an image index whose manifest was
// not read (CaptureOptions.ReadImageManifests is off). AWS: "Amazon ECR
// updates the LastRecordedPullTime timestamp on every pull"
// (https://docs.aws.amazon.com/AmazonECR/latest/userguide/pull-time-update-exclusions.html).
const indexNotReadWhy = "its platform images were not checked: reading the index manifest (ecr:BatchGetImage) counts as a pull and updates LastRecordedPullTime, which lifecycle rules may read; pass --read-image-manifests to check them"

// imageRef names an image of repo by its tag (repo:tag) or digest (repo@digest).
func imageRef(repo, tagOrDigest string) string {
	if awsid.IsImageDigest(tagOrDigest) {
		return repo + "@" + tagOrDigest
	}
	return repo + ":" + tagOrDigest
}

// maxIndexChildren bounds the children of one index whose status is read:
// the platforms of a multi-platform image, and its attestations.
const maxIndexChildren = 10

// indexCompleteSomewhere reports whether an image index replicated to some
// destination: only then can a child have failed where its index did not
// (FM-28), and only then are its manifest and children read (with
// CaptureOptions.ReadImageManifests).
func indexCompleteSomewhere(mediaType string, st *ecr.DescribeImageReplicationStatusOutput) bool {
	if !diagnose.IsIndexMediaType(mediaType) || st == nil {
		return false
	}
	for _, s := range st.ReplicationStatuses {
		if s.Status == ecrtypes.ReplicationStatusComplete {
			return true
		}
	}
	return false
}

// readIndex reads an image index's manifest and the replication status of
// each image it lists for a platform (at most maxIndexChildren): one call
// each, so only the newest index is read, and not its attestation
// manifests (platform unknown/unknown, which buildx adds and no pull needs).
func (c *capture) readIndex(ctx context.Context, client ECRAPI, name, digest string) error {
	mc, ok := client.(manifestAPI)
	if !ok {
		return nil
	}
	repo := c.opts.Repository
	out, err := mc.BatchGetImage(ctx, &ecr.BatchGetImageInput{RepositoryName: aws.String(repo),
		ImageIds:           []ecrtypes.ImageIdentifier{{ImageDigest: aws.String(digest)}},
		AcceptedMediaTypes: []string{diagnose.MediaTypeOCIIndex, diagnose.MediaTypeDockerList}})
	if errors.Is(err, errNoManifestAPI) {
		return nil
	}
	if err := c.record(c.srcAt, IndexManifestName(repo, name), "ecr:BatchGetImage", func() any { return toManifests(out) }, err); err != nil || out == nil {
		return err
	}
	var children []diagnose.IndexChild
	for _, m := range out.Images {
		for _, ch := range diagnose.IndexChildren(aws.ToString(m.ImageManifest)) {
			if ch.Platform != "unknown/unknown" {
				children = append(children, ch)
			}
		}
	}
	if len(children) > maxIndexChildren {
		c.warnf("%s %s: the image index %s lists %d manifests; the replication status of the first %d is read", c.srcAt, IndexManifestName(repo, name), name, len(children), maxIndexChildren)
		children = children[:maxIndexChildren]
	}
	for _, ch := range children {
		if !awsid.IsImageDigest(ch.Digest) {
			continue
		}
		st, err := client.DescribeImageReplicationStatus(ctx, &ecr.DescribeImageReplicationStatusInput{RepositoryName: aws.String(repo), ImageId: &ecrtypes.ImageIdentifier{ImageDigest: aws.String(ch.Digest)}})
		if err := c.record(c.srcAt, IndexChildName(repo, ch.Digest), "ecr:DescribeImageReplicationStatus", func() any { return toReplicationStatus(st) }, err); err != nil {
			return err
		}
	}
	return nil
}

func toManifests(o *ecr.BatchGetImageOutput) diagnose.BatchGetImageOutput {
	out := diagnose.BatchGetImageOutput{Images: []diagnose.ImageManifest{}}
	for _, m := range o.Images {
		im := diagnose.ImageManifest{RegistryID: aws.ToString(m.RegistryId), RepositoryName: aws.ToString(m.RepositoryName),
			ImageManifest: aws.ToString(m.ImageManifest), ImageManifestMediaType: aws.ToString(m.ImageManifestMediaType)}
		if m.ImageId != nil {
			im.ImageID = diagnose.ImageID{ImageDigest: aws.ToString(m.ImageId.ImageDigest), ImageTag: aws.ToString(m.ImageId.ImageTag)}
		}
		out.Images = append(out.Images, im)
	}
	return out
}
