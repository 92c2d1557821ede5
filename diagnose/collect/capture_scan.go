package collect

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/account"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/ecr"

	"github.com/ecrdoctor/ecrdoctor/diagnose"
	"github.com/ecrdoctor/ecrdoctor/diagnose/awsid"
)

// DefaultConcurrency is how many AWS calls a whole-registry capture has in
// flight per (account, region) when ScanCaptureOptions.Concurrency is zero:
// well under ECR's request rates, and enough that one slow answer does not
// hold the others.
const DefaultConcurrency = 4

// CreateRepositoryEventsName is the layout name of the CloudTrail lookup of
// CreateRepository events (lookup-events-CreateRepository.json): replication
// creating a missing destination repository, and failing to.
const CreateRepositoryEventsName = LookupEventsPrefix + "-CreateRepository"

// ScanCaptureOptions say which registries a whole-registry capture reads
// (`scan`, `snapshot --all`). The embedded CaptureOptions give the
// credentials, the CloudTrail window and the limits; its Repository is
// ignored, its Region is the default of Regions.
type ScanCaptureOptions struct {
	CaptureOptions
	// Regions are the source regions; empty means Region, else the
	// profile's region.
	Regions []string
	// Accounts are the source accounts, each read through AssumeRole
	// (the caller's own account with its own credentials); empty means the
	// caller's account. Organization takes every ACTIVE account of the
	// caller's organization instead.
	Accounts     []string
	Organization bool
	// RepoPrefix keeps only the source repositories whose names start
	// with it: only they are read and checked.
	RepoPrefix string
	// Concurrency bounds the calls in flight per (account, region); zero
	// means DefaultConcurrency.
	Concurrency int
}

// ScanCaptureStats tell what a whole-registry capture did.
type ScanCaptureStats struct {
	// Sources are the source registries, sorted.
	Sources []diagnose.Location
	// Repositories counts the source repositories listed (after
	// RepoPrefix); RepositoryReads the reads made for one repository
	// (get-repository-policy), the only reads whose number grows with
	// the repositories rather than the registries.
	Repositories, RepositoryReads int
	// APICalls counts the requests sent per service, retries included.
	APICalls map[string]int
	// Warnings are reads that failed, worded "{what}: {why}; {what to do}".
	Warnings []string
	// EventsScanned counts the CloudTrail events read.
	EventsScanned int
}

// CaptureScan reads whole source registries and the destinations of their
// replication rules, and writes them into dir as a snapshot folder (the
// layout of Capture) whose snapshot.json lists the sources, for LoadScanDir.
//
// The reads are planned for many repositories at once: per source
// registry, describe-registry, describe-repositories (all pages) and the
// replication backfills; per destination registry, get-registry-policy,
// get-account-setting (only when the registry policy was answered: the
// checks of a policy and of its fix read the scope), the creation
// templates and describe-repositories (all pages); per destination account,
// the registry policy of the other regions involved (a grant put in the
// wrong region). A repository's own policy is read only where a check
// needs it: the repository exists in a cross-account destination whose
// registry policy does not settle its replication (diagnose.RegistryGrant).
// CloudTrail is read once per source account and region involved (the
// source regions and the rules' destination regions), for ReplicateImage
// and CreateRepository, newest first, up to MaxEvents each; the analysis
// splits the events by repository. Image replication statuses and
// describe-images are not read: one call per image and repository would
// make the cost grow with the images.
//
// As Capture, a read that fails is stored or warned about and never fatal;
// an account whose credentials cannot be had is a warning, and its
// registries are then unknown, never healthy. CaptureScan returns an error
// only when nothing can be read: no source credentials, no region, or an
// organization that cannot be listed.
func CaptureScan(ctx context.Context, opts ScanCaptureOptions, dir string) (*ScanCaptureStats, error) {
	co := opts.CaptureOptions
	co.Repository = ""
	c := &capture{
		opts:      co,
		dir:       dir,
		sess:      newSession(co.AWS),
		stats:     &CaptureStats{},
		prog:      newProgress(co.Progress),
		dests:     map[string]*destAccess{},
		silent:    map[diagnose.Location]bool{},
		credFails: map[string]CredentialFailure{},
		runCtx:    ctx,
	}
	if c.opts.Now.IsZero() {
		c.opts.Now = time.Now()
	}
	if c.opts.Since.IsZero() {
		c.opts.Since = c.opts.Now.Add(-DefaultSince)
	}
	if c.opts.MaxEvents <= 0 {
		c.opts.MaxEvents = DefaultMaxEvents
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = DefaultConcurrency
	}
	c.sess.limitRequests(c.requestTimeout())
	s := &scanCapture{capture: c, sopts: opts, regs: map[diagnose.Location]*scanRegistry{}, slots: map[diagnose.Location]chan struct{}{}}
	err := s.run(ctx)
	c.prog.clear()
	stats := &ScanCaptureStats{Sources: s.sources, APICalls: c.sess.counter.snapshot(), EventsScanned: s.eventsScanned}
	s.scanMu.Lock()
	stats.RepositoryReads = s.repoReads
	for _, loc := range s.sources {
		if r := s.regs[loc]; r != nil && r.sourceRead {
			stats.Repositories += len(r.repos)
		}
	}
	s.scanMu.Unlock()
	sort.Strings(c.stats.Warnings)
	stats.Warnings = c.stats.Warnings
	if err == nil {
		err = s.writeManifest()
	}
	return stats, err
}

