package collect

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"

	"github.com/ecrdoctor/ecrdoctor/diagnose"
)

// templatesAPI is the part of the ECR client that reads repository
// creation templates.
type templatesAPI interface {
	DescribeRepositoryCreationTemplates(context.Context, *ecr.DescribeRepositoryCreationTemplatesInput, ...func(*ecr.Options)) (*ecr.DescribeRepositoryCreationTemplatesOutput, error)
}

var errNoTemplatesAPI = errors.New("this ECR client has no creation template reads")

func (t timedECR) DescribeRepositoryCreationTemplates(ctx context.Context, in *ecr.DescribeRepositoryCreationTemplatesInput, o ...func(*ecr.Options)) (*ecr.DescribeRepositoryCreationTemplatesOutput, error) {
	tc, ok := t.c.(templatesAPI)
	if !ok {
		return nil, errNoTemplatesAPI
	}
	ctx, cancel := context.WithTimeout(ctx, t.d)
	defer cancel()
	return tc.DescribeRepositoryCreationTemplates(ctx, in, o...)
}

// readTemplates reads a destination's repository creation templates (one
// page of 100: a registry rarely has more): they decide how replication
// creates a missing repository there.
func (c *capture) readTemplates(ctx context.Context, client ECRAPI, d diagnose.Location) error {
	_, err := c.readTemplatesOut(ctx, client, d)
	return err
}

// readTemplatesOut is readTemplates, with the templates read (nil when none
// was).
func (c *capture) readTemplatesOut(ctx context.Context, client ECRAPI, d diagnose.Location) (*ecr.DescribeRepositoryCreationTemplatesOutput, error) {
	tc, ok := client.(templatesAPI)
	if !ok {
		return nil, nil
	}
	out, err := tc.DescribeRepositoryCreationTemplates(ctx, &ecr.DescribeRepositoryCreationTemplatesInput{MaxResults: aws.Int32(100)})
	if errors.Is(err, errNoTemplatesAPI) {
		return nil, nil
	}
	if err != nil {
		return nil, c.recordErr(d, TemplatesFile, "ecr:DescribeRepositoryCreationTemplates", err)
	}
	return out, c.write(d, TemplatesFile, toTemplates(out))
}

func toTemplates(o *ecr.DescribeRepositoryCreationTemplatesOutput) diagnose.DescribeRepositoryCreationTemplatesOutput {
	out := diagnose.DescribeRepositoryCreationTemplatesOutput{RegistryID: aws.ToString(o.RegistryId), Templates: []diagnose.RepositoryCreationTemplate{}, NextToken: aws.ToString(o.NextToken)}
	for _, t := range o.RepositoryCreationTemplates {
		rt := diagnose.RepositoryCreationTemplate{
			Prefix:             aws.ToString(t.Prefix),
			Description:        aws.ToString(t.Description),
			ImageTagMutability: string(t.ImageTagMutability),
			RepositoryPolicy:   aws.ToString(t.RepositoryPolicy),
			LifecyclePolicy:    aws.ToString(t.LifecyclePolicy),
			CustomRoleArn:      aws.ToString(t.CustomRoleArn),
			CreatedAt:          cliTime(t.CreatedAt),
			UpdatedAt:          cliTime(t.UpdatedAt),
		}
		if e := t.EncryptionConfiguration; e != nil {
			rt.EncryptionConfiguration = &diagnose.EncryptionConfiguration{EncryptionType: string(e.EncryptionType), KmsKey: aws.ToString(e.KmsKey)}
		}
		for _, a := range t.AppliedFor {
			rt.AppliedFor = append(rt.AppliedFor, string(a))
		}
		for _, tag := range t.ResourceTags {
			rt.ResourceTags = append(rt.ResourceTags, diagnose.ResourceTag{Key: aws.ToString(tag.Key), Value: aws.ToString(tag.Value)})
		}
		for _, f := range t.ImageTagMutabilityExclusionFilters {
			rt.ImageTagMutabilityExclusionFilters = append(rt.ImageTagMutabilityExclusionFilters, diagnose.TagMutabilityExclusionFilter{FilterType: string(f.FilterType), Filter: aws.ToString(f.Filter)})
		}
		out.Templates = append(out.Templates, rt)
	}
	return out
}
