package collect_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/ecrdoctor/ecrdoctor/diagnose"
	"github.com/ecrdoctor/ecrdoctor/diagnose/collect"
	"github.com/ecrdoctor/ecrdoctor/diagnose/collect/awstest"
)

func scanOpts(env *awstest.Env) collect.ScanCaptureOptions {
	return collect.ScanCaptureOptions{
		CaptureOptions: collect.CaptureOptions{Region: "us-east-1", AssumeRole: roleName, AWS: collect.AWS{LoadConfig: env.LoadConfig, CloudTrail: env.CloudTrail}},
	}
}

// captureAndScan runs the live path of scan: capture, load, scan.
func captureAndScan(t testing.TB, opts collect.ScanCaptureOptions) (*diagnose.ScanReport, *collect.ScanCaptureStats) {
	t.Helper()
	dir := t.TempDir()
	stats, err := collect.CaptureScan(context.Background(), opts, dir)
	if err != nil {
		t.Fatalf("CaptureScan: %v", err)
	}
	snap, scope, err := collect.LoadScanDir(context.Background(), dir, collect.ScanLoadOptions{LoadOptions: collect.LoadOptions{Live: true}})
	if err != nil {
		t.Fatalf("LoadScanDir of the capture: %v", err)
	}
	rep, err := diagnose.Scan(snap, scope)
	if err != nil {
		t.Fatalf("Scan: %v", err)
	}
	return rep, stats
}

func pairVerdicts(rep *diagnose.ScanReport) map[string]string {
	out := map[string]string{}
	for _, p := range rep.Pairs {
		out[awstest.PairKey(p.Source, p.Repository, p.Destination)] = string(p.Verdict) + " " + p.RootCause
	}
	return out
}

// TestCaptureScanOrganization: a scan of the organization lists its
// accounts, assumes the role in each member, and finds every pair's root
// cause; one fix per failing destination.
func TestCaptureScanOrganization(t *testing.T) {
	t.Parallel()
	env := awstest.New(t)
	o := env.ExampleOrganization()
	opts := scanOpts(env)
	opts.Organization = true
	rep, stats := captureAndScan(t, opts)

	want := o.Expected()
	got := pairVerdicts(rep)
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %q, want %q", k, got[k], v)
		}
	}
	if len(got) != len(want) {
		t.Errorf("pairs = %v, want %d of them", got, len(want))
	}
	if rep.Verdict != diagnose.Failing {
		t.Errorf("verdict %s, want failing", rep.Verdict)
	}
	// The CloudTrail denial, read once for the account and region, is the
	// evidence of the pair it names, and of no other.
	for _, p := range rep.Pairs {
		denied := false
		for _, f := range p.Findings {
			for _, ev := range f.Evidence {
				denied = denied || ev.Kind == diagnose.EvidenceCloudTrailEvent && strings.Contains(ev.Text, "AccessDenied") && strings.Contains(ev.Text, ":repository/team-a/web ")
			}
		}
		if want := p.Repository == "team-a/web" && p.Destination == o.West; denied != want {
			t.Errorf("%s -> %s: CloudTrail denial in its evidence %v, want %v", p.Repository, p.Destination, denied, want)
		}
	}
	wantSources := []diagnose.Location{{Account: o.Management, Region: "us-east-1"}, {Account: o.Apps, Region: "us-east-1"}, {Account: o.DR, Region: "us-east-1"}}
	slices.SortFunc(wantSources, func(a, b diagnose.Location) int { return strings.Compare(a.Account, b.Account) })
	if !slices.Equal(stats.Sources, wantSources) {
		t.Errorf("sources %v, want every account of the organization: %v", stats.Sources, wantSources)
	}
	var fixed []string
	for _, f := range rep.Fixes {
		fixed = append(fixed, f.Destination.String())
		if !f.Fix.Verified || !strings.Contains(string(f.Fix.RegistryPolicy), "ecr:ReplicateImage") {
			t.Errorf("fix for %s: verified %v, policy %s", f.Destination, f.Fix.Verified, f.Fix.RegistryPolicy)
		}
	}
	want2 := []string{o.AppsEast.String(), o.West.String()}
	slices.Sort(want2)
	if !slices.Equal(fixed, want2) {
		t.Errorf("fixes for %v, want one per failing destination %v", fixed, want2)
	}
	for _, s := range rep.Sources {
		if s.Account == o.DR && s.Note == "" {
			t.Errorf("dr has no rules: its source entry should say so, got %+v", s)
		}
	}
	if len(stats.Warnings) > 0 {
		t.Errorf("warnings on a fully readable organization: %v", stats.Warnings)
	}
	counts := env.Moto.Counts()
	if counts["organizations:ListAccounts"] != 1 {
		t.Errorf("ListAccounts called %d times, want once", counts["organizations:ListAccounts"])
	}
	// Only team-a/web in dr/us-west-2 has a registry policy that does not
	// settle it and exists there; team-a/api does not exist in us-west-2,
	// and us-east-1's policy settles both.
	if n := counts["ecr:GetRepositoryPolicy"]; n != 1 || stats.RepositoryReads != 1 {
		t.Errorf("GetRepositoryPolicy: %d calls (stats %d), want 1: %v", n, stats.RepositoryReads, counts)
	}
}