// scanCapture is one whole-registry capture. The embedded capture gives
// the session, the folder writer and the warnings; its source (src,
// srcAt) is the caller's account in the first region, whose credentials
// assume the roles.
type scanCapture struct {
	*capture
	sopts   ScanCaptureOptions
	regions []string
	caller  string
	sources []diagnose.Location
	// accts are the credentials of every account read, by account: the
	// caller's own, else through its profile or the role.
	accts map[string]*destAccess

	scanMu        sync.Mutex
	regs          map[diagnose.Location]*scanRegistry
	slots         map[diagnose.Location]chan struct{}
	repoReads     int
	eventsScanned int
	// done and total count the registries read, accounts the source
	// accounts, for the progress line.
	done, total, accounts int
}

// scanRegistry is what the capture learnt of one registry.
type scanRegistry struct {
	loc diagnose.Location
	// As a source: its rules (rulesOK when read) and its repositories
	// (after the prefix).
	sourceRead bool
	rulesOK    bool
	rules      []diagnose.ReplicationRule
	repos      []string
	// As a destination: the repositories it has (listed when read in
	// full) and its registry policy (policyRead when AWS answered: the
	// text, or "" for none).
	listed     bool
	exists     map[string]bool
	policyRead bool
	policyText string
}

func (s *scanCapture) reg(loc diagnose.Location) *scanRegistry {
	s.scanMu.Lock()
	defer s.scanMu.Unlock()
	r := s.regs[loc]
	if r == nil {
		r = &scanRegistry{loc: loc}
		s.regs[loc] = r
	}
	return r
}

// slot waits for one of the Concurrency places of loc's calls; the
// returned function gives it back.
func (s *scanCapture) slot(ctx context.Context, loc diagnose.Location) (func(), error) {
	s.scanMu.Lock()
	ch := s.slots[loc]
	if ch == nil {
		ch = make(chan struct{}, s.sopts.Concurrency)
		s.slots[loc] = ch
	}
	s.scanMu.Unlock()
	select {
	case ch <- struct{}{}:
		return func() { <-ch }, nil
	case <-ctx.Done():
		return func() {}, ctx.Err()
	}
}

// call runs one AWS read of loc inside one of its slots.
func (s *scanCapture) call(ctx context.Context, loc diagnose.Location, fn func()) {
	release, err := s.slot(ctx, loc)
	defer release()
	if err != nil {
		return // the read itself reports the context's end
	}
	fn()
}

// group runs readers at once and keeps the first error (a snapshot that
// cannot be written); the others never wait to be heard.
type group struct {
	wg    sync.WaitGroup
	mu    sync.Mutex
	first error
}

func (g *group) Go(fn func() error) {
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		if err := fn(); err != nil {
			g.mu.Lock()
			if g.first == nil {
				g.first = err
			}
			g.mu.Unlock()
		}
	}()
}

func (g *group) Wait() error {
	g.wg.Wait()
	return g.first
}

func (s *scanCapture) progress(what string) {
	s.scanMu.Lock()
	done, total, n := s.done, s.total, s.accounts
	s.scanMu.Unlock()
	calls := 0
	for _, n := range s.sess.counter.snapshot() {
		calls += n
	}
	accounts := ""
	switch {
	case n == 1:
		accounts = "1 account, "
	case n > 1:
		accounts = fmt.Sprintf("%d accounts, ", n)
	}
	s.prog.set("scan", fmt.Sprintf("%s: %s%d of %d registries read, %d calls", what, accounts, done, total, calls))
}

