package collect_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"

	"github.com/ecrdoctor/ecrdoctor/diagnose"
	"github.com/ecrdoctor/ecrdoctor/diagnose/collect"
	"github.com/ecrdoctor/ecrdoctor/diagnose/collect/awstest"
)

// The reads a capture leaves out where the reads it made show that no
// check could use them, against moto: each is named in snapshot.json's
// not_read, and the diagnosis of what was read finds what the full read
// would (diagnose's TestSkippedReadsChangeNoDiagnosis holds every fixture
// to that).

// notRead lists snapshot.json's not_read as "account/region/call".
func notRead(t *testing.T, dir string) []string {
	t.Helper()
	var m collect.Manifest
	readJSON(t, dir+"/"+collect.ManifestFile, &m)
	var out []string
	for _, nr := range m.NotRead {
		if nr.Why == "" {
			t.Errorf("not_read %s/%s/%s gives no reason", nr.Account, nr.Region, nr.Call)
		}
		out = append(out, nr.Account+"/"+nr.Region+"/"+nr.Call)
	}
	return out
}

func codes(r *diagnose.Report) []string {
	var out []string
	for _, f := range r.Findings {
		out = append(out, f.Code)
	}
	return out
}

// TestCaptureSourceTagsOnlyForImmutableDestination: the source's
// describe-repositories is left out where describe-images shows the
// repository and no destination keeps its tags immutable; where one does,
// it is read, and TAG_IMMUTABILITY_CONFLICT found.
func TestCaptureSourceTagsOnlyForImmutableDestination(t *testing.T) {
	t.Parallel()
	for _, immutable := range []bool{false, true} {
		t.Run(map[bool]string{false: "mutable", true: "immutable"}[immutable], func(t *testing.T) {
			t.Parallel()
			env := awstest.New(t)
			s := manyDestinations(time.Now(), 2)
			env.Build(s)
			if immutable {
				d := s.Rules[0].Destinations[1]
				if _, err := env.Admin(d.Account, d.Region).PutImageTagMutability(context.Background(), &ecr.PutImageTagMutabilityInput{
					RepositoryName: aws.String(repo), ImageTagMutability: ecrtypes.ImageTagMutabilityImmutable}); err != nil {
					t.Fatal(err)
				}
				env.Moto.ResetCounts()
			}
			dir, stats, _ := runCapture(t, captureOpts(env))
			read, _ := exists(dir, src, srcReg, collect.DescribeRepositoriesFile)
			left := slices.Contains(notRead(t, dir), src+"/"+srcReg+"/"+collect.DescribeRepositoriesFile)
			t.Logf("%v", stats.APICalls)
			if read != immutable || left == immutable {
				t.Errorf("source describe-repositories read: %v, in not_read: %v; want read only with an immutable destination (%v)", read, left, immutable)
			}
			found := slices.Contains(codes(analyzeDir(t, dir)), diagnose.CodeTagImmutabilityConflict)
			if found != immutable {
				t.Errorf("TAG_IMMUTABILITY_CONFLICT found: %v, want %v", found, immutable)
			}
		})
	}
}

// TestCaptureNoRepositoryPolicyOfMissingRepository: a destination whose
// repository does not exist has no repository policy to read.
func TestCaptureNoRepositoryPolicyOfMissingRepository(t *testing.T) {
	t.Parallel()
	env := awstest.New(t)
	s := manyDestinations(time.Now(), 1)
	d := s.Rules[0].Destinations[0]
	s.Destinations[d] = awstest.Destination{RegistryPolicy: awstest.ReplicationGrant(src, d.Account, d.Region, "my-")}
	env.Build(s)
	dir, stats, _ := runCapture(t, captureOpts(env))
	t.Logf("%v", stats.APICalls)
	if ok, _ := exists(dir, d.Account, d.Region, collect.RepositoryPolicyName(repo)); ok {
		t.Errorf("the repository policy of %s in %s was read, though describe-repositories says it does not exist", repo, d)
	}
	if !slices.Contains(notRead(t, dir), d.Account+"/"+d.Region+"/"+collect.RepositoryPolicyName(repo)) {
		t.Errorf("not_read does not name %s's repository policy: %q", d, notRead(t, dir))
	}
	if r := analyzeDir(t, dir); r.Verdict != diagnose.Healthy {
		t.Errorf("verdict %s (%v), want healthy: the grant allows creating the repository", r.Verdict, codes(r))
	}
}

