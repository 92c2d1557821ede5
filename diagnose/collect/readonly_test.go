package collect

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"sort"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/sso"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/middleware"
)

// guardedConfig is a config built the way Capture builds its own, pointed
// at a server that counts the requests it receives.
func guardedConfig(t *testing.T) (aws.Config, *atomic.Int32) {
	t.Helper()
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		_, _ = w.Write([]byte(`{}`))
	}))
	t.Cleanup(srv.Close)
	cfg, err := config.LoadDefaultConfig(context.Background(),
		config.WithAPIOptions(newSession(AWS{}).apiOptions()),
		config.WithRegion("ap-northeast-1"),
		config.WithBaseEndpoint(srv.URL),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("AKID", "SECRET", "")),
	)
	if err != nil {
		t.Fatal(err)
	}
	return cfg, &hits
}

func TestReadOnlyGuardRefusesWritesBeforeSending(t *testing.T) {
	cfg, hits := guardedConfig(t)
	ctx := context.Background()
	ecrc := ecr.NewFromConfig(cfg)
	writes := []struct {
		name string
		call func() error
	}{
		{"PutRegistryPolicy", func() error {
			_, err := ecrc.PutRegistryPolicy(ctx, &ecr.PutRegistryPolicyInput{PolicyText: aws.String(`{}`)})
			return err
		}},
		{"DeleteRepository", func() error {
			_, err := ecrc.DeleteRepository(ctx, &ecr.DeleteRepositoryInput{RepositoryName: aws.String("my-repo")})
			return err
		}},
		{"PutReplicationConfiguration", func() error {
			_, err := ecrc.PutReplicationConfiguration(ctx, &ecr.PutReplicationConfigurationInput{})
			return err
		}},
		{"GetDownloadUrlForLayer", func() error { // a read, but not one ecrdoctor needs
			_, err := ecrc.GetDownloadUrlForLayer(ctx, &ecr.GetDownloadUrlForLayerInput{RepositoryName: aws.String("r"), LayerDigest: aws.String("sha256:0")})
			return err
		}},
		{"StopLogging", func() error {
			_, err := cloudtrail.NewFromConfig(cfg).StopLogging(ctx, &cloudtrail.StopLoggingInput{Name: aws.String("trail")})
			return err
		}},
		{"GetSessionToken", func() error {
			_, err := sts.NewFromConfig(cfg).GetSessionToken(ctx, &sts.GetSessionTokenInput{})
			return err
		}},
	}
	for _, w := range writes {
		t.Run(w.name, func(t *testing.T) {
			err := w.call()
			var ro *ReadOnlyError
			if !errors.As(err, &ro) {
				t.Fatalf("err = %v, want a ReadOnlyError", err)
			}
			if ro.Operation != w.name {
				t.Errorf("refused operation = %q, want %q", ro.Operation, w.name)
			}
		})
	}
	if n := hits.Load(); n != 0 {
		t.Fatalf("%d requests reached the server; a refused operation must not leave the process", n)
	}
	// The same clients still read.
	if _, err := ecrc.DescribeRegistry(ctx, &ecr.DescribeRegistryInput{}); err != nil {
		t.Fatalf("DescribeRegistry: %v", err)
	}
	if n := hits.Load(); n != 1 {
		t.Fatalf("a read sent %d requests, want 1", n)
	}
}