func (s *scanCapture) registryDone(what string) {
	s.scanMu.Lock()
	s.done++
	s.scanMu.Unlock()
	s.progress(what)
}

func (s *scanCapture) run(ctx context.Context) error {
	cfg, err := s.sess.loadConfig(ctx, s.opts.Profile, strings.TrimSpace(profileFlag(s.opts.Profile)), s.opts.Region)
	if err != nil {
		return err
	}
	s.regions = slices.Clone(s.sopts.Regions)
	if len(s.regions) == 0 && cfg.Region != "" {
		s.regions = []string{cfg.Region}
	}
	if len(s.regions) == 0 {
		return errors.New("no AWS region for the source registries: pass --region, set AWS_REGION, or set region in the profile")
	}
	for _, r := range s.regions {
		if !awsid.IsRegion(r) {
			return fmt.Errorf("%q is not an AWS region name", r)
		}
	}
	slices.Sort(s.regions)
	s.regions = slices.Compact(s.regions)
	if cfg.Region == "" {
		// STS and Organizations need a region to sign for (and to find
		// the partition's endpoint): the first source region's.
		cfg.Region = s.regions[0]
	}
	if (len(s.sopts.Accounts) > 0 || s.sopts.Organization) && s.opts.AssumeRole == "" {
		return errors.New("reading other accounts needs --assume-role NAME: the read-only role ecrdoctor assumes in each")
	}
	for _, acct := range slices.Sorted(maps.Keys(s.opts.DestProfiles)) {
		profile := s.opts.DestProfiles[acct]
		if s.sess.profileMissing(ctx, profile) {
			return fmt.Errorf("--dest-profile %s=%s: AWS profile %q does not exist in the shared config or credentials files: check the name (aws configure list-profiles)", acct, profile, profile)
		}
	}
	s.progress("identifying your account")
	caller, err := s.sess.callerAccount(ctx, cfg)
	if err != nil {
		var ce *CredentialsError
		if errors.As(err, &ce) {
			return ce
		}
		return &readError{what: "identifying the account of your credentials", iamAction: "", profile: s.opts.Profile, err: err}
	}
	s.caller = caller
	s.src, s.srcAt = cfg, diagnose.Location{Account: caller, Region: s.regions[0]}
	s.accts = map[string]*destAccess{caller: {cfg: cfg, own: true, how: "your credentials"}}

	accounts := []string{caller}
	switch {
	case s.sopts.Organization:
		s.progress("listing the accounts of the organization")
		active, skipped, err := organizationAccounts(ctx, s.sess.orgClient(cfg, s.requestTimeout()), s.opts.Profile)
		if err != nil {
			return err
		}
		if len(skipped) > 0 {
			s.warnf("organization: %d account(s) not scanned, not ACTIVE: %s", len(skipped), strings.Join(skipped, ", "))
		}
		accounts = active
	case len(s.sopts.Accounts) > 0:
		accounts = slices.Clone(s.sopts.Accounts)
		slices.Sort(accounts)
		accounts = slices.Compact(accounts)
	}
	for _, a := range accounts {
		if !awsid.IsAccountID(a) {
			return fmt.Errorf("%q is not a 12-digit account id", a)
		}
		for _, r := range s.regions {
			s.sources = append(s.sources, diagnose.Location{Account: a, Region: r})
		}
	}
	s.scanMu.Lock()
	s.total, s.accounts = len(s.sources), len(accounts)
	s.scanMu.Unlock()
	s.resolveAccounts(ctx, accounts)

	// Sources first: their rules say which destinations to read.
	var g group
	for _, loc := range s.sources {
		g.Go(func() error { return s.readScanSource(ctx, loc) })
	}
	if err := g.Wait(); err != nil {
		return err
	}
	if err := s.aborted(); err != nil {
		return err
	}
	plan := s.planDestinations()
	var others []string
	for acct := range plan.accounts {
		if s.accts[acct] == nil {
			others = append(others, acct)
		}
	}
	s.resolveAccounts(ctx, others)
	s.scanMu.Lock()
	s.total += len(plan.dests)
	s.scanMu.Unlock()

	// CloudTrail runs beside the destinations: the limiter, not the
	// destinations, sets its pace.
	var trail group
	var lookups []trailLookup
	if !s.opts.NoLookup { // CloudTrail comes from elsewhere (S3, Athena, Lake)
		lookups = s.lookups(plan)
	}
	for _, lk := range lookups {
		trail.Go(func() error { return s.lookupAll(ctx, lk) })
	}
	var dg group
	for _, d := range plan.dests {
		dg.Go(func() error { return s.readScanDestination(ctx, d) })
	}
	for _, loc := range plan.otherRegions {
		dg.Go(func() error { return s.readOtherRegionPolicy(ctx, loc) })
	}
	for _, loc := range plan.optIn {
		dg.Go(func() error { return s.readScanOptIn(ctx, loc) })
	}
	err = dg.Wait()
	if terr := trail.Wait(); err == nil {
		err = terr
	}
	return err
}

