package collect

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/ecrdoctor/ecrdoctor/diagnose"
)

// KMSAPI is what capture needs of KMS: a key's policy.
type KMSAPI interface {
	GetKeyPolicy(context.Context, *kms.GetKeyPolicyInput, ...func(*kms.Options)) (*kms.GetKeyPolicyOutput, error)
}

// templateKey is the KMS key of the creation template replication applies
// to repo, when it encrypts with one.
func templateKey(out *ecr.DescribeRepositoryCreationTemplatesOutput, repo string) string {
	if out == nil {
		return ""
	}
	return diagnose.ReplicationTemplateKey(toTemplates(out).Templates, repo)
}

// readKeyPolicy reads the policy of the key a destination's creation
// template encrypts the repository replication creates with: only then,
// and only a key of the destination's own account and region (GetKeyPolicy
// answers for the caller's own keys), so the common path makes no such read.
func (c *capture) readKeyPolicy(ctx context.Context, cfg aws.Config, d diagnose.Location, keyARN string) error {
	loc, id, ok := diagnose.KeyOf(keyARN)
	if !ok || loc != d {
		return nil
	}
	client := c.sess.aws.KMS(cfg, func(o *kms.Options) { o.Region = d.Region })
	ctx, cancel := context.WithTimeout(ctx, c.requestTimeout())
	defer cancel()
	out, err := client.GetKeyPolicy(ctx, &kms.GetKeyPolicyInput{KeyId: aws.String(keyARN), PolicyName: aws.String("default")})
	return c.record(d, KeyPolicyName(id), "kms:GetKeyPolicy", func() any {
		return diagnose.KeyPolicyOutput{Policy: aws.ToString(out.Policy), PolicyName: aws.ToString(out.PolicyName)}
	}, err)
}