// TestCaptureScanRoleRefused: an account whose role cannot be assumed is a
// warning, and its pairs are never healthy: DESTINATION_UNREADABLE, an
// error as in why, since the credentials given for it failed.
func TestCaptureScanRoleRefused(t *testing.T) {
	t.Parallel()
	env := awstest.New(t)
	o := env.ExampleOrganization()
	env.Moto.DenyRoles["arn:aws:iam::"+o.DR+":role/"+roleName] = true
	opts := scanOpts(env)
	opts.Accounts = []string{o.Apps}
	rep, stats := captureAndScan(t, opts)
	n := 0
	for _, p := range rep.Pairs {
		if p.Source.Account != o.Apps {
			continue
		}
		n++
		if p.Verdict == diagnose.Healthy || !slices.Contains(p.Codes, diagnose.CodeDestinationUnreadable) {
			t.Errorf("%s -> %s: %s %v, want failing with DESTINATION_UNREADABLE (the destination account's role was refused)", p.Repository, p.Destination, p.Verdict, p.Codes)
		}
	}
	if n != 4 {
		t.Errorf("%d pairs of %s, want 4", n, o.Apps)
	}
	if !slices.ContainsFunc(stats.Warnings, func(w string) bool { return strings.Contains(w, o.DR) && strings.Contains(w, "sts:AssumeRole") }) {
		t.Errorf("no warning names the refused role of %s: %v", o.DR, stats.Warnings)
	}
	if rep.Verdict == diagnose.Healthy {
		t.Error("a scan with an unreadable account is healthy")
	}
}

// TestCaptureScanCallBudget: beyond the registry-level reads, a scan costs
// less than one call per repository. The same scenario is captured with 20
// and with 200 repositories: the calls that grow with the repositories are
// the difference, whatever the registry-level reads are.
func TestCaptureScanCallBudget(t *testing.T) {
	t.Parallel()
	calls := map[int]int{}
	for _, n := range []int{20, 200} {
		env := awstest.New(t)
		total, elapsed, stats := budgetScenario(t, env, n)
		calls[n] = total
		t.Logf("%d repositories × 3 destinations: %d calls (%v), %d repository-level, %v", n, total, stats.APICalls, stats.RepositoryReads, elapsed.Round(time.Millisecond))
	}
	perRepo := float64(calls[200]-calls[20]) / 180
	t.Logf("calls per repository beyond the registry-level reads: %.2f", perRepo)
	if perRepo >= 1 {
		t.Errorf("%.2f calls per repository (20 repositories: %d calls, 200: %d), want under 1", perRepo, calls[20], calls[200])
	}
}

