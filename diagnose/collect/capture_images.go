package collect

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"

	"github.com/ecrdoctor/ecrdoctor/diagnose"
)

func toImages(o *ecr.DescribeImagesOutput) diagnose.DescribeImagesOutput {
	out := diagnose.DescribeImagesOutput{ImageDetails: []diagnose.ImageDetail{}, NextToken: aws.ToString(o.NextToken)}
	for _, d := range o.ImageDetails {
		out.ImageDetails = append(out.ImageDetails, diagnose.ImageDetail{
			RegistryID:             aws.ToString(d.RegistryId),
			RepositoryName:         aws.ToString(d.RepositoryName),
			ImageDigest:            aws.ToString(d.ImageDigest),
			ImageTags:              d.ImageTags,
			ImageSizeInBytes:       aws.ToInt64(d.ImageSizeInBytes),
			ImagePushedAt:          cliTime(d.ImagePushedAt),
			ImageManifestMediaType: aws.ToString(d.ImageManifestMediaType),
			ArtifactMediaType:      aws.ToString(d.ArtifactMediaType),
			LastRecordedPullTime:   cliTime(d.LastRecordedPullTime),
		})
	}
	return out
}
