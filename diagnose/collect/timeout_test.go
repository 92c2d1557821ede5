package collect_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/aws/smithy-go"

	"github.com/ecrdoctor/ecrdoctor/diagnose/collect"
)

// slowECR is a destination registry that never answers: each read waits
// until its context ends, as a call to an unreachable endpoint does.
type slowECR struct{ collect.ECRAPI }

func hang(ctx context.Context, op string) error {
	<-ctx.Done()
	return &smithy.OperationError{ServiceID: "ECR", OperationName: op, Err: ctx.Err()}
}

func (slowECR) GetRegistryPolicy(ctx context.Context, _ *ecr.GetRegistryPolicyInput, _ ...func(*ecr.Options)) (*ecr.GetRegistryPolicyOutput, error) {
	return nil, hang(ctx, "GetRegistryPolicy")
}

func (slowECR) GetRepositoryPolicy(ctx context.Context, _ *ecr.GetRepositoryPolicyInput, _ ...func(*ecr.Options)) (*ecr.GetRepositoryPolicyOutput, error) {
	return nil, hang(ctx, "GetRepositoryPolicy")
}

func (slowECR) DescribeRepositories(ctx context.Context, _ *ecr.DescribeRepositoriesInput, _ ...func(*ecr.Options)) (*ecr.DescribeRepositoriesOutput, error) {
	return nil, hang(ctx, "DescribeRepositories")
}

func (slowECR) GetAccountSetting(ctx context.Context, _ *ecr.GetAccountSettingInput, _ ...func(*ecr.Options)) (*ecr.GetAccountSettingOutput, error) {
	return nil, hang(ctx, "GetAccountSetting")
}

// manyRules is a source ECR whose rule names n destination regions of dst.
type manyRules struct {
	collect.ECRAPI
	n int
}

func (m manyRules) DescribeRegistry(context.Context, *ecr.DescribeRegistryInput, ...func(*ecr.Options)) (*ecr.DescribeRegistryOutput, error) {
	var dests []ecrtypes.ReplicationDestination
	for i := range m.n {
		dests = append(dests, ecrtypes.ReplicationDestination{Region: aws.String(fmt.Sprintf("us-test-%d", i+1)), RegistryId: aws.String(dst)})
	}
	return &ecr.DescribeRegistryOutput{RegistryId: aws.String(src), ReplicationConfiguration: &ecrtypes.ReplicationConfiguration{
		Rules: []ecrtypes.ReplicationRule{{Destinations: dests}}}}, nil
}

// slowDestinations is fakeAWS with n destinations of dst that never answer.
func slowDestinations(n int) collect.AWS {
	a := (&fakeAWS{}).aws()
	ecrOf := a.ECR
	a.ECR = func(cfg aws.Config, o ...func(*ecr.Options)) collect.ECRAPI {
		c := ecrOf(cfg, o...)
		creds, _ := cfg.Credentials.Retrieve(context.Background())
		if creds.AccessKeyID == "DST" {
			return slowECR{c}
		}
		return manyRules{c, n}
	}
	return a
}

// captureWithin runs Capture and fails the test if it does not return
// within a generous bound: a blocked fan-out never returns.
func captureWithin(t *testing.T, ctx context.Context, opts collect.CaptureOptions) (*collect.CaptureStats, error) {
	t.Helper()
	type result struct {
		stats *collect.CaptureStats
		err   error
	}
	done := make(chan result, 1)
	go func() {
		stats, err := collect.Capture(ctx, opts, t.TempDir())
		done <- result{stats, err}
	}()
	select {
	case r := <-done:
		return r.stats, r.err
	case <-time.After(2 * time.Minute):
		t.Fatal("Capture did not return: its fan-out is blocked")
		return nil, nil
	}
}

// TestSlowDestinationCostsOnlyItself: a destination that never answers
// costs its own reads (each a warning naming it and the reason), not the
// run; the fan-out returns however many reads fail (more than 64 here).
func TestSlowDestinationCostsOnlyItself(t *testing.T) {
	t.Parallel()
	opts := collect.CaptureOptions{Repository: repo, Region: srcReg, AssumeRole: roleName, AWS: slowDestinations(70),
		RequestTimeout: 20 * time.Millisecond}
	stats, err := captureWithin(t, context.Background(), opts)
	if err != nil {
		t.Fatalf("Capture: %v; want the slow destinations as warnings", err)
	}
	w := strings.Join(stats.Warnings, "\n")
	for _, want := range []string{dst + "/us-test-1 ", dst + "/us-test-70 ", "no answer within 20ms"} {
		if !strings.Contains(w, want) {
			t.Errorf("warnings do not say %q:\n%.2000s", want, w)
		}
	}
	if strings.Contains(w, src+"/"+srcReg+" ") {
		t.Errorf("the source, which answers, is warned about:\n%.2000s", w)
	}
}

// TestRunTimeoutKeepsWhatWasRead: when the run's own deadline (--timeout)
// ends while a destination is still being read, the capture returns what it
// read, and says what it did not read and why.
func TestRunTimeoutKeepsWhatWasRead(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	opts := collect.CaptureOptions{Repository: repo, Region: srcReg, AssumeRole: roleName, AWS: slowDestinations(1)}
	stats, err := captureWithin(t, ctx, opts)
	if err != nil {
		t.Fatalf("Capture: %v; want what was read before the deadline", err)
	}
	if stats.Source.Account != src {
		t.Errorf("source = %v", stats.Source)
	}
	if w := strings.Join(stats.Warnings, "\n"); !strings.Contains(w, dst+"/us-test-1") || !strings.Contains(w, "the run's time limit") {
		t.Errorf("warnings do not say the destination was cut off by the run's time limit:\n%s", w)
	}
}