// budgetScenario: account src replicates n repositories to three registries
// of account dst: one whose policy grants it (every repository exists
// there), one without a registry policy where a tenth of the repositories
// exist (half of them with the grant in their repository policy; the
// others' grant is in the first registry's region), one
// whose policy grants a typo'd account (none exist).
func budgetScenario(t testing.TB, env *awstest.Env, n int) (int, time.Duration, *collect.ScanCaptureStats) {
	repos := awstest.RepositoryNames("team-", n)
	ok := diagnose.Location{Account: dst, Region: "us-east-1"}
	missing := diagnose.Location{Account: dst, Region: "us-west-2"}
	typo := diagnose.Location{Account: dst, Region: "eu-west-1"}
	var some []string
	misplaced := map[string]string{}
	for i, r := range repos {
		if i%10 == 0 {
			some = append(some, r)
			if i%20 == 0 {
				misplaced[r] = awstest.RepositoryGrant(src)
			}
		}
	}
	env.BuildRegistries(
		awstest.Registry{Account: src, Region: "us-east-1", Repositories: repos,
			Rules: []awstest.Rule{{Destinations: []diagnose.Location{ok, missing, typo}, Filters: []string{"team-"}}}},
		awstest.Registry{Account: dst, Region: "us-east-1", Repositories: repos, RegistryPolicy: awstest.ReplicationGrant(src, dst, "us-east-1", "team-")},
		awstest.Registry{Account: dst, Region: "us-west-2", Repositories: some, RepositoryPolicies: misplaced},
		awstest.Registry{Account: dst, Region: "eu-west-1", RegistryPolicy: awstest.ReplicationGrant("999999999999", dst, "eu-west-1", "team-")},
	)
	opts := scanOpts(env)
	start := time.Now()
	rep, stats := captureAndScan(t, opts)
	elapsed := time.Since(start)
	for _, p := range rep.Pairs {
		i := slices.Index(repos, p.Repository)
		want := "healthy "
		switch {
		case p.Destination == missing && misplaced[p.Repository] != "":
			want = "failing GRANT_IN_REPOSITORY_POLICY"
		case p.Destination == missing:
			// us-east-1's grant is the one the account has
			want = "failing REGISTRY_POLICY_IN_OTHER_REGION"
		case p.Destination == typo:
			want = "failing PRINCIPAL_MISMATCH"
		}
		if got := string(p.Verdict) + " " + p.RootCause; got != want {
			t.Errorf("%s (#%d) -> %s: %q, want %q", p.Repository, i, p.Destination, got, want)
		}
	}
	if len(rep.Pairs) != 3*n {
		t.Errorf("%d pairs, want %d", len(rep.Pairs), 3*n)
	}
	total := 0
	for _, v := range stats.APICalls {
		total += v
	}
	return total, elapsed, stats
}

// TestCaptureScanRegionOptIn: a destination in an opt-in region that its
// account has not enabled is REGION_NOT_ENABLED for every repository
// behind it, from one opt-in read per account, not one per repository.
func TestCaptureScanRegionOptIn(t *testing.T) {
	t.Parallel()
	env := awstest.New(t)
	optIn := diagnose.Location{Account: dst, Region: "me-central-1"}
	repos := awstest.RepositoryNames("team-", 5)
	env.BuildRegistries(
		awstest.Registry{Account: src, Region: "us-east-1", Repositories: repos,
			Rules: []awstest.Rule{{Destinations: []diagnose.Location{optIn}}}},
		awstest.Registry{Account: dst, Region: optIn.Region, RegistryPolicy: awstest.ReplicationGrant(src, dst, optIn.Region, "")},
	)
	env.Moto.RegionOptIn = map[string]string{dst + "/me-central-1": "DISABLED", src + "/me-central-1": "ENABLED"}
	rep, stats := captureAndScan(t, scanOpts(env))
	if n := env.Moto.Counts()["account:POST /getRegionOptStatus"]; n != 2 {
		t.Errorf("%d GetRegionOptStatus calls, want 2 (the source and the destination account)", n)
	}
	for _, p := range rep.Pairs {
		if p.Verdict != diagnose.Failing || p.RootCause != diagnose.CodeRegionNotEnabled {
			t.Errorf("%s -> %s: %s %s, want failing REGION_NOT_ENABLED", p.Repository, p.Destination, p.Verdict, p.RootCause)
		}
	}
	if len(rep.Pairs) != 5 || len(stats.Warnings) > 0 {
		t.Errorf("%d pairs (want 5), warnings %v", len(rep.Pairs), stats.Warnings)
	}
}