// resolveAccounts gets the credentials of accounts not known yet, at once.
// The caller's own account needs none.
func (s *scanCapture) resolveAccounts(ctx context.Context, accounts []string) {
	var wg sync.WaitGroup
	for _, acct := range accounts {
		if s.accts[acct] != nil {
			continue
		}
		da := &destAccess{}
		s.accts[acct] = da
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.resolveDest(ctx, acct, da)
		}()
	}
	wg.Wait()
}

// readScanSource reads one source registry: its rules, its repositories
// and its replication backfills.
func (s *scanCapture) readScanSource(ctx context.Context, loc diagnose.Location) error {
	defer s.registryDone("reading the source registries")
	da := s.accts[loc.Account]
	r := s.reg(loc)
	if da.deny != nil {
		// The refusal to give credentials is why the registry is unknown.
		return s.recordErr(loc, DescribeRegistryFile, "", da.deny)
	}
	if da.cfg.Credentials == nil || !da.own {
		// No usable credentials of that account (already warned): not
		// collected, so the scan says unknown.
		return nil
	}
	client := s.sess.ecrClient(da.cfg, loc.Account, loc.Region)
	var reg *ecr.DescribeRegistryOutput
	var err error
	s.call(ctx, loc, func() { reg, err = client.DescribeRegistry(ctx, &ecr.DescribeRegistryInput{}) })
	if err == nil {
		out := toRegistry(reg)
		if out.RegistryID != loc.Account {
			s.warnf("%s describe-registry: the credentials for account %s read the registry of account %s: not used; check %s", loc, loc.Account, out.RegistryID, da.how)
			return nil
		}
		if rc := out.ReplicationConfiguration; rc != nil {
			r.rules = rc.Rules
		}
		r.rulesOK = true
		if err := s.write(loc, DescribeRegistryFile, out); err != nil {
			return err
		}
	} else if err := s.recordErr(loc, DescribeRegistryFile, "ecr:DescribeRegistry", err); err != nil {
		return err
	}
	repos, ok, err := s.listRepositories(ctx, client, loc, s.sopts.RepoPrefix)
	if err != nil {
		return err
	}
	s.scanMu.Lock()
	r.sourceRead = true
	if ok {
		r.repos = repos
		r.listed = true
		r.exists = map[string]bool{}
		for _, name := range repos {
			r.exists[name] = true
		}
	}
	s.scanMu.Unlock()
	if !r.rulesOK || len(r.rules) == 0 {
		return nil
	}
	var dests []diagnose.Location
	for _, rule := range r.rules {
		for _, d := range rule.Destinations {
			dests = append(dests, diagnose.Location{Account: d.RegistryID, Region: d.Region})
		}
	}
	var berr error
	s.call(ctx, loc, func() { berr = s.readBackfills(ctx, client, loc, dests) })
	return berr
}

// listRepositories reads every page of a registry's repositories and
// writes them as one describe-repositories.json, as the AWS CLI prints
// them; with prefix, only the names starting with it are kept. ok is false
// when the first page could not be read (stored or warned). A later page
// that fails leaves the pages before it, with the NextToken of the one
// missing, so the scan says the rest was not checked.
func (s *scanCapture) listRepositories(ctx context.Context, client ECRAPI, loc diagnose.Location, prefix string) (names []string, ok bool, err error) {
	out := diagnose.DescribeRepositoriesOutput{Repositories: []diagnose.Repository{}}
	in := &ecr.DescribeRepositoriesInput{RegistryId: aws.String(loc.Account), MaxResults: aws.Int32(1000)}
	for page := 1; ; page++ {
		var res *ecr.DescribeRepositoriesOutput
		var cerr error
		s.call(ctx, loc, func() { res, cerr = client.DescribeRepositories(ctx, in) })
		if cerr != nil {
			if page == 1 {
				return nil, false, s.recordErr(loc, DescribeRepositoriesFile, "ecr:DescribeRepositories", cerr)
			}
			if err := s.aborted(); err != nil {
				return nil, false, err
			}
			s.warnf("%s describe-repositories: page %d: %s; the repositories of the pages before it are kept, the others are not checked", loc, page, describe(cerr))
			out.NextToken = aws.ToString(in.NextToken)
			break
		}
		for _, repo := range toRepositories(res).Repositories {
			if strings.HasPrefix(repo.RepositoryName, prefix) {
				out.Repositories = append(out.Repositories, repo)
				names = append(names, repo.RepositoryName)
			}
		}
		if aws.ToString(res.NextToken) == "" {
			break
		}
		in.NextToken = res.NextToken
	}
	return names, out.NextToken == "", s.write(loc, DescribeRepositoriesFile, out)
}

