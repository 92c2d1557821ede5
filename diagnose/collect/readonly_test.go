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
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/sts"
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
		{"BatchGetImage", func() error { // a read, but not one ecrdoctor needs
			_, err := ecrc.BatchGetImage(ctx, &ecr.BatchGetImageInput{RepositoryName: aws.String("r")})
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
// policy and checks that it grants exactly the actions of the allow-list.
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
	if len(blocks) < 2 {
		t.Fatalf("the iam-policy section has %d JSON policies, want one for the source side and one for the destination side", len(blocks))
	}
	seen := map[string]bool{}
	for _, blk := range blocks {
		var doc struct {
			Statement []struct {
				Effect string
				Action any
			}
		}
		if err := json.Unmarshal(blk[1], &doc); err != nil {
			t.Fatalf("README policy is not valid JSON: %v\n%s", err, blk[1])
		}
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
	}
	var got []string
	for a := range seen {
		got = append(got, a)
	}
	sort.Strings(got)
	if want := IAMActions(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("README grants %v\nthe allow-list needs %v", got, want)
	}
}
