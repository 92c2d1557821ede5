package collect_test

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go"

	"github.com/ecrdoctor/ecrdoctor/diagnose"
	"github.com/ecrdoctor/ecrdoctor/diagnose/collect"
)

// scanWorld is a fake AWS of several accounts for the read planning of a
// whole-registry capture: each registry answers what the test says, and
// every call is recorded as "Operation account/region[ repo]".
type scanWorld struct {
	regs map[diagnose.Location]*fakeRegistry
	// orgAccounts answers ListAccounts.
	orgAccounts []orgtypes.Account
	// delay holds each ECR call, to see how many are in flight.
	delay time.Duration
	// denyRole are accounts whose role AssumeRole refuses.
	denyRole map[string]bool

	mu       sync.Mutex
	calls    []string
	inFlight map[diagnose.Location]int
	maxIn    map[diagnose.Location]int
}

type fakeRegistry struct {
	rules []ecrtypes.ReplicationRule
	repos []string
	// policy is the registry policy; "" answers RegistryPolicyNotFound,
	// policyErr answers that error instead.
	policy    string
	policyErr error
	// repoPolicies by repository; absent answers RepositoryPolicyNotFound.
	repoPolicies map[string]string
	// pageSize splits DescribeRepositories into pages (0: one page).
	pageSize int
}

func (w *scanWorld) record(call string) {
	w.mu.Lock()
	w.calls = append(w.calls, call)
	w.mu.Unlock()
}

// count is how many calls start with prefix.
func (w *scanWorld) count(prefix string) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := 0
	for _, c := range w.calls {
		if strings.HasPrefix(c, prefix) {
			n++
		}
	}
	return n
}

func (w *scanWorld) matching(prefix string) []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	for _, c := range w.calls {
		if strings.HasPrefix(c, prefix) {
			out = append(out, c)
		}
	}
	sort.Strings(out)
	return out
}

// accountOfKey: the caller's key is "CALLER", an assumed role's
// "ROLE-<account>".
func accountOfKey(key string) string {
	if a, ok := strings.CutPrefix(key, "ROLE-"); ok {
		return a
	}
	return src
}

func (w *scanWorld) aws() collect.AWS {
	return collect.AWS{
		LoadConfig: func(_ context.Context, profile, region string) (aws.Config, error) {
			return aws.Config{Region: region, Credentials: credentials.NewStaticCredentialsProvider("CALLER", "secret", "")}, nil
		},
		ECR: func(cfg aws.Config, opts ...func(*ecr.Options)) collect.ECRAPI {
			var o ecr.Options
			o.Region = cfg.Region
			for _, f := range opts {
				f(&o)
			}
			c, _ := cfg.Credentials.Retrieve(context.Background())
			return &worldECR{w: w, loc: diagnose.Location{Account: accountOfKey(c.AccessKeyID), Region: o.Region}}
		},
		CloudTrail: func(cfg aws.Config, opts ...func(*cloudtrail.Options)) cloudtrail.LookupEventsAPIClient {
			var o cloudtrail.Options
			o.Region = cfg.Region
			for _, f := range opts {
				f(&o)
			}
			c, _ := cfg.Credentials.Retrieve(context.Background())
			return worldTrail{w: w, loc: diagnose.Location{Account: accountOfKey(c.AccessKeyID), Region: o.Region}}
		},
		STS: func(cfg aws.Config, _ ...func(*sts.Options)) collect.STSAPI { return worldSTS{w: w} },
		Organizations: func(aws.Config, ...func(*organizations.Options)) collect.OrganizationsAPI {
			return worldOrg{w: w}
		},
	}
}

type worldECR struct {
	w   *scanWorld
	loc diagnose.Location
}