// destinationPlan is what the sources' rules ask to read.
type destinationPlan struct {
	dests []*plannedDest
	// otherRegions are registries of cross-account destination accounts
	// whose registry policy is read only to find a grant put there by
	// mistake (see wrongRegionChecks).
	otherRegions []diagnose.Location
	// accounts are every destination account.
	accounts map[string]bool
	// trailRegions are, per source account, the regions its replication
	// records land in: its source regions and its rules' destination
	// regions.
	trailRegions map[string][]string
	// optIn are the (account, opt-in region) pairs whose opt-in status is
	// read: a destination in such a region, and each source account
	// replicating there (see optInReads).
	optIn []diagnose.Location
	// deletes are the source registries a rule of which replicates the
	// deletions of a scanned repository: their BatchDeleteImage calls are
	// read (see readDeletions).
	deletes []diagnose.Location
}

// plannedDest is one destination registry and the pairs that replicate
// into it.
type plannedDest struct {
	loc diagnose.Location
	// cross is set when a source of another account replicates here: its
	// registry policy decides.
	cross bool
	// pairs are the (source account, repository) replicated here from
	// another account.
	pairs []sourceRepo
}

type sourceRepo struct {
	account, repo string
}

// planDestinations walks the rules of the sources read: every destination
// of a rule that covers a scanned repository, in order.
func (s *scanCapture) planDestinations() destinationPlan {
	plan := destinationPlan{accounts: map[string]bool{}, trailRegions: map[string][]string{}}
	byLoc := map[diagnose.Location]*plannedDest{}
	regions := slices.Clone(s.regions)
	s.scanMu.Lock()
	defer s.scanMu.Unlock()
	for _, src := range s.sources {
		r := s.regs[src]
		if r == nil || !r.rulesOK {
			continue
		}
		plan.trailRegions[src.Account] = appendUniqueString(plan.trailRegions[src.Account], src.Region)
		cfg := &diagnose.ReplicationConfiguration{Rules: r.rules}
		if slices.ContainsFunc(r.repos, func(repo string) bool { return deletesReplicated(cfg, repo) }) {
			plan.deletes = append(plan.deletes, src)
		}
		for _, repo := range r.repos {
			for _, d := range matchingDestinations(cfg, repo) {
				if d == src {
					continue // DESTINATION_IS_SOURCE needs nothing read
				}
				pd := byLoc[d]
				if pd == nil {
					pd = &plannedDest{loc: d}
					byLoc[d] = pd
					plan.dests = append(plan.dests, pd)
				}
				if d.Account != src.Account {
					pd.cross = true
					pd.pairs = append(pd.pairs, sourceRepo{src.Account, repo})
					plan.accounts[d.Account] = true
				}
				plan.trailRegions[src.Account] = appendUniqueString(plan.trailRegions[src.Account], d.Region)
				regions = appendUniqueString(regions, d.Region)
				for _, loc := range optInReads([]diagnose.Location{d}, src.Account) {
					if !slices.Contains(plan.optIn, loc) {
						plan.optIn = append(plan.optIn, loc)
					}
				}
			}
		}
	}
	sort.Slice(plan.dests, func(i, j int) bool { return locBefore(plan.dests[i].loc, plan.dests[j].loc) })
	policyAt := map[diagnose.Location]bool{}
	for _, pd := range plan.dests {
		if pd.cross {
			policyAt[pd.loc] = true
		}
	}
	sort.Strings(regions)
	for _, acct := range slices.Sorted(maps.Keys(plan.accounts)) {
		for _, region := range regions {
			loc := diagnose.Location{Account: acct, Region: region}
			if !policyAt[loc] {
				policyAt[loc] = true
				plan.otherRegions = append(plan.otherRegions, loc)
			}
		}
	}
	return plan
}

