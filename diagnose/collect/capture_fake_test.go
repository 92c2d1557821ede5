package collect_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go"

	"github.com/ecrdoctor/ecrdoctor/diagnose/collect"
)

// fakeAWS is AWS without an emulator: each account's ECR answers what the
// test says. It stands in where moto cannot: an answer that never came.
type fakeAWS struct {
	// policyErr is what the destination's GetRegistryPolicy returns, else
	// policy (none when "").
	policyErr error
	policy    string
	// images are the source repository's images.
	images []ecrtypes.ImageDetail
}

func (f *fakeAWS) aws() collect.AWS {
	return collect.AWS{
		LoadConfig: func(_ context.Context, profile, region string) (aws.Config, error) {
			return aws.Config{Region: region, Credentials: credentials.NewStaticCredentialsProvider("SRC", "secret", "")}, nil
		},
		ECR: func(cfg aws.Config, _ ...func(*ecr.Options)) collect.ECRAPI {
			c, _ := cfg.Credentials.Retrieve(context.Background())
			if c.AccessKeyID == "DST" {
				return &fakeECR{account: dst, policyErr: f.policyErr, policy: f.policy}
			}
			return &fakeECR{account: src, images: f.images, rules: []ecrtypes.ReplicationRule{{
				Destinations: []ecrtypes.ReplicationDestination{{Region: aws.String(srcReg), RegistryId: aws.String(dst)}},
			}}}
		},
		CloudTrail: func(aws.Config, ...func(*cloudtrail.Options)) cloudtrail.LookupEventsAPIClient { return fakeTrail{} },
		STS:        func(aws.Config, ...func(*sts.Options)) collect.STSAPI { return fakeSTS{} },
	}
}

type fakeECR struct {
	account   string
	images    []ecrtypes.ImageDetail
	rules     []ecrtypes.ReplicationRule
	policyErr error
	policy    string
}

func notFound(code string) error { return &smithy.GenericAPIError{Code: code, Message: "not found"} }

func (f *fakeECR) DescribeRegistry(context.Context, *ecr.DescribeRegistryInput, ...func(*ecr.Options)) (*ecr.DescribeRegistryOutput, error) {
	return &ecr.DescribeRegistryOutput{RegistryId: aws.String(f.account), ReplicationConfiguration: &ecrtypes.ReplicationConfiguration{Rules: f.rules}}, nil
}

func (f *fakeECR) DescribeRepositories(_ context.Context, in *ecr.DescribeRepositoriesInput, _ ...func(*ecr.Options)) (*ecr.DescribeRepositoriesOutput, error) {
	return &ecr.DescribeRepositoriesOutput{Repositories: []ecrtypes.Repository{{RepositoryName: aws.String(in.RepositoryNames[0]), RegistryId: aws.String(f.account)}}}, nil
}

func (f *fakeECR) DescribeImages(context.Context, *ecr.DescribeImagesInput, ...func(*ecr.Options)) (*ecr.DescribeImagesOutput, error) {
	return &ecr.DescribeImagesOutput{ImageDetails: f.images}, nil
}

func (f *fakeECR) DescribeImageReplicationStatus(context.Context, *ecr.DescribeImageReplicationStatusInput, ...func(*ecr.Options)) (*ecr.DescribeImageReplicationStatusOutput, error) {
	return nil, notFound("ImageNotFoundException")
}

func (f *fakeECR) GetRegistryPolicy(context.Context, *ecr.GetRegistryPolicyInput, ...func(*ecr.Options)) (*ecr.GetRegistryPolicyOutput, error) {
	if f.policyErr != nil {
		return nil, f.policyErr
	}
	if f.policy != "" {
		return &ecr.GetRegistryPolicyOutput{RegistryId: aws.String(f.account), PolicyText: aws.String(f.policy)}, nil
	}
	return nil, notFound("RegistryPolicyNotFoundException")
}

func (f *fakeECR) GetRepositoryPolicy(context.Context, *ecr.GetRepositoryPolicyInput, ...func(*ecr.Options)) (*ecr.GetRepositoryPolicyOutput, error) {
	return nil, notFound("RepositoryPolicyNotFoundException")
}

func (f *fakeECR) GetAccountSetting(context.Context, *ecr.GetAccountSettingInput, ...func(*ecr.Options)) (*ecr.GetAccountSettingOutput, error) {
	return &ecr.GetAccountSettingOutput{Name: aws.String("REGISTRY_POLICY_SCOPE"), Value: aws.String("V2")}, nil
}

type fakeTrail struct{}

func (fakeTrail) LookupEvents(context.Context, *cloudtrail.LookupEventsInput, ...func(*cloudtrail.Options)) (*cloudtrail.LookupEventsOutput, error) {
	return &cloudtrail.LookupEventsOutput{}, nil
}

type fakeSTS struct{}

func (fakeSTS) GetCallerIdentity(context.Context, *sts.GetCallerIdentityInput, ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error) {
	return &sts.GetCallerIdentityOutput{Account: aws.String(src)}, nil
}

func (fakeSTS) AssumeRole(_ context.Context, in *sts.AssumeRoleInput, _ ...func(*sts.Options)) (*sts.AssumeRoleOutput, error) {
	return &sts.AssumeRoleOutput{Credentials: &ststypes.Credentials{
		AccessKeyId: aws.String("DST"), SecretAccessKey: aws.String("secret"), SessionToken: aws.String("token"), Expiration: aws.Time(time.Now().Add(time.Hour)),
	}}, nil
}

