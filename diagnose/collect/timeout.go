package collect

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// DefaultRequestTimeout limits one AWS call, its retries included, when
// CaptureOptions.RequestTimeout is zero: a destination that does not answer
// costs its own reads, not the run (whose limit is the context's deadline).
const DefaultRequestTimeout = 30 * time.Second

// limitRequests gives every call of the session's clients its own deadline.
// It wraps the client constructors, so injected clients are limited too.
func (s *session) limitRequests(d time.Duration) {
	newECR, newTrail, newSTS := s.aws.ECR, s.aws.CloudTrail, s.aws.STS
	s.aws.ECR = func(cfg aws.Config, o ...func(*ecr.Options)) ECRAPI { return timedECR{newECR(cfg, o...), d} }
	s.aws.CloudTrail = func(cfg aws.Config, o ...func(*cloudtrail.Options)) cloudtrail.LookupEventsAPIClient {
		return timedTrail{newTrail(cfg, o...), d}
	}
	s.aws.STS = func(cfg aws.Config, o ...func(*sts.Options)) STSAPI { return timedSTS{newSTS(cfg, o...), d} }
}

type timedECR struct {
	c ECRAPI
	d time.Duration
}

func (t timedECR) DescribeRegistry(ctx context.Context, in *ecr.DescribeRegistryInput, o ...func(*ecr.Options)) (*ecr.DescribeRegistryOutput, error) {
	ctx, cancel := context.WithTimeout(ctx, t.d)
	defer cancel()
	return t.c.DescribeRegistry(ctx, in, o...)
}

func (t timedECR) DescribeRepositories(ctx context.Context, in *ecr.DescribeRepositoriesInput, o ...func(*ecr.Options)) (*ecr.DescribeRepositoriesOutput, error) {
	ctx, cancel := context.WithTimeout(ctx, t.d)
	defer cancel()
	return t.c.DescribeRepositories(ctx, in, o...)
}

func (t timedECR) DescribeImages(ctx context.Context, in *ecr.DescribeImagesInput, o ...func(*ecr.Options)) (*ecr.DescribeImagesOutput, error) {
	ctx, cancel := context.WithTimeout(ctx, t.d)
	defer cancel()
	return t.c.DescribeImages(ctx, in, o...)
}

func (t timedECR) DescribeImageReplicationStatus(ctx context.Context, in *ecr.DescribeImageReplicationStatusInput, o ...func(*ecr.Options)) (*ecr.DescribeImageReplicationStatusOutput, error) {
	ctx, cancel := context.WithTimeout(ctx, t.d)
	defer cancel()
	return t.c.DescribeImageReplicationStatus(ctx, in, o...)
}

func (t timedECR) GetRegistryPolicy(ctx context.Context, in *ecr.GetRegistryPolicyInput, o ...func(*ecr.Options)) (*ecr.GetRegistryPolicyOutput, error) {
	ctx, cancel := context.WithTimeout(ctx, t.d)
	defer cancel()
	return t.c.GetRegistryPolicy(ctx, in, o...)
}

func (t timedECR) GetRepositoryPolicy(ctx context.Context, in *ecr.GetRepositoryPolicyInput, o ...func(*ecr.Options)) (*ecr.GetRepositoryPolicyOutput, error) {
	ctx, cancel := context.WithTimeout(ctx, t.d)
	defer cancel()
	return t.c.GetRepositoryPolicy(ctx, in, o...)
}

func (t timedECR) GetAccountSetting(ctx context.Context, in *ecr.GetAccountSettingInput, o ...func(*ecr.Options)) (*ecr.GetAccountSettingOutput, error) {
	ctx, cancel := context.WithTimeout(ctx, t.d)
	defer cancel()
	return t.c.GetAccountSetting(ctx, in, o...)
}

type timedTrail struct {
	c cloudtrail.LookupEventsAPIClient
	d time.Duration
}

func (t timedTrail) LookupEvents(ctx context.Context, in *cloudtrail.LookupEventsInput, o ...func(*cloudtrail.Options)) (*cloudtrail.LookupEventsOutput, error) {
	ctx, cancel := context.WithTimeout(ctx, t.d)
	defer cancel()
	return t.c.LookupEvents(ctx, in, o...)
}

type timedSTS struct {
	c STSAPI
	d time.Duration
}

func (t timedSTS) GetCallerIdentity(ctx context.Context, in *sts.GetCallerIdentityInput, o ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error) {
	ctx, cancel := context.WithTimeout(ctx, t.d)
	defer cancel()
	return t.c.GetCallerIdentity(ctx, in, o...)
}

func (t timedSTS) AssumeRole(ctx context.Context, in *sts.AssumeRoleInput, o ...func(*sts.Options)) (*sts.AssumeRoleOutput, error) {
	ctx, cancel := context.WithTimeout(ctx, t.d)
	defer cancel()
	return t.c.AssumeRole(ctx, in, o...)
}

// notReadWhy says why a read that ended with a context error got no answer,
// and whether the run must stop (the user interrupted it).
func (c *capture) notReadWhy(err error) (why string, abort bool) {
	switch run := c.runCtx.Err(); {
	case run == context.Canceled:
		return "", true
	case run != nil:
		return "not read: the run's time limit (--timeout) ran out first", false
	case isDeadline(err):
		return "no answer within " + c.requestTimeout().String() + " (the limit of one request); the destination may be unreachable from here: run again, or check its endpoint and network", false
	}
	return "", false
}

func (c *capture) requestTimeout() time.Duration {
	if c.opts.RequestTimeout > 0 {
		return c.opts.RequestTimeout
	}
	return DefaultRequestTimeout
}

// aborted is the run's error when the user interrupted it: the only context
// end that stops a capture (a deadline leaves what was read).
func (c *capture) aborted() error {
	if err := c.runCtx.Err(); err == context.Canceled {
		return err
	}
	return nil
}