func locBefore(a, b diagnose.Location) bool {
	if a.Account != b.Account {
		return a.Account < b.Account
	}
	return a.Region < b.Region
}

func appendUniqueString(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}

// readScanDestination reads one destination registry, then what only some
// of its pairs need: the policy scope where it can change the policy
// checks, the creation templates where replication has a repository to
// create, the pull-through-cache rules and the repositories' own policies
// where the registry policy does not settle replication.
func (s *scanCapture) readScanDestination(ctx context.Context, pd *plannedDest) error {
	defer s.registryDone("reading the destination registries")
	d := pd.loc
	da := s.accts[d.Account]
	r := s.reg(d)
	s.scanMu.Lock()
	listed := r.sourceRead // a scanned source registry: its repositories are read
	s.scanMu.Unlock()
	if da == nil || da.deny != nil || da.cfg.Credentials == nil {
		if da != nil && da.deny != nil && pd.cross {
			for _, name := range []string{GetRegistryPolicyFile, DescribeRepositoriesFile} {
				if name == DescribeRepositoriesFile && listed {
					continue
				}
				if err := s.recordErr(d, name, "", da.deny); err != nil {
					return err
				}
			}
		}
		return nil
	}
	client := s.sess.ecrClient(da.cfg, d.Account, d.Region)
	own := pd.cross && da.own
	if own {
		var out *ecr.GetRegistryPolicyOutput
		var err error
		s.call(ctx, d, func() { out, err = client.GetRegistryPolicy(ctx, &ecr.GetRegistryPolicyInput{}) })
		if err := s.record(d, GetRegistryPolicyFile, "ecr:GetRegistryPolicy", func() any { return toRegistryPolicy(out) }, err); err != nil {
			return err
		}
		answered := err == nil
		if ae, ok := apiError(err); ok && ae.ErrorCode() == "RegistryPolicyNotFoundException" {
			answered = true
		}
		s.scanMu.Lock()
		r.policyRead = answered
		if err == nil {
			r.policyText = aws.ToString(out.PolicyText)
		}
		s.scanMu.Unlock()
		// The scope only changes what the checks of a present policy (and
		// of the fix built on it) find, as in why (diagnose.ScopeMatters);
		// without a readable policy nothing checks one.
		if err == nil && diagnose.ScopeMatters(aws.ToString(out.PolicyText)) && !s.unanswered(d) {
			var set *ecr.GetAccountSettingOutput
			var serr error
			s.call(ctx, d, func() {
				set, serr = client.GetAccountSetting(ctx, &ecr.GetAccountSettingInput{Name: aws.String("REGISTRY_POLICY_SCOPE")})
			})
			if err := s.record(d, GetAccountSettingFile, "ecr:GetAccountSetting", func() any { return toAccountSetting(set) }, serr); err != nil {
				return err
			}
		}
	}
	if !listed && !s.unanswered(d) {
		names, ok, err := s.listRepositories(ctx, client, d, "")
		if err != nil {
			return err
		}
		if ok {
			s.scanMu.Lock()
			r.listed, r.exists = true, map[string]bool{}
			for _, n := range names {
				r.exists[n] = true
			}
			s.scanMu.Unlock()
		}
	}
	if !own || s.unanswered(d) {
		return nil
	}
	s.scanMu.Lock()
	read, text, listedAll, exists := r.policyRead, r.policyText, r.listed, r.exists
	s.scanMu.Unlock()
	missing := !listedAll || slices.ContainsFunc(pd.pairs, func(p sourceRepo) bool { return !exists[p.repo] })
	if missing {
		// Replication creates a missing repository from the templates,
		// and encrypts it with a template's KMS key: its policy is read
		// once per key, not per repository.
		var templates *ecr.DescribeRepositoryCreationTemplatesOutput
		var terr error
		s.call(ctx, d, func() { templates, terr = s.readTemplatesOut(ctx, client, d) })
		if terr != nil {
			return terr
		}
		var keys []string
		for _, p := range pd.pairs {
			if listedAll && exists[p.repo] {
				continue
			}
			if key := templateKey(templates, p.repo); key != "" && !slices.Contains(keys, key) {
				keys = append(keys, key)
			}
		}
		for _, key := range keys {
			if s.unanswered(d) {
				break
			}
			var kerr error
			s.call(ctx, d, func() { kerr = s.readKeyPolicy(ctx, da.cfg, d, key) })
			if kerr != nil {
				return kerr
			}
		}
	}
	if !read {
		return nil // unknown registry policy: the pairs are unknown whatever else says
	}
	unsettled := unsettledPairs(text, d, pd.pairs)
	if len(unsettled) > 0 && !s.unanswered(d) {
		// A pull-through cache from the source often explains a
		// registry that does not let it replicate (FM-20).
		var perr error
		s.call(ctx, d, func() { perr = s.readPullThroughCache(ctx, client, d) })
		if perr != nil {
			return perr
		}
	}
	var want []string
	for _, p := range unsettled {
		if (!listedAll || exists[p.repo]) && !slices.Contains(want, p.repo) {
			want = append(want, p.repo)
		}
	}
	sort.Strings(want)
	return s.readRepositoryPolicies(ctx, client, d, want)
}