func (e *worldECR) enter(op, extra string) (*fakeRegistry, func()) {
	w := e.w
	call := op + " " + e.loc.String()
	if extra != "" {
		call += " " + extra
	}
	w.record(call)
	w.mu.Lock()
	if w.inFlight == nil {
		w.inFlight, w.maxIn = map[diagnose.Location]int{}, map[diagnose.Location]int{}
	}
	w.inFlight[e.loc]++
	w.maxIn[e.loc] = max(w.maxIn[e.loc], w.inFlight[e.loc])
	w.mu.Unlock()
	time.Sleep(w.delay)
	reg := w.regs[e.loc]
	if reg == nil {
		reg = &fakeRegistry{}
	}
	return reg, func() {
		w.mu.Lock()
		w.inFlight[e.loc]--
		w.mu.Unlock()
	}
}

func (e *worldECR) DescribeRegistry(context.Context, *ecr.DescribeRegistryInput, ...func(*ecr.Options)) (*ecr.DescribeRegistryOutput, error) {
	reg, done := e.enter("DescribeRegistry", "")
	defer done()
	return &ecr.DescribeRegistryOutput{RegistryId: aws.String(e.loc.Account), ReplicationConfiguration: &ecrtypes.ReplicationConfiguration{Rules: reg.rules}}, nil
}

func (e *worldECR) DescribeRepositories(_ context.Context, in *ecr.DescribeRepositoriesInput, _ ...func(*ecr.Options)) (*ecr.DescribeRepositoriesOutput, error) {
	reg, done := e.enter("DescribeRepositories", aws.ToString(in.NextToken))
	defer done()
	from := 0
	if in.NextToken != nil {
		fmt.Sscan(*in.NextToken, &from)
	}
	to := len(reg.repos)
	if reg.pageSize > 0 {
		to = min(from+reg.pageSize, len(reg.repos))
	}
	out := &ecr.DescribeRepositoriesOutput{}
	for _, r := range reg.repos[from:to] {
		out.Repositories = append(out.Repositories, ecrtypes.Repository{
			RepositoryName: aws.String(r), RegistryId: aws.String(e.loc.Account),
			RepositoryArn: aws.String(fmt.Sprintf("arn:aws:ecr:%s:%s:repository/%s", e.loc.Region, e.loc.Account, r)),
		})
	}
	if to < len(reg.repos) {
		out.NextToken = aws.String(fmt.Sprint(to))
	}
	return out, nil
}

func (e *worldECR) DescribeImages(context.Context, *ecr.DescribeImagesInput, ...func(*ecr.Options)) (*ecr.DescribeImagesOutput, error) {
	_, done := e.enter("DescribeImages", "")
	defer done()
	return &ecr.DescribeImagesOutput{}, nil
}

func (e *worldECR) DescribeImageReplicationStatus(context.Context, *ecr.DescribeImageReplicationStatusInput, ...func(*ecr.Options)) (*ecr.DescribeImageReplicationStatusOutput, error) {
	_, done := e.enter("DescribeImageReplicationStatus", "")
	defer done()
	return nil, notFound("ImageNotFoundException")
}

func (e *worldECR) GetRegistryPolicy(context.Context, *ecr.GetRegistryPolicyInput, ...func(*ecr.Options)) (*ecr.GetRegistryPolicyOutput, error) {
	reg, done := e.enter("GetRegistryPolicy", "")
	defer done()
	switch {
	case reg.policyErr != nil:
		return nil, reg.policyErr
	case reg.policy == "":
		return nil, notFound("RegistryPolicyNotFoundException")
	}
	return &ecr.GetRegistryPolicyOutput{RegistryId: aws.String(e.loc.Account), PolicyText: aws.String(reg.policy)}, nil
}

func (e *worldECR) GetRepositoryPolicy(_ context.Context, in *ecr.GetRepositoryPolicyInput, _ ...func(*ecr.Options)) (*ecr.GetRepositoryPolicyOutput, error) {
	reg, done := e.enter("GetRepositoryPolicy", aws.ToString(in.RepositoryName))
	defer done()
	if p, ok := reg.repoPolicies[aws.ToString(in.RepositoryName)]; ok {
		return &ecr.GetRepositoryPolicyOutput{RegistryId: aws.String(e.loc.Account), RepositoryName: in.RepositoryName, PolicyText: aws.String(p)}, nil
	}
	return nil, notFound("RepositoryPolicyNotFoundException")
}

