package collect_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ecrdoctor/ecrdoctor/diagnose"
	"github.com/ecrdoctor/ecrdoctor/diagnose/collect"
	"github.com/ecrdoctor/ecrdoctor/diagnose/collect/awstest"
)

// TestCaptureAgreesWithAWSCLI builds the seed case's snapshot by hand with
// the real AWS CLI against moto, as a user would, and checks that loading it
// gives the same Snapshot as loading Capture's folder.
func TestCaptureAgreesWithAWSCLI(t *testing.T) {
	awsCLI, err := exec.LookPath("aws")
	if err != nil {
		if os.Getenv("ECRDOCTOR_REQUIRE_MOTO") == "1" {
			t.Fatal("the aws CLI is required (ECRDOCTOR_REQUIRE_MOTO=1) but not on PATH")
		}
		t.Skip("aws CLI not on PATH")
	}
	env := awstest.Start(t)
	now := time.Now().UTC().Truncate(time.Second)
	s := seedScenario(now, 0)
	s.Events = s.Events[:1] // one copy: the CLI keeps both copies of a shared event, Capture one
	digests := env.Build(s)

	captured, _, _ := runCapture(t, collect.CaptureOptions{Repository: repo, Region: srcReg, AssumeRole: roleName, Now: now})

	hand := t.TempDir()
	manifest, _ := os.ReadFile(filepath.Join(captured, collect.ManifestFile))
	if err := os.WriteFile(filepath.Join(hand, collect.ManifestFile), manifest, 0o644); err != nil {
		t.Fatal(err)
	}
	dstCreds := env.Credentials(dst, "HandMade")
	cli := func(account, region, name string, args ...string) {
		t.Helper()
		cmd := exec.Command(awsCLI, append(args, "--output", "json", "--region", region)...)
		cmd.Env = append(os.Environ(), "AWS_ENDPOINT_URL="+env.Moto.URL, "AWS_ENDPOINT_URL_CLOUDTRAIL="+env.Trail.URL, "AWS_MAX_ATTEMPTS=1")
		if account == dst {
			cmd.Env = append(cmd.Env, "AWS_ACCESS_KEY_ID="+dstCreds.AccessKeyID, "AWS_SECRET_ACCESS_KEY="+dstCreds.SecretAccessKey, "AWS_SESSION_TOKEN="+dstCreds.SessionToken)
		}
		var stdout, stderr strings.Builder
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		path, body := collect.CallFile(hand, account, region, name), stdout.String()
		if os.Getenv("DEBUGCLI") != "" {
			t.Logf("aws %v: %v\n%s\n%s", args, err, stdout.String(), stderr.String())
		}
		if err != nil {
			// What the CLI prints on stderr, stored the way the layout says.
			m := regexp.MustCompile(`An error occurred \(([^)]+)\) when calling the \w+ operation: (.*)`).FindStringSubmatch(stderr.String())
			if m == nil {
				t.Fatalf("aws %v: %v\n%s", args, err, stderr.String())
			}
			b, _ := json.Marshal(map[string]diagnose.APIError{"Error": {Code: m[1], Message: strings.TrimSpace(m[2])}})
			path, body = collect.ErrorFile(hand, account, region, name), string(b)
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	lookup := []string{"cloudtrail", "lookup-events", "--lookup-attributes", "AttributeKey=EventName,AttributeValue=ReplicateImage",
		"--start-time", now.Add(-collect.DefaultSince).Format(time.RFC3339), "--end-time", now.Format(time.RFC3339)}
	cli(src, srcReg, collect.DescribeRegistryFile, "ecr", "describe-registry")
	// No source describe-repositories: describe-images tells the
	// repository exists, and no destination's tags are immutable.
	cli(src, srcReg, collect.DescribeImagesName(repo), "ecr", "describe-images", "--repository-name", repo)
	cli(src, srcReg, collect.ReplicationStatusName(repo, "v1"), "ecr", "describe-image-replication-status", "--repository-name", repo, "--image-id", "imageDigest="+digests[0])
	cli(src, srcReg, collect.LookupEventsPrefix, lookup...)
	cli(src, "us-west-1", collect.DescribeRepositoriesFile, "ecr", "describe-repositories", "--repository-names", repo)
	cli(src, "us-west-1", collect.LookupEventsPrefix, lookup...)
	cli(dst, srcReg, collect.GetRegistryPolicyFile, "ecr", "get-registry-policy")
	cli(dst, srcReg, collect.RepositoryPolicyName(repo), "ecr", "get-repository-policy", "--repository-name", repo)
	cli(dst, srcReg, collect.DescribeRepositoriesFile, "ecr", "describe-repositories", "--repository-names", repo)
	// No get-account-setting (no registry policy: the fix's grant names V1
	// actions only, which every scope accepts) nor creation templates (the
	// repository exists): Capture reads neither, since no check could use
	// them (TestSkippedReadsChangeNoDiagnosis).
	cli(dst, srcReg, collect.PullThroughCacheFile, "ecr", "describe-pull-through-cache-rules") // no registry policy there
	// The destination's CloudTrail is not asked: the source's holds the denial.
	cli(dst, "us-west-1", collect.GetRegistryPolicyFile, "ecr", "get-registry-policy")
	if exec.Command(awsCLI, "ecr", "list-replication-backfills", "help").Run() == nil {
		cli(src, srcReg, collect.ListBackfillsFile, "ecr", "list-replication-backfills")
	} else {
		// This CLI predates replication backfill (ECR, 2026-10): store the
		// API's answer, which is what a newer CLI prints for JSON 1.1.
		rawECR(t, env.Moto.URL, awstest.SourceKey, srcReg, "ListReplicationBackfills", `{"maxResults":50}`, collect.CallFile(hand, src, srcReg, collect.ListBackfillsFile))
	}

	if got, want := files(t, captured), files(t, hand); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("Capture wrote\n%s\nthe hand-made snapshot has\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	a, err := collect.LoadDir(context.Background(), captured, collect.LoadOptions{})
	if err != nil {
		t.Fatalf("loading the capture: %v", err)
	}
	b, err := collect.LoadDir(context.Background(), hand, collect.LoadOptions{})
	if err != nil {
		t.Fatalf("loading the hand-made snapshot: %v", err)
	}
	if ja, jb := normalized(t, a), normalized(t, b); ja != jb {
		t.Errorf("the snapshots differ\ncapture:\n%s\nAWS CLI:\n%s", ja, jb)
	}
	if len(a.Events) != 1 {
		t.Errorf("%d events loaded from the capture, want the denial", len(a.Events))
	}
	// And so the diagnosis of the hand-made snapshot is the live one's.
	ra, err := diagnose.Analyze(a)
	if err != nil {
		t.Fatal(err)
	}
	rb, err := diagnose.Analyze(b)
	if err != nil {
		t.Fatal(err)
	}
	if ra.Verdict != diagnose.Failing || len(ra.Findings) == 0 || ra.Findings[0].Code != diagnose.CodeGrantInRepositoryPolicy {
		t.Errorf("live capture diagnosed %s with %d findings; want the seed case's GRANT_IN_REPOSITORY_POLICY", ra.Verdict, len(ra.Findings))
	}
	if ra.Verdict != rb.Verdict || len(ra.Findings) != len(rb.Findings) {
		t.Fatalf("diagnoses differ: capture %s/%d findings, AWS CLI %s/%d", ra.Verdict, len(ra.Findings), rb.Verdict, len(rb.Findings))
	}
	for i := range ra.Findings {
		if ra.Findings[i].Code != rb.Findings[i].Code || ra.Findings[i].Summary != rb.Findings[i].Summary {
			t.Errorf("finding %d: capture %s %q, AWS CLI %s %q", i, ra.Findings[i].Code, ra.Findings[i].Summary, rb.Findings[i].Code, rb.Findings[i].Summary)
		}
	}
}

// normalized is a snapshot as JSON without what names its files (the
// Source of each read and event) and with times to the millisecond (CLI v1
// prints epoch seconds as floats).
func normalized(t *testing.T, s *diagnose.Snapshot) string {
	t.Helper()
	regs := map[string]*diagnose.Registry{}
	for loc, r := range s.Registries {
		regs[loc.String()] = r
	}
	b, err := json.Marshal(map[string]any{"source": s.Source, "repository": s.Repository, "captured_at": s.CapturedAt,
		"registries": regs, "events": s.Events, "collected": s.EventsCollected, "warnings": s.Warnings})
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	v = scrub(v)
	out, _ := json.MarshalIndent(v, "", "  ")
	return string(out)
}

func scrub(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if k == "Source" || k == "source" && isPath(e) {
				delete(x, k)
				continue
			}
			x[k] = scrub(e)
		}
	case []any:
		for i, e := range x {
			x[i] = scrub(e)
		}
	case string:
		if tm, err := time.Parse(time.RFC3339Nano, x); err == nil {
			return tm.Round(time.Millisecond).UTC().Format(time.RFC3339Nano)
		}
	}
	return v
}

func isPath(v any) bool {
	s, ok := v.(string)
	return ok && strings.Contains(s, string(filepath.Separator))
}

// rawECR sends one ECR JSON 1.1 request to url, signed only as far as the
// harness reads it (access key and region), and writes the answer to path.
func rawECR(t *testing.T, url, key, region, op, body, path string) {
	t.Helper()
	req, _ := http.NewRequest("POST", url+"/", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "AmazonEC2ContainerRegistry_V20150921."+op)
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+key+"/20260101/"+region+"/ecr/aws4_request, SignedHeaders=host, Signature=0")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("%s: HTTP %d: %s", op, resp.StatusCode, b)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