// unsettledPairs are the pairs whose replication the registry policy text
// does not settle (diagnose.RegistryGrant): the only ones whose repository
// policy a check reads. An empty text is no policy; one that does not
// parse settles nothing (the loader reports it).
func unsettledPairs(text string, d diagnose.Location, pairs []sourceRepo) []sourceRepo {
	grant, err := diagnose.ParseRegistryGrant(text)
	if err != nil {
		return pairs
	}
	var out []sourceRepo
	for _, p := range pairs {
		if !grant.Settles(p.account, d, p.repo) {
			out = append(out, p)
		}
	}
	return out
}

// readRepositoryPolicies reads the policies of repos in d, at most
// Concurrency at once. One read serves every source replicating that
// repository.
func (s *scanCapture) readRepositoryPolicies(ctx context.Context, client ECRAPI, d diagnose.Location, repos []string) error {
	var g group
	for _, repo := range repos {
		g.Go(func() error {
			if s.unanswered(d) {
				s.warnf("%s %s: not read: an earlier read of %s got no answer", d, RepositoryPolicyName(repo), d)
				return nil
			}
			var out *ecr.GetRepositoryPolicyOutput
			var err error
			s.call(ctx, d, func() {
				out, err = client.GetRepositoryPolicy(ctx, &ecr.GetRepositoryPolicyInput{RepositoryName: aws.String(repo), RegistryId: aws.String(d.Account)})
			})
			s.scanMu.Lock()
			s.repoReads++
			s.scanMu.Unlock()
			return s.record(d, RepositoryPolicyName(repo), "ecr:GetRepositoryPolicy", func() any { return toRepositoryPolicy(out) }, err)
		})
	}
	return g.Wait()
}

// readOtherRegionPolicy reads a destination account's registry policy in a
// region it is no cross-account destination in.
func (s *scanCapture) readOtherRegionPolicy(ctx context.Context, loc diagnose.Location) error {
	da := s.accts[loc.Account]
	if da == nil || !da.own || da.cfg.Credentials == nil {
		return nil
	}
	client := s.sess.ecrClient(da.cfg, loc.Account, loc.Region)
	var out *ecr.GetRegistryPolicyOutput
	var err error
	s.call(ctx, loc, func() { out, err = client.GetRegistryPolicy(ctx, &ecr.GetRegistryPolicyInput{}) })
	return s.record(loc, GetRegistryPolicyFile, "ecr:GetRegistryPolicy", func() any { return toRegistryPolicy(out) }, err)
}

// readScanOptIn reads loc.Account's opt-in status of loc.Region with that
// account's own credentials, as readRegionOptIn does for one repository.
func (s *scanCapture) readScanOptIn(ctx context.Context, loc diagnose.Location) error {
	da := s.accts[loc.Account]
	if da == nil || !da.own || da.cfg.Credentials == nil {
		return nil
	}
	client := s.sess.accountClient(da.cfg)
	var out *account.GetRegionOptStatusOutput
	var err error
	s.call(ctx, loc, func() {
		ctx, cancel := context.WithTimeout(ctx, s.requestTimeout())
		defer cancel()
		out, err = client.GetRegionOptStatus(ctx, &account.GetRegionOptStatusInput{RegionName: aws.String(loc.Region)})
	})
	return s.record(loc, RegionOptStatusFile, "account:GetRegionOptStatus", func() any {
		return diagnose.RegionOptStatusOutput{RegionName: aws.ToString(out.RegionName), RegionOptStatus: string(out.RegionOptStatus)}
	}, err)
}