func (e *worldECR) GetAccountSetting(context.Context, *ecr.GetAccountSettingInput, ...func(*ecr.Options)) (*ecr.GetAccountSettingOutput, error) {
	_, done := e.enter("GetAccountSetting", "")
	defer done()
	return &ecr.GetAccountSettingOutput{Name: aws.String("REGISTRY_POLICY_SCOPE"), Value: aws.String("V2")}, nil
}

func (e *worldECR) DescribeRepositoryCreationTemplates(context.Context, *ecr.DescribeRepositoryCreationTemplatesInput, ...func(*ecr.Options)) (*ecr.DescribeRepositoryCreationTemplatesOutput, error) {
	_, done := e.enter("DescribeRepositoryCreationTemplates", "")
	defer done()
	return &ecr.DescribeRepositoryCreationTemplatesOutput{RegistryId: aws.String(e.loc.Account)}, nil
}

func (e *worldECR) DescribePullThroughCacheRules(context.Context, *ecr.DescribePullThroughCacheRulesInput, ...func(*ecr.Options)) (*ecr.DescribePullThroughCacheRulesOutput, error) {
	_, done := e.enter("DescribePullThroughCacheRules", "")
	defer done()
	return &ecr.DescribePullThroughCacheRulesOutput{}, nil
}

type worldTrail struct {
	w   *scanWorld
	loc diagnose.Location
}

func (t worldTrail) LookupEvents(_ context.Context, in *cloudtrail.LookupEventsInput, _ ...func(*cloudtrail.Options)) (*cloudtrail.LookupEventsOutput, error) {
	t.w.record("LookupEvents " + t.loc.String() + " " + aws.ToString(in.LookupAttributes[0].AttributeValue))
	return &cloudtrail.LookupEventsOutput{}, nil
}

type worldSTS struct{ w *scanWorld }

func (s worldSTS) GetCallerIdentity(context.Context, *sts.GetCallerIdentityInput, ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error) {
	s.w.record("GetCallerIdentity")
	return &sts.GetCallerIdentityOutput{Account: aws.String(src)}, nil
}

func (s worldSTS) AssumeRole(_ context.Context, in *sts.AssumeRoleInput, _ ...func(*sts.Options)) (*sts.AssumeRoleOutput, error) {
	arn := aws.ToString(in.RoleArn)
	s.w.record("AssumeRole " + arn)
	acct := strings.Split(arn, ":")[4]
	if s.w.denyRole[acct] {
		return nil, &smithy.GenericAPIError{Code: "AccessDenied", Message: "User: arn:aws:iam::" + src + ":user/me is not authorized to perform: sts:AssumeRole on resource: " + arn}
	}
	return &sts.AssumeRoleOutput{Credentials: &ststypes.Credentials{
		AccessKeyId: aws.String("ROLE-" + acct), SecretAccessKey: aws.String("secret"), SessionToken: aws.String("token"), Expiration: aws.Time(time.Now().Add(time.Hour)),
	}}, nil
}

type worldOrg struct{ w *scanWorld }

func (o worldOrg) ListAccounts(context.Context, *organizations.ListAccountsInput, ...func(*organizations.Options)) (*organizations.ListAccountsOutput, error) {
	o.w.record("ListAccounts")
	return &organizations.ListAccountsOutput{Accounts: o.w.orgAccounts}, nil
}

func rule(prefix string, dests ...diagnose.Location) ecrtypes.ReplicationRule {
	r := ecrtypes.ReplicationRule{}
	for _, d := range dests {
		r.Destinations = append(r.Destinations, ecrtypes.ReplicationDestination{Region: aws.String(d.Region), RegistryId: aws.String(d.Account)})
	}
	if prefix != "" {
		r.RepositoryFilters = []ecrtypes.RepositoryFilter{{Filter: aws.String(prefix), FilterType: ecrtypes.RepositoryFilterTypePrefixMatch}}
	}
	return r
}

