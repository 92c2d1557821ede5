package collect

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"

	"github.com/ecrdoctor/ecrdoctor/diagnose"
)

// ptcAPI is the part of the ECR client that reads pull-through-cache rules.
type ptcAPI interface {
	DescribePullThroughCacheRules(context.Context, *ecr.DescribePullThroughCacheRulesInput, ...func(*ecr.Options)) (*ecr.DescribePullThroughCacheRulesOutput, error)
}

var errNoPTCAPI = errors.New("this ECR client has no pull-through-cache reads")

func (t timedECR) DescribePullThroughCacheRules(ctx context.Context, in *ecr.DescribePullThroughCacheRulesInput, o ...func(*ecr.Options)) (*ecr.DescribePullThroughCacheRulesOutput, error) {
	pc, ok := t.c.(ptcAPI)
	if !ok {
		return nil, errNoPTCAPI
	}
	ctx, cancel := context.WithTimeout(ctx, t.d)
	defer cancel()
	return pc.DescribePullThroughCacheRules(ctx, in, o...)
}

// needsPTC says whether a destination's pull-through-cache rules are worth
// a read: only when its registry policy is known and does not let the
// source replicate (none, or no grant that holds). A pull-through cache
// from the source then often explains the set-up (FM-20); where
// replication is allowed, the cache changes nothing, and the common path
// keeps its calls. allowed is RegistryGrant.Settles of the policy.
func needsPTC(out *ecr.GetRegistryPolicyOutput, err error, allowed bool) bool {
	if err != nil {
		ae, ok := apiError(err)
		return ok && ae.ErrorCode() == "RegistryPolicyNotFoundException"
	}
	return out != nil && !allowed
}

// readPullThroughCache reads a destination's pull-through-cache rules (one
// page of 100: a registry rarely has more).
func (c *capture) readPullThroughCache(ctx context.Context, client ECRAPI, d diagnose.Location) error {
	pc, ok := client.(ptcAPI)
	if !ok {
		return nil
	}
	out, err := pc.DescribePullThroughCacheRules(ctx, &ecr.DescribePullThroughCacheRulesInput{MaxResults: aws.Int32(100)})
	if errors.Is(err, errNoPTCAPI) {
		return nil
	}
	return c.record(d, PullThroughCacheFile, "ecr:DescribePullThroughCacheRules", func() any { return toPullThroughCache(out) }, err)
}

func toPullThroughCache(o *ecr.DescribePullThroughCacheRulesOutput) diagnose.DescribePullThroughCacheRulesOutput {
	out := diagnose.DescribePullThroughCacheRulesOutput{Rules: []diagnose.PullThroughCacheRule{}, NextToken: aws.ToString(o.NextToken)}
	for _, r := range o.PullThroughCacheRules {
		out.Rules = append(out.Rules, diagnose.PullThroughCacheRule{
			EcrRepositoryPrefix:      aws.ToString(r.EcrRepositoryPrefix),
			UpstreamRegistryURL:      aws.ToString(r.UpstreamRegistryUrl),
			UpstreamRegistry:         string(r.UpstreamRegistry),
			UpstreamRepositoryPrefix: aws.ToString(r.UpstreamRepositoryPrefix),
			RegistryID:               aws.ToString(r.RegistryId),
			CredentialArn:            aws.ToString(r.CredentialArn),
			CustomRoleArn:            aws.ToString(r.CustomRoleArn),
			CreatedAt:                cliTime(r.CreatedAt),
			UpdatedAt:                cliTime(r.UpdatedAt),
		})
	}
	return out
}
