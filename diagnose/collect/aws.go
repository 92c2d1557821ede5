package collect

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/account"
	"github.com/aws/aws-sdk-go-v2/service/athena"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	"golang.org/x/time/rate"
)

// CloudTrail allows two LookupEvents requests per second per account and
// region; the limiter keeps every attempt, retries included, under it.
const (
	lookupRate  = 2
	lookupBurst = 1
	// lookupAttempts is generous because throttling is expected here and
	// each retry waits for the limiter too.
	lookupAttempts = 6
)

// AWS is where a capture gets its configuration and clients. Its zero value
// is the process environment (the SDK's default chain: AWS_PROFILE, the
// shared files, SSO, ...) and the SDK's clients. Tests inject a
// configuration pointing at an emulator, or fakes, without touching the
// environment, so they can run in parallel. Every configuration gets the
// read-only guard and the call counter, injected or not.
type AWS struct {
	// LoadConfig loads the configuration of profile ("" for the default one)
	// with region ("" for the profile's). An unknown profile is reported as
	// a config.SharedConfigProfileNotExistError.
	LoadConfig func(ctx context.Context, profile, region string) (aws.Config, error)
	// ECR, CloudTrail and STS build a service's client from a configuration,
	// like the SDK's NewFromConfig; the options set the region and, for
	// CloudTrail, the retries and the rate limit.
	ECR        func(aws.Config, ...func(*ecr.Options)) ECRAPI
	CloudTrail func(aws.Config, ...func(*cloudtrail.Options)) cloudtrail.LookupEventsAPIClient
	STS        func(aws.Config, ...func(*sts.Options)) STSAPI
	// Account builds the Account Management client (region opt-in status).
	Account func(aws.Config, ...func(*account.Options)) AccountAPI
	// KMS builds the KMS client (a creation template's key policy).
	KMS func(aws.Config, ...func(*kms.Options)) KMSAPI
	// Athena, S3 and Lake (CloudTrail Lake queries) build the clients of
	// events' query engines and S3 reader; nil means the SDK's.
	Athena func(aws.Config, ...func(*athena.Options)) AthenaAPI
	S3     func(aws.Config, ...func(*s3.Options)) S3API
	Lake   func(aws.Config, ...func(*cloudtrail.Options)) LakeAPI
	// Organizations builds the client that lists an organization's
	// accounts (scan --organization); nil means the SDK's.
	Organizations func(aws.Config, ...func(*organizations.Options)) OrganizationsAPI
}

// STSAPI is what capture needs of STS: who the credentials are, and roles.
type STSAPI interface {
	GetCallerIdentity(context.Context, *sts.GetCallerIdentityInput, ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error)
	stscreds.AssumeRoleAPIClient
}

// ECRAPI is what capture needs of ECR, with the SDK v2 signatures.
type ECRAPI interface {
	DescribeRegistry(context.Context, *ecr.DescribeRegistryInput, ...func(*ecr.Options)) (*ecr.DescribeRegistryOutput, error)
	DescribeRepositories(context.Context, *ecr.DescribeRepositoriesInput, ...func(*ecr.Options)) (*ecr.DescribeRepositoriesOutput, error)
	DescribeImages(context.Context, *ecr.DescribeImagesInput, ...func(*ecr.Options)) (*ecr.DescribeImagesOutput, error)
	DescribeImageReplicationStatus(context.Context, *ecr.DescribeImageReplicationStatusInput, ...func(*ecr.Options)) (*ecr.DescribeImageReplicationStatusOutput, error)
	GetRegistryPolicy(context.Context, *ecr.GetRegistryPolicyInput, ...func(*ecr.Options)) (*ecr.GetRegistryPolicyOutput, error)
	GetRepositoryPolicy(context.Context, *ecr.GetRepositoryPolicyInput, ...func(*ecr.Options)) (*ecr.GetRepositoryPolicyOutput, error)
	GetAccountSetting(context.Context, *ecr.GetAccountSettingInput, ...func(*ecr.Options)) (*ecr.GetAccountSettingOutput, error)
}