func grant(source string, dst diagnose.Location, prefix, condition string) string {
	return fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::%s:root"},"Action":["ecr:ReplicateImage","ecr:CreateRepository"],"Resource":"arn:aws:ecr:%s:%s:repository/%s*"%s}]}`,
		source, dst.Region, dst.Account, prefix, condition)
}

func runScanCapture(t *testing.T, w *scanWorld, opts collect.ScanCaptureOptions) (string, *collect.ScanCaptureStats) {
	t.Helper()
	opts.AWS = w.aws()
	if opts.Region == "" && len(opts.Regions) == 0 {
		opts.Region = srcReg
	}
	dir := t.TempDir()
	stats, err := collect.CaptureScan(context.Background(), opts, dir)
	if err != nil {
		t.Fatalf("CaptureScan: %v", err)
	}
	return dir, stats
}

// TestScanReadPlanning: which reads a whole-registry capture makes, and
// when: a repository's own policy only where the registry policy does not
// settle its replication and the repository exists; the policy scope only
// where the registry policy was answered.
func TestScanReadPlanning(t *testing.T) {
	t.Parallel()
	srcLoc := diagnose.Location{Account: src, Region: srcReg}
	d := diagnose.Location{Account: dst, Region: srcReg}
	repos := []string{"team/a", "team/b", "team/c", "other/x"}
	cases := []struct {
		name string
		dest *fakeRegistry
		// repoReads are the repositories whose policies are read.
		repoReads []string
		// scope: the policy names an action outside V1's (ScopeMatters).
		scope int
	}{
		{"registry policy settles every repository", &fakeRegistry{repos: []string{"team/a", "team/b"}, policy: grant(src, d, "team/", "")}, nil, 0},
		{"every repository there and settled", &fakeRegistry{repos: []string{"team/a", "team/b", "team/c"}, policy: grant(src, d, "team/", "")}, nil, 0},
		{"no registry policy: the repositories that exist", &fakeRegistry{repos: []string{"team/a", "team/c"}}, []string{"team/a", "team/c"}, 0},
		{"a grant for another prefix settles nothing here", &fakeRegistry{repos: []string{"team/b"}, policy: grant(src, d, "platform/", "")}, []string{"team/b"}, 0},
		{"a condition ecrdoctor cannot know settles nothing", &fakeRegistry{repos: []string{"team/a"},
			policy: grant(src, d, "team/", `,"Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-abc"}}`)}, []string{"team/a"}, 0},
		{"a policy whose checks the scope changes", &fakeRegistry{repos: []string{"team/a"},
			policy: strings.Replace(grant(src, d, "team/", ""), `"ecr:CreateRepository"`, `"ecr:CreateRepository","ecr:BatchGetImage"`, 1)}, nil, 1},
		{"registry policy unreadable: neither scope nor repository policies", &fakeRegistry{repos: []string{"team/a"},
			policyErr: &smithy.GenericAPIError{Code: "AccessDeniedException", Message: "not authorized to perform: ecr:GetRegistryPolicy"}}, nil, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := &scanWorld{regs: map[diagnose.Location]*fakeRegistry{
				srcLoc: {repos: repos, rules: []ecrtypes.ReplicationRule{rule("team/", d)}},
				d:      tc.dest,
			}}
			_, stats := runScanCapture(t, w, collect.ScanCaptureOptions{CaptureOptions: collect.CaptureOptions{AssumeRole: roleName}})
			var got []string
			for _, c := range w.matching("GetRepositoryPolicy ") {
				got = append(got, c[strings.LastIndex(c, " ")+1:])
			}
			if !slices.Equal(got, tc.repoReads) {
				t.Errorf("repository policies read: %v, want %v", got, tc.repoReads)
			}
			if stats.RepositoryReads != len(tc.repoReads) {
				t.Errorf("stats count %d repository reads, want %d", stats.RepositoryReads, len(tc.repoReads))
			}
			if n := w.count("GetAccountSetting " + d.String()); n != tc.scope {
				t.Errorf("GetAccountSetting: %d calls, want %d", n, tc.scope)
			}
			for _, op := range []string{"DescribeRegistry " + srcLoc.String(), "DescribeRepositories " + srcLoc.String(), "DescribeRepositories " + d.String(), "GetRegistryPolicy " + d.String()} {
				if n := w.count(op); n != 1 {
					t.Errorf("%s: %d calls, want exactly 1", op, n)
				}
			}
			// The templates only where replication has a repository to
			// create; the pull-through-cache rules only where the policy
			// read does not settle a pair.
			all := len(tc.dest.repos) == 3
			if n, want := w.count("DescribeRepositoryCreationTemplates "+d.String()), btoi(!all); n != want {
				t.Errorf("DescribeRepositoryCreationTemplates: %d calls, want %d", n, want)
			}
			unsettled := tc.repoReads != nil || tc.dest.policy == "" && tc.dest.policyErr == nil
			if n, want := w.count("DescribePullThroughCacheRules "+d.String()), btoi(unsettled); n != want {
				t.Errorf("DescribePullThroughCacheRules: %d calls, want %d", n, want)
			}
			if n := w.count("DescribeImage"); n != 0 {
				t.Errorf("%d image reads: a scan reads no images", n)
			}
		})
	}
}