// TestCaptureRepositoryNotReplicated: where the rules send the repository
// nowhere, neither its images, their status nor the backfills are read;
// describe-repositories still says it exists.
func TestCaptureRepositoryNotReplicated(t *testing.T) {
	t.Parallel()
	env := awstest.New(t)
	s := manyDestinations(time.Now(), 1)
	s.Rules[0].Filters = []string{"other-"}
	s.Events = nil
	env.Build(s)
	dir, stats, _ := runCapture(t, captureOpts(env))
	t.Logf("%v", stats.APICalls)
	if n := stats.APICalls["ecr"]; n != 2 {
		t.Errorf("%d ECR calls, want 2 (describe-registry, describe-repositories)", n)
	}
	for _, name := range []string{collect.DescribeImagesName(repo), collect.ListBackfillsFile} {
		if ok, _ := exists(dir, src, srcReg, name); ok {
			t.Errorf("%s was read", name)
		}
		if !slices.Contains(notRead(t, dir), src+"/"+srcReg+"/"+name) {
			t.Errorf("not_read does not name %s: %q", name, notRead(t, dir))
		}
	}
	if got := codes(analyzeDir(t, dir)); !slices.Equal(got, []string{diagnose.CodeFilterDoesNotMatch}) {
		t.Errorf("findings %v, want FILTER_DOES_NOT_MATCH", got)
	}
}

// TestCaptureRepositoryPolicyOnlyWhereUnsettled: a destination whose
// registry policy lets the source replicate has its repository policy and
// pull-through-cache rules left out (as scan does), and not_read says so;
// one whose registry policy does not has both read, and the grant put in
// the repository policy by mistake is the root cause.
func TestCaptureRepositoryPolicyOnlyWhereUnsettled(t *testing.T) {
	t.Parallel()
	env := awstest.New(t)
	s := manyDestinations(time.Now(), 2)
	granted, trap := s.Rules[0].Destinations[0], s.Rules[0].Destinations[1]
	s.Destinations[granted] = awstest.Destination{RepositoryExists: true, RegistryPolicy: s.Destinations[granted].RegistryPolicy, RepositoryPolicy: awstest.RepositoryGrant(src)}
	s.Destinations[trap] = awstest.Destination{RepositoryExists: true, RepositoryPolicy: awstest.RepositoryGrant(src)}
	env.Build(s)
	dir, stats, _ := runCapture(t, captureOpts(env))
	t.Logf("%v", stats.APICalls)
	left := notRead(t, dir)
	for _, c := range []struct {
		d    diagnose.Location
		read bool
	}{{granted, false}, {trap, true}} {
		for _, name := range []string{collect.RepositoryPolicyName(repo), collect.PullThroughCacheFile} {
			read, _ := exists(dir, c.d.Account, c.d.Region, name)
			inNotRead := slices.Contains(left, c.d.Account+"/"+c.d.Region+"/"+name)
			if read != c.read || inNotRead == c.read {
				t.Errorf("%s: %s read: %v, in not_read: %v; want read %v", c.d, name, read, inNotRead, c.read)
			}
		}
	}
	r := analyzeDir(t, dir)
	if r.Verdict != diagnose.Failing || !slices.Contains(codes(r), diagnose.CodeGrantInRepositoryPolicy) {
		t.Errorf("verdict %s, findings %v; want failing with GRANT_IN_REPOSITORY_POLICY for %s", r.Verdict, codes(r), trap)
	}
}