// trailLookup is one CloudTrail lookup: one event name in one (account,
// region).
type trailLookup struct {
	loc       diagnose.Location
	cfg       aws.Config
	eventName string
	file      string
	// pages caps the pages read without a warning (0: MaxEvents, warned).
	pages int
}

// lookups are the CloudTrail reads of the sources: per source account with
// credentials, each region its records land in, for ReplicateImage and
// CreateRepository.
func (s *scanCapture) lookups(plan destinationPlan) []trailLookup {
	var out []trailLookup
	for _, acct := range slices.Sorted(maps.Keys(plan.trailRegions)) {
		da := s.accts[acct]
		if da == nil || !da.own || da.cfg.Credentials == nil {
			continue
		}
		regions := slices.Sorted(slices.Values(plan.trailRegions[acct]))
		for _, region := range regions {
			loc := diagnose.Location{Account: acct, Region: region}
			out = append(out,
				trailLookup{loc: loc, cfg: da.cfg, eventName: "ReplicateImage", file: LookupEventsPrefix},
				trailLookup{loc: loc, cfg: da.cfg, eventName: "CreateRepository", file: CreateRepositoryEventsName})
		}
	}
	for _, src := range plan.deletes {
		if da := s.accts[src.Account]; da != nil && da.own && da.cfg.Credentials != nil {
			out = append(out, trailLookup{loc: src, cfg: da.cfg, eventName: "BatchDeleteImage", file: DeleteEventsName, pages: deleteLookupPages})
		}
	}
	return out
}

// lookupAll reads the events of one lookup, newest first, within the
// window, up to MaxEvents, and writes them as the AWS CLI prints them. Every
// attempt waits for the (account, region)'s limiter: two a second.
func (s *scanCapture) lookupAll(ctx context.Context, lk trailLookup) error {
	client := s.sess.trailClient(lk.cfg, lk.loc.Account, lk.loc.Region)
	start, end := s.opts.Since, s.opts.Now
	in := &cloudtrail.LookupEventsInput{
		LookupAttributes: []cttypes.LookupAttribute{{AttributeKey: cttypes.LookupAttributeKeyEventName, AttributeValue: aws.String(lk.eventName)}},
		StartTime:        &start,
		EndTime:          &end,
		MaxResults:       aws.Int32(lookupPageSize),
	}
	pages := cloudtrail.NewLookupEventsPaginator(client, in)
	out := cliLookupEvents{Events: []cliEvent{}}
	for page := 1; pages.HasMorePages(); page++ {
		res, err := pages.NextPage(ctx)
		if err != nil {
			if err := s.aborted(); err != nil {
				return err
			}
			if page == 1 {
				return s.recordErr(lk.loc, lk.file, "cloudtrail:LookupEvents", err)
			}
			s.warnf("%s CloudTrail %s: page %d: %s; the events of the pages before it are kept", lk.loc, lk.eventName, page, describe(err))
			break
		}
		for _, e := range res.Events {
			out.Events = append(out.Events, toCLIEvent(e))
		}
		s.progress(fmt.Sprintf("CloudTrail %s %s: %d events", lk.loc, lk.eventName, len(out.Events)))
		if lk.pages > 0 && page >= lk.pages {
			break // the newest are the ones asked about
		}
		if len(out.Events) >= s.opts.MaxEvents && pages.HasMorePages() {
			s.warnf("%s CloudTrail: stopped after %d %s events (--max-events); older events were not read, so older failures are not shown", lk.loc, len(out.Events), lk.eventName)
			break
		}
	}
	s.scanMu.Lock()
	s.eventsScanned += len(out.Events)
	s.scanMu.Unlock()
	return s.write(lk.loc, lk.file, out)
}

// writeManifest writes snapshot.json: the sources, the prefix, the
// warnings and the credentials that failed.
func (s *scanCapture) writeManifest() error {
	m := Manifest{RepoPrefix: s.sopts.RepoPrefix, CapturedAt: s.opts.Now.UTC().Format(time.RFC3339)}
	for _, src := range s.sources {
		m.Sources = append(m.Sources, ManifestLocation{Account: src.Account, Region: src.Region})
	}
	s.capture.mu.Lock()
	m.Warnings = append([]string(nil), s.stats.Warnings...)
	for _, acct := range slices.Sorted(maps.Keys(s.credFails)) {
		m.CredentialFailures = append(m.CredentialFailures, s.credFails[acct])
	}
	s.capture.mu.Unlock()
	return s.writeFile(filepath.Join(s.dir, ManifestFile), m)
}