// TestScanReadPlanningShared: what several sources share is read once: a
// destination registry and a repository two sources replicate there; a
// same-account destination costs only its repositories; CloudTrail is read
// once per source account and region its records land in, for each event
// name; and the repositories come in every page.
func TestScanReadPlanningShared(t *testing.T) {
	t.Parallel()
	other := "333333333333"
	east := diagnose.Location{Account: src, Region: "us-east-1"}
	west := diagnose.Location{Account: src, Region: "us-west-2"}
	otherEast := diagnose.Location{Account: other, Region: "us-east-1"}
	d := diagnose.Location{Account: dst, Region: "eu-west-1"}
	many := make([]string, 25)
	for i := range many {
		many[i] = fmt.Sprintf("team/r%02d", i)
	}
	w := &scanWorld{regs: map[diagnose.Location]*fakeRegistry{
		east:      {repos: many, pageSize: 10, rules: []ecrtypes.ReplicationRule{rule("team/", d, west)}},
		otherEast: {repos: []string{"team/r00"}, rules: []ecrtypes.ReplicationRule{rule("", d)}},
		west:      {repos: []string{"team/r01"}},
		d:         {repos: []string{"team/r00"}},
	}}
	dir, stats := runScanCapture(t, w, collect.ScanCaptureOptions{
		CaptureOptions: collect.CaptureOptions{AssumeRole: roleName},
		Regions:        []string{"us-east-1"}, Accounts: []string{src, other},
	})
	if got := w.matching("GetRepositoryPolicy "); !slices.Equal(got, []string{"GetRepositoryPolicy " + d.String() + " team/r00"}) {
		t.Errorf("repository policies read: %v, want team/r00 once (two sources replicate it; the others do not exist there)", got)
	}
	for op, want := range map[string]int{
		"GetRegistryPolicy " + d.String():    1,
		"DescribeRepositories " + d.String(): 1,
		"GetAccountSetting " + d.String():    0, // no registry policy to check
		// same account: no policy decides
		"GetRegistryPolicy " + west.String():    0,
		"DescribeRepositories " + west.String(): 1,
		// 25 repositories, 10 a page
		"DescribeRepositories " + east.String(): 3,
		"AssumeRole":                            2, // other, and dst
		"GetCallerIdentity":                     1,
	} {
		if n := w.count(op); n != want {
			t.Errorf("%s: %d calls, want %d", op, n, want)
		}
	}
	wantTrail := []string{
		"LookupEvents " + src + "/eu-west-1 CreateRepository", "LookupEvents " + src + "/eu-west-1 ReplicateImage",
		"LookupEvents " + src + "/us-east-1 CreateRepository", "LookupEvents " + src + "/us-east-1 ReplicateImage",
		"LookupEvents " + src + "/us-west-2 CreateRepository", "LookupEvents " + src + "/us-west-2 ReplicateImage",
		"LookupEvents " + other + "/eu-west-1 CreateRepository", "LookupEvents " + other + "/eu-west-1 ReplicateImage",
		"LookupEvents " + other + "/us-east-1 CreateRepository", "LookupEvents " + other + "/us-east-1 ReplicateImage",
	}
	sort.Strings(wantTrail)
	if got := w.matching("LookupEvents "); !slices.Equal(got, wantTrail) {
		t.Errorf("CloudTrail lookups:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(wantTrail, "\n"))
	}
	if stats.Repositories != 26 {
		t.Errorf("%d source repositories, want 26 (every page)", stats.Repositories)
	}
	snap, scope, err := collect.LoadScanDir(context.Background(), dir, collect.ScanLoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := diagnose.Scan(snap, scope)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Summary.Repositories != 26 || rep.Summary.Pairs != 25*2+1 {
		t.Errorf("scan of the capture: %+v, want 26 repositories and 51 pairs", rep.Summary)
	}
}

// TestScanConcurrencyBound: no more than Concurrency calls are in flight
// in one (account, region), however many repositories need a read.
func TestScanConcurrencyBound(t *testing.T) {
	t.Parallel()
	srcLoc := diagnose.Location{Account: src, Region: srcReg}
	d := diagnose.Location{Account: dst, Region: srcReg}
	repos := make([]string, 30)
	for i := range repos {
		repos[i] = fmt.Sprintf("team/r%02d", i)
	}
	w := &scanWorld{delay: 5 * time.Millisecond, regs: map[diagnose.Location]*fakeRegistry{
		srcLoc: {repos: repos, rules: []ecrtypes.ReplicationRule{rule("", d)}},
		d:      {repos: repos},
	}}
	runScanCapture(t, w, collect.ScanCaptureOptions{CaptureOptions: collect.CaptureOptions{AssumeRole: roleName}, Concurrency: 3})
	if n := w.count("GetRepositoryPolicy "); n != 30 {
		t.Fatalf("%d repository policies read, want 30 (no registry policy)", n)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if got := w.maxIn[d]; got > 3 || got < 2 {
		t.Errorf("at most %d calls in flight in %s, want 3 at most (and more than one)", got, d)
	}
}

// TestScanOrganizationAccounts: --organization scans every ACTIVE account
// of ListAccounts, through the role except the caller's own, and names
// those left out.
func TestScanOrganizationAccounts(t *testing.T) {
	t.Parallel()
	w := &scanWorld{regs: map[diagnose.Location]*fakeRegistry{}, orgAccounts: []orgtypes.Account{
		{Id: aws.String(src), State: orgtypes.AccountStateActive},
		{Id: aws.String(dst), State: orgtypes.AccountStateActive},
		{Id: aws.String("444444444444"), State: orgtypes.AccountStateSuspended},
		{Id: aws.String("555555555555"), Status: orgtypes.AccountStatusActive}, // only the older field
	}}
	_, stats := runScanCapture(t, w, collect.ScanCaptureOptions{CaptureOptions: collect.CaptureOptions{AssumeRole: roleName}, Organization: true})
	var accounts []string
	for _, s := range stats.Sources {
		accounts = append(accounts, s.Account)
	}
	if want := []string{src, dst, "555555555555"}; !slices.Equal(accounts, want) {
		t.Errorf("sources %v, want %v", accounts, want)
	}
	if got := w.matching("AssumeRole"); len(got) != 2 || !strings.Contains(got[0], dst) {
		t.Errorf("roles assumed: %v, want one per member account (not the caller's)", got)
	}
	if !slices.ContainsFunc(stats.Warnings, func(s string) bool { return strings.Contains(s, "444444444444 (suspended)") }) {
		t.Errorf("the suspended account is not named: %v", stats.Warnings)
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestScanReadsDeletionsOnlyWhenReplicated: the source's BatchDeleteImage
// calls are read once per source registry, and only where a rule covering
// a scanned repository replicates deletions.
func TestScanReadsDeletionsOnlyWhenReplicated(t *testing.T) {
	t.Parallel()
	srcLoc := diagnose.Location{Account: src, Region: srcReg}
	d := diagnose.Location{Account: src, Region: "us-west-2"}
	for _, deletes := range []bool{false, true} {
		r := rule("team/", d)
		if deletes {
			r.DeleteReplication = &ecrtypes.DeleteReplication{Enabled: true}
		}
		w := &scanWorld{regs: map[diagnose.Location]*fakeRegistry{srcLoc: {repos: []string{"team/a", "team/b"}, rules: []ecrtypes.ReplicationRule{r}}}}
		runScanCapture(t, w, collect.ScanCaptureOptions{})
		if n, want := w.count("LookupEvents "+srcLoc.String()+" BatchDeleteImage"), btoi(deletes); n != want {
			t.Errorf("deleteReplication %v: %d BatchDeleteImage lookups, want %d", deletes, n, want)
		}
	}
}

// TestScanSourceRoleRefused: a source account whose role is refused is a
// warning, its registries are unknown with the refusal as the reason, and
// the other accounts are still scanned; the scan is never healthy.
func TestScanSourceRoleRefused(t *testing.T) {
	t.Parallel()
	other := "333333333333"
	ok := diagnose.Location{Account: src, Region: srcReg}
	refused := diagnose.Location{Account: other, Region: srcReg}
	same := diagnose.Location{Account: src, Region: "us-west-2"}
	w := &scanWorld{denyRole: map[string]bool{other: true}, regs: map[diagnose.Location]*fakeRegistry{
		ok:      {repos: []string{"team/a"}, rules: []ecrtypes.ReplicationRule{rule("", same)}},
		same:    {repos: []string{"team/a"}},
		refused: {repos: []string{"team/b"}, rules: []ecrtypes.ReplicationRule{rule("", same)}},
	}}
	dir, stats := runScanCapture(t, w, collect.ScanCaptureOptions{CaptureOptions: collect.CaptureOptions{AssumeRole: roleName}, Accounts: []string{src, other}})
	if !slices.ContainsFunc(stats.Warnings, func(s string) bool { return strings.Contains(s, other) && strings.Contains(s, "sts:AssumeRole") }) {
		t.Errorf("no warning names the refused role of %s: %v", other, stats.Warnings)
	}
	if n := w.count("DescribeRegistry " + refused.String()); n != 0 {
		t.Errorf("%d reads of %s without its credentials", n, refused)
	}
	snap, scope, err := collect.LoadScanDir(context.Background(), dir, collect.ScanLoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := diagnose.Scan(snap, scope)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range rep.Sources {
		switch s.Location {
		case refused:
			if s.Verdict != diagnose.Unknown || !strings.Contains(s.Note, "AssumeRole") {
				t.Errorf("%s: %s %q, want unknown naming the refused role", s.Location, s.Verdict, s.Note)
			}
		case ok:
			if s.Verdict != diagnose.Healthy || s.Covered != 1 {
				t.Errorf("%s: %s, %d covered; want it scanned, healthy", s.Location, s.Verdict, s.Covered)
			}
		}
	}
	if rep.Verdict != diagnose.Unknown {
		t.Errorf("verdict %s, want unknown (a source could not be read)", rep.Verdict)
	}
}