// session holds what every client of one capture shares: the call counter,
// the CloudTrail limiters and the configuration of each account.
type session struct {
	aws     AWS
	counter *callCounter

	mu       sync.Mutex
	limiters map[string]*rate.Limiter // by account/region
	ecrs     map[string]ECRAPI        // by account/region
	trails   map[string]cloudtrail.LookupEventsAPIClient
}

func newSession(a AWS) *session {
	if a.ECR == nil {
		a.ECR = func(cfg aws.Config, opts ...func(*ecr.Options)) ECRAPI { return ecr.NewFromConfig(cfg, opts...) }
	}
	if a.CloudTrail == nil {
		a.CloudTrail = func(cfg aws.Config, opts ...func(*cloudtrail.Options)) cloudtrail.LookupEventsAPIClient {
			return cloudtrail.NewFromConfig(cfg, opts...)
		}
	}
	if a.Account == nil {
		a.Account = func(cfg aws.Config, opts ...func(*account.Options)) AccountAPI {
			return account.NewFromConfig(cfg, opts...)
		}
	}
	if a.KMS == nil {
		a.KMS = func(cfg aws.Config, opts ...func(*kms.Options)) KMSAPI { return kms.NewFromConfig(cfg, opts...) }
	}
	if a.STS == nil {
		a.STS = func(cfg aws.Config, opts ...func(*sts.Options)) STSAPI { return sts.NewFromConfig(cfg, opts...) }
	}
	return &session{
		aws:      a,
		counter:  &callCounter{n: map[string]int{}},
		limiters: map[string]*rate.Limiter{},
		ecrs:     map[string]ECRAPI{},
		trails:   map[string]cloudtrail.LookupEventsAPIClient{},
	}
}

// apiOptions go on every client built from a config of this session.
func (s *session) apiOptions() []func(*middleware.Stack) error {
	return []func(*middleware.Stack) error{addReadOnlyGuard, s.counter.add}
}

// loadConfig runs the SDK's default chain: profile, environment, SSO,
// credential_process, AWS_ENDPOINT_URL and the rest.
//
// flag is how the user named profile ("--profile prod"), for the advice of a
// credentials error; "" when it comes from the environment.
func (s *session) loadConfig(ctx context.Context, profile, flag, region string) (aws.Config, error) {
	var cfg aws.Config
	var err error
	md := &imdsClient{}
	if s.aws.LoadConfig != nil {
		cfg, err = s.aws.LoadConfig(ctx, profile, region)
		cfg.APIOptions = append(cfg.APIOptions[:len(cfg.APIOptions):len(cfg.APIOptions)], s.apiOptions()...)
	} else {
		opts := append([]func(*config.LoadOptions) error{config.WithAPIOptions(s.apiOptions())}, credentialOptions(md)...)
		if profile != "" {
			opts = append(opts, config.WithSharedConfigProfile(profile))
		}
		if region != "" {
			opts = append(opts, config.WithRegion(region))
		}
		cfg, err = config.LoadDefaultConfig(ctx, opts...)
	}
	if err != nil {
		var notExist config.SharedConfigProfileNotExistError
		if errors.As(err, &notExist) {
			from := ""
			if profile == "" && notExist.Profile == os.Getenv("AWS_PROFILE") {
				from = " (from AWS_PROFILE)"
			}
			return cfg, fmt.Errorf("AWS profile %q%s does not exist in the shared config or credentials files: check the name (aws configure list-profiles)", notExist.Profile, from)
		}
		return cfg, fmt.Errorf("loading AWS configuration: %w", err)
	}
	md.cfg = cfg
	checkCredentials(&cfg, effectiveProfile(profile), flag)
	return cfg, nil
}

// profileMissing reports whether profile is absent from the shared config
// and credentials files.
func (s *session) profileMissing(ctx context.Context, profile string) bool {
	var err error
	if s.aws.LoadConfig != nil {
		_, err = s.aws.LoadConfig(ctx, profile, "")
	} else {
		// LoadDefaultConfig, not LoadSharedConfigProfile: only it follows
		// AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE.
		_, err = config.LoadDefaultConfig(ctx, config.WithSharedConfigProfile(profile))
	}
	var notExist config.SharedConfigProfileNotExistError
	return errors.As(err, &notExist)
}