// TestCaptureScanKeyPolicy: the KMS key of the creation template replication
// creates the missing repositories with is read once for the destination,
// not once per repository, and its policy is the root cause of every pair.
func TestCaptureScanKeyPolicy(t *testing.T) {
	t.Parallel()
	env := awstest.New(t)
	d := diagnose.Location{Account: dst, Region: "us-east-1"}
	repos := awstest.RepositoryNames("team-", 10)
	env.BuildRegistries(
		awstest.Registry{Account: src, Region: "us-east-1", Repositories: repos, Rules: []awstest.Rule{{Destinations: []diagnose.Location{d}}}},
		awstest.Registry{Account: dst, Region: "us-east-1", RegistryPolicy: awstest.ReplicationGrant(src, dst, "us-east-1", "")},
	)
	creds := env.Credentials(dst, "ScenarioAdmin")
	keys := kms.New(kms.Options{Region: d.Region, BaseEndpoint: aws.String(env.Moto.MotoURL),
		Credentials: credentials.NewStaticCredentialsProvider(creds.AccessKeyID, creds.SecretAccessKey, creds.SessionToken)})
	policy := `{"Version":"2012-10-17","Statement":[{"Sid":"Admins","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + dst + `:role/KeyAdmin"},"Action":"kms:*","Resource":"*"}]}`
	key, err := keys.CreateKey(context.Background(), &kms.CreateKeyInput{Policy: aws.String(policy)})
	if err != nil {
		t.Fatal(err)
	}
	env.Moto.Templates = map[string][]map[string]any{dst + "/" + d.Region: {{
		"prefix": "ROOT", "appliedFor": []string{"REPLICATION"}, "customRoleArn": "arn:aws:iam::" + dst + ":role/EcrTemplateKms",
		"encryptionConfiguration": map[string]string{"encryptionType": "KMS", "kmsKey": aws.ToString(key.KeyMetadata.Arn)},
	}}}
	env.Moto.ResetCounts()
	rep, stats := captureAndScan(t, scanOpts(env))
	if n := env.Moto.Counts()["kms:GetKeyPolicy"]; n != 1 {
		t.Errorf("%d GetKeyPolicy calls, want 1 for 10 repositories (warnings %q)", n, stats.Warnings)
	}
	for _, p := range rep.Pairs {
		if p.RootCause != diagnose.CodeKMSKeyNotUsable {
			t.Errorf("%s -> %s: %s %s, want KMS_KEY_NOT_USABLE", p.Repository, p.Destination, p.Verdict, p.RootCause)
		}
	}
	if len(rep.Pairs) != 10 {
		t.Errorf("%d pairs, want 10", len(rep.Pairs))
	}
}

// BenchmarkCaptureScanMoto is the live scan against moto: two accounts, 200
// repositories, three destinations (the scenario of
// TestCaptureScanCallBudget): capture, load and scan, with the calls made
// per run and per repository. moto and the loopback stand-ins answer in
// microseconds, so the time is ecrdoctor's and the emulator's, not AWS's.
func BenchmarkCaptureScanMoto(b *testing.B) {
	env := awstest.New(b)
	const repos = 200
	budgetScenario(b, env, repos)
	var calls, reads int
	runs := 0
	for b.Loop() {
		_, stats := captureAndScan(b, scanOpts(env))
		for _, n := range stats.APICalls {
			calls += n
		}
		reads += stats.RepositoryReads
		runs++
	}
	b.ReportMetric(float64(calls)/float64(runs), "calls/op")
	b.ReportMetric(float64(reads)/float64(runs)/repos, "repo-reads/repo")
}