// TestREADMEPolicyMatchesAllowList parses the README's least-privilege IAM
// policies and checks that each side grants exactly the actions its
// credentials call, and that the credentials section names every call of
// the allow-list that needs no permission.
func TestREADMEPolicyMatchesAllowList(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?s)<!-- iam-policy:begin -->(.*)<!-- iam-policy:end -->`).FindSubmatch(b)
	if m == nil {
		t.Fatal("README.md has no iam-policy section")
	}
	blocks := regexp.MustCompile("(?s)```json\n(.*?)```").FindAllSubmatch(m[1], -1)
	sides := []string{sideSource, sideDest, sideEvents}
	if len(blocks) != len(sides) {
		t.Fatalf("the iam-policy section has %d JSON policies, want one for the source side, one for the destination side and one for events at organization scale", len(blocks))
	}
	for i, side := range sides {
		var doc struct {
			Statement []struct {
				Effect string
				Action any
			}
		}
		if err := json.Unmarshal(blocks[i][1], &doc); err != nil {
			t.Fatalf("README policy is not valid JSON: %v\n%s", err, blocks[i][1])
		}
		seen := map[string]bool{}
		for _, st := range doc.Statement {
			if st.Effect != "Allow" {
				t.Errorf("statement effect %q, want Allow", st.Effect)
			}
			switch a := st.Action.(type) {
			case string:
				seen[a] = true
			case []any:
				for _, x := range a {
					seen[x.(string)] = true
				}
			}
		}
		var got []string
		for a := range seen {
			got = append(got, a)
		}
		sort.Strings(got)
		if want := sideActions(side); strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("README's %s side grants %v\nits credentials call %v", side, got, want)
		}
	}

	m = regexp.MustCompile(`(?s)<!-- credential-fetches:begin -->(.*)<!-- credential-fetches:end -->`).FindSubmatch(b)
	if m == nil {
		t.Fatal("README.md has no credential-fetches section")
	}
	listed := map[string]bool{}
	for _, row := range regexp.MustCompile(`(?m)^\| ([^|]+?) \| ([^|]+?) \|`).FindAllSubmatch(m[1], -1) {
		listed[string(row[1])+" "+string(row[2])] = true
	}
	for _, op := range allowedOperations {
		key := op.Service + " " + op.Name
		if op.IAMAction == "" && !listed[key] {
			t.Errorf("README's credentials section does not name %s", key)
		}
		delete(listed, key)
	}
	delete(listed, "Service Operation")
	delete(listed, "--- ---")
	for k := range listed {
		t.Errorf("README's credentials section names %s, which the guard does not allow", k)
	}
}

// TestCredentialClientsGuard: the clients the credential providers build
// for instance metadata and container endpoints fetch credentials and
// nothing else. The refused operation named is the one refused, not the AWS
// call whose context the fetch inherited.
func TestCredentialClientsGuard(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		_, _ = w.Write([]byte("x"))
	}))
	t.Cleanup(srv.Close)
	// A credential fetch runs inside the AWS call that needs credentials.
	ctx := awsmiddleware.SetOperationName(awsmiddleware.SetServiceID(context.Background(), "ECR"), "DescribeRegistry")

	guarded := imds.New(imds.Options{Endpoint: srv.URL, APIOptions: []func(*middleware.Stack) error{guardAs(imdsService)}})
	if _, err := guarded.GetMetadata(ctx, &imds.GetMetadataInput{Path: "iam/security-credentials/"}); err != nil {
		t.Fatalf("GetMetadata with the credential guard: %v", err)
	}
	before := hits.Load()
	_, err := guarded.GetUserData(ctx, &imds.GetUserDataInput{})
	var ro *ReadOnlyError
	if !errors.As(err, &ro) || ro.Service != imdsService || ro.Operation != "GetUserData" {
		t.Errorf("GetUserData: err = %v, want ec2imds GetUserData refused", err)
	}
	if hits.Load() != before {
		t.Error("a refused instance metadata read reached the server")
	}

	// With the API clients' guard (what the SDK would build from the
	// config), the fetch is refused under its own name.
	apiGuarded := imds.New(imds.Options{Endpoint: srv.URL, APIOptions: newSession(AWS{}).apiOptions()})
	_, err = apiGuarded.GetMetadata(ctx, &imds.GetMetadataInput{Path: "iam/security-credentials/"})
	if !errors.As(err, &ro) || ro.Operation != "GetMetadata" || ro.Service == "ECR" {
		t.Errorf("err = %v, want GetMetadata refused, not ECR DescribeRegistry", err)
	}
}

// TestCredentialExchangesPass: the web identity (IRSA) and SSO providers'
// calls leave the process; what AWS answers is their business.
func TestCredentialExchangesPass(t *testing.T) {
	cfg, hits := guardedConfig(t)
	ctx := context.Background()
	calls := []struct {
		name string
		call func() error
	}{
		{"AssumeRoleWithWebIdentity", func() error {
			_, err := sts.NewFromConfig(cfg).AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{
				RoleArn: aws.String("arn:aws:iam::123456789012:role/PodRole"), RoleSessionName: aws.String("s"), WebIdentityToken: aws.String("t")})
			return err
		}},
		{"GetRoleCredentials", func() error {
			_, err := sso.NewFromConfig(cfg).GetRoleCredentials(ctx, &sso.GetRoleCredentialsInput{
				AccessToken: aws.String("t"), AccountId: aws.String("123456789012"), RoleName: aws.String("r")})
			return err
		}},
	}
	for _, c := range calls {
		before := hits.Load()
		var ro *ReadOnlyError
		if err := c.call(); errors.As(err, &ro) {
			t.Errorf("%s refused: %v", c.name, err)
		}
		if hits.Load() == before {
			t.Errorf("%s did not reach the server", c.name)
		}
	}
}