// assumeRole returns a config whose credentials are those of role, assumed
// with the source credentials. It retrieves them at once so that a denial is
// known before any destination read.
func (s *session) assumeRole(ctx context.Context, src aws.Config, roleARN, externalID string) (aws.Config, error) {
	client := s.aws.STS(src)
	provider := stscreds.NewAssumeRoleProvider(client, roleARN, func(o *stscreds.AssumeRoleOptions) {
		o.RoleSessionName = "ecrdoctor"
		if externalID != "" {
			o.ExternalID = aws.String(externalID)
		}
	})
	cfg := src.Copy()
	cfg.Credentials = aws.NewCredentialsCache(provider)
	if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
		return cfg, err
	}
	return cfg, nil
}

// callerAccount asks STS which account cfg's credentials belong to.
func (s *session) callerAccount(ctx context.Context, cfg aws.Config) (string, error) {
	out, err := s.aws.STS(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return "", err
	}
	return aws.ToString(out.Account), nil
}

// ecrClient returns the ECR client of cfg's credentials for account in
// region, built once.
func (s *session) ecrClient(cfg aws.Config, account, region string) ECRAPI {
	key := account + "/" + region
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.ecrs[key]; ok {
		return c
	}
	c := s.aws.ECR(cfg, func(o *ecr.Options) { o.Region = region })
	s.ecrs[key] = c
	return c
}

// trailClient returns the CloudTrail client for account in region, built
// once, with the per-(account, region) limiter on every attempt.
func (s *session) trailClient(cfg aws.Config, account, region string) cloudtrail.LookupEventsAPIClient {
	key := account + "/" + region
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.trails[key]; ok {
		return c
	}
	lim, ok := s.limiters[key]
	if !ok {
		lim = rate.NewLimiter(lookupRate, lookupBurst)
		s.limiters[key] = lim
	}
	c := s.aws.CloudTrail(cfg, func(o *cloudtrail.Options) {
		o.Region = region
		o.Retryer = retry.AddWithMaxAttempts(o.Retryer, lookupAttempts)
		o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
			return st.Finalize.Insert(&limitMiddleware{lim: lim}, "Retry", middleware.After)
		})
	})
	s.trails[key] = c
	return c
}

// limitMiddleware waits for the limiter before each attempt. It sits after
// the SDK's retry middleware, so retries wait too.
type limitMiddleware struct{ lim *rate.Limiter }

func (*limitMiddleware) ID() string { return "ecrdoctorRateLimit" }

func (m *limitMiddleware) HandleFinalize(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
	if err := m.lim.Wait(ctx); err != nil {
		return middleware.FinalizeOutput{}, middleware.Metadata{}, err
	}
	return next.HandleFinalize(ctx, in)
}

// callCounter counts requests sent, per service, attempts included: that is
// what AWS meters and throttles.
type callCounter struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *callCounter) ID() string { return "ecrdoctorCallCounter" }

func (c *callCounter) add(stack *middleware.Stack) error {
	return stack.Deserialize.Add(c, middleware.After)
}

func (c *callCounter) HandleDeserialize(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
	c.mu.Lock()
	c.n[serviceKey(awsmiddleware.GetServiceID(ctx))]++
	c.mu.Unlock()
	return next.HandleDeserialize(ctx, in)
}

func (c *callCounter) snapshot() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]int, len(c.n))
	for k, v := range c.n {
		out[k] = v
	}
	return out
}

// serviceKey is the report's name of a service: "ecr", "cloudtrail", "sts".
func serviceKey(id string) string {
	return strings.ReplaceAll(strings.ToLower(id), " ", "")
}

// apiError returns the AWS error inside err, if the service answered with one.
func apiError(err error) (smithy.APIError, bool) {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae, true
	}
	return nil, false
}

// httpStatus returns the HTTP status of a failed call, or 0.
func httpStatus(err error) int {
	var re interface{ HTTPStatusCode() int }
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}
