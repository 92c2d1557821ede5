package collect_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/ecrdoctor/ecrdoctor/diagnose/collect"
)

// sdkError is an error shaped as the SDK returns it after its retries:
// operation error, attempts, HTTP response, AWS error.
func sdkError(service, op string, status int, code string, fault smithy.ErrorFault, attempts int) error {
	return &smithy.OperationError{ServiceID: service, OperationName: op, Err: &retry.MaxAttemptsError{Attempt: attempts,
		Err: &smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status}},
			Err: &smithy.GenericAPIError{Code: code, Message: "the service says " + code, Fault: fault}}}}
}

// failingECR answers DescribeRegistry or GetRegistryPolicy with an error.
type failingECR struct {
	collect.ECRAPI
	registryErr, policyErr error
}

func (f failingECR) DescribeRegistry(ctx context.Context, in *ecr.DescribeRegistryInput, o ...func(*ecr.Options)) (*ecr.DescribeRegistryOutput, error) {
	if f.registryErr != nil {
		return nil, f.registryErr
	}
	return f.ECRAPI.DescribeRegistry(ctx, in, o...)
}

func (f failingECR) GetRegistryPolicy(ctx context.Context, in *ecr.GetRegistryPolicyInput, o ...func(*ecr.Options)) (*ecr.GetRegistryPolicyOutput, error) {
	if f.policyErr != nil {
		return nil, f.policyErr
	}
	return f.ECRAPI.GetRegistryPolicy(ctx, in, o...)
}

type failingSTS struct {
	collect.STSAPI
	assumeErr error
}

func (f failingSTS) AssumeRole(ctx context.Context, in *sts.AssumeRoleInput, o ...func(*sts.Options)) (*sts.AssumeRoleOutput, error) {
	return nil, f.assumeErr
}

// TestBusyAWSIsNotARefusal: throttling and server errors are AWS being busy
// or failing, retried; they are not refusals, and a throttled AssumeRole is
// not blamed on the role's trust policy.
func TestBusyAWSIsNotARefusal(t *testing.T) {
	t.Parallel()
	throttled := func(svc, op string) error {
		return sdkError(svc, op, 400, "ThrottlingException", smithy.FaultClient, 3)
	}
	cases := []struct {
		name                 string
		registryErr          error // source DescribeRegistry
		policyErr, assumeErr error
		want                 []string
		wantNot              []string
	}{
		{name: "source registry throttled", registryErr: throttled("ECR", "DescribeRegistry"),
			want: []string{"AWS was busy (ThrottlingException, retried 2 times)", "run again"}, wantNot: []string{"refused", "allow ecr:"}},
		{name: "source registry 503", registryErr: sdkError("ECR", "DescribeRegistry", 503, "ServiceUnavailableException", smithy.FaultServer, 3),
			want: []string{"AWS failed (HTTP 503 ServiceUnavailableException, retried 2 times)"}, wantNot: []string{"refused"}},
		{name: "destination policy throttled", policyErr: throttled("ECR", "GetRegistryPolicy"),
			want: []string{dst + "/" + srcReg, "AWS was busy (ThrottlingException, retried 2 times)"}, wantNot: []string{"refused"}},
		{name: "AssumeRole throttled", assumeErr: throttled("STS", "AssumeRole"),
			want: []string{"assuming arn:aws:iam::" + dst + ":role/" + roleName, "AWS was busy (ThrottlingException"}, wantNot: []string{"trust policy", "refused"}},
		{name: "AssumeRole denied", assumeErr: sdkError("STS", "AssumeRole", 403, "AccessDenied", smithy.FaultClient, 1),
			want: []string{"AccessDenied", "trust policy", "--external-id"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a := (&fakeAWS{}).aws()
			ecrOf, stsOf := a.ECR, a.STS
			a.ECR = func(cfg aws.Config, o ...func(*ecr.Options)) collect.ECRAPI {
				c := ecrOf(cfg, o...)
				creds, _ := cfg.Credentials.Retrieve(context.Background())
				if creds.AccessKeyID == "DST" {
					return failingECR{ECRAPI: c, policyErr: tc.policyErr}
				}
				return failingECR{ECRAPI: c, registryErr: tc.registryErr}
			}
			if tc.assumeErr != nil {
				a.STS = func(cfg aws.Config, o ...func(*sts.Options)) collect.STSAPI {
					return failingSTS{STSAPI: stsOf(cfg, o...), assumeErr: tc.assumeErr}
				}
			}
			stats, err := collect.Capture(context.Background(), collect.CaptureOptions{Repository: repo, Region: srcReg, AssumeRole: roleName, AWS: a}, t.TempDir())
			got := strings.Join(stats.Warnings, "\n")
			if err != nil {
				got += "\n" + err.Error()
			}
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("does not say %q:\n%s", w, got)
				}
			}
			for _, w := range tc.wantNot {
				if strings.Contains(got, w) {
					t.Errorf("says %q:\n%s", w, got)
				}
			}
		})
	}
}