// TestCaptureOnFakes runs the live path on fakes, no emulator: a registry
// policy read whose answer never came (the connection dropped) is left out,
// "not collected", and warned about, while one AWS answered is stored.
func TestCaptureOnFakes(t *testing.T) {
	t.Parallel()
	f := &fakeAWS{policyErr: errors.New("read tcp 10.0.0.1:443: connection reset by peer")}
	opts := collect.CaptureOptions{Repository: repo, Region: srcReg, AssumeRole: roleName, AWS: f.aws()}
	dir, stats, _ := runCapture(t, opts)

	if ok, failed := exists(dir, dst, srcReg, collect.GetRegistryPolicyFile); ok || failed {
		t.Errorf("a registry policy read that got no answer was stored (ok %v, error file %v); want it not collected", ok, failed)
	}
	if w := strings.Join(stats.Warnings, "\n"); !strings.Contains(w, dst+"/"+srcReg) || !strings.Contains(w, "connection reset by peer") {
		t.Errorf("warnings do not name the destination and the failure: %q", stats.Warnings)
	}
	if c := errorCode(t, dir, dst, srcReg, collect.RepositoryPolicyName(repo)); c != "RepositoryPolicyNotFoundException" {
		t.Errorf("repository policy: %q, want the fake's answer stored", c)
	}
	if _, err := os.Stat(collect.CallFile(dir, dst, srcReg, collect.GetAccountSettingFile)); err != nil {
		t.Errorf("the rest of the destination was not read: %v", err)
	}
}

// TestCaptureUnsafeImageNames: a tag or digest from AWS becomes a file name
// only when ECR's grammar allows it: an image whose tag would climb out of
// the folder is named by its digest, one with neither usable is skipped
// with a warning, and nothing is written outside the folder.
func TestCaptureUnsafeImageNames(t *testing.T) {
	t.Parallel()
	good := "sha256:" + strings.Repeat("ab", 32)
	now := time.Now()
	f := &fakeAWS{images: []ecrtypes.ImageDetail{
		{ImageDigest: aws.String(good), ImageTags: []string{"../../../../escaped"}, ImagePushedAt: aws.Time(now)},
		{ImageDigest: aws.String("sha256:../../../../escaped2"), ImageTags: []string{"/abs"}, ImagePushedAt: aws.Time(now.Add(-time.Minute))},
	}}
	parent := t.TempDir()
	dir := filepath.Join(parent, "snap")
	opts := collect.CaptureOptions{Repository: repo, Region: srcReg, AssumeRole: roleName, AWS: f.aws()}
	stats, err := collect.Capture(context.Background(), opts, dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, failed := exists(dir, src, srcReg, collect.ReplicationStatusName(repo, good)); !failed {
		t.Errorf("the image with an unsafe tag is not stored under its digest")
	}
	if w := strings.Join(stats.Warnings, "\n"); !strings.Contains(w, "is skipped") || !strings.Contains(w, "escaped2") {
		t.Errorf("the image with no usable name is not named in a warning: %q", stats.Warnings)
	}
	err = filepath.WalkDir(parent, func(p string, d fs.DirEntry, err error) error {
		if err == nil && strings.Contains(d.Name(), "escaped") {
			t.Errorf("a file was named after an unsafe name: %s", p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := collect.Capture(context.Background(), collect.CaptureOptions{Repository: "../x", Region: srcReg, AWS: f.aws()}, t.TempDir()); err == nil {
		t.Error("Capture accepted the repository name ../x")
	}
}

// TestCaptureReadsScopeWhereItMatters: the destination's
// REGISTRY_POLICY_SCOPE is read only when its registry policy names an
// action the V1 scope refuses (moto refuses such a policy, so fakes serve
// it): otherwise no check can use it, and the read is saved.
func TestCaptureReadsScopeWhereItMatters(t *testing.T) {
	t.Parallel()
	grant := func(actions string) string {
		return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + src + `:root"},"Action":[` + actions + `],"Resource":"*"}]}`
	}
	for _, tc := range []struct {
		name, policy string
		policyErr    error
		read         bool
	}{
		{"V1 actions only", grant(`"ecr:ReplicateImage","ecr:CreateRepository"`), nil, false},
		{"no registry policy", "", nil, false},
		{"an action V1 refuses", grant(`"ecr:ReplicateImage","ecr:BatchGetImage"`), nil, true},
		{"a wildcard", grant(`"ecr:*"`), nil, true},
		{"the policy read was refused", "", &smithy.GenericAPIError{Code: "AccessDeniedException", Message: "no"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := &fakeAWS{policy: tc.policy, policyErr: tc.policyErr}
			dir, stats, _ := runCapture(t, collect.CaptureOptions{Repository: repo, Region: srcReg, AssumeRole: roleName, AWS: f.aws()})
			if ok, _ := exists(dir, dst, srcReg, collect.GetAccountSettingFile); ok != tc.read {
				t.Errorf("policy scope read: %v, want %v (warnings %q)", ok, tc.read, stats.Warnings)
			}
		})
	}
}
