package collect

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"

	"github.com/ecrdoctor/ecrdoctor/diagnose"
	"github.com/ecrdoctor/ecrdoctor/diagnose/awsid"
)

// DefaultSince is how far back CloudTrail is searched when
// CaptureOptions.Since is zero.
const DefaultSince = 7 * 24 * time.Hour

// DefaultMaxEvents caps the CloudTrail events scanned in one (account,
// region) when CaptureOptions.MaxEvents is zero: ten pages.
const DefaultMaxEvents = 500

// newestImages is how many of the repository's newest images get their
// replication status read: the newest push says whether replication works
// now, the one before it whether it ever did.
const newestImages = 2

// CaptureOptions say what to read and with which credentials. Only
// Repository is required.
type CaptureOptions struct {
	// Repository is the source repository to diagnose.
	Repository string
	// Profile and Region choose the source credentials and registry; empty
	// means the SDK's default chain (AWS_PROFILE, AWS_REGION, ...).
	Profile, Region string
	// AWS is where configurations and clients come from; the zero value is
	// the process environment and the SDK.
	AWS AWS
	// DestProfiles maps a destination account ID to the profile to read it with.
	DestProfiles map[string]string
	// AssumeRole is a role name assumed in every destination account without
	// a profile (arn:<partition>:iam::<account>:role/<AssumeRole>), with
	// ExternalID when set.
	AssumeRole, ExternalID string
	// Since starts the CloudTrail window; zero means DefaultSince ago.
	Since time.Time
	// MaxEvents caps the CloudTrail events scanned per (account, region);
	// zero means DefaultMaxEvents.
	MaxEvents int
	// Progress receives a one-line status, rewritten in place; nil for none.
	// Pass a terminal only: the line is cleared before Capture returns.
	Progress io.Writer
	// Now is the capture time; zero means time.Now().
	Now time.Time
	// NoLookup leaves CloudTrail's event history (LookupEvents) unread:
	// the caller reads CloudTrail elsewhere (trail files in S3, Athena,
	// CloudTrail Lake; see LoadOptions.Trail).
	NoLookup bool
	// RequestTimeout limits each AWS call, retries included; zero means
	// DefaultRequestTimeout. The run's limit is the context's deadline:
	// when it passes, Capture keeps what it read and warns of the rest.
	RequestTimeout time.Duration
	// ReadImageManifests reads the manifest of the newest replicated image
	// index (ecr:BatchGetImage) to check its platform images
	// (INDEX_CHILD_NOT_REPLICATED). Off by default: BatchGetImage is a pull,
	// and ECR updates the image's LastRecordedPullTime, which lifecycle
	// rules may read; without it, a warning says the children were not checked.
	ReadImageManifests bool
}

// CaptureStats tell what a capture did.
type CaptureStats struct {
	// Source is the source registry, once known.
	Source diagnose.Location
	// APICalls counts the requests sent per service ("ecr", "cloudtrail",
	// "sts"), retries included.
	APICalls map[string]int
	// Warnings are reads that failed, worded "{what}: {why}; {what to do}".
	Warnings []string
	// EventsScanned and EventsMatched count the CloudTrail events read and
	// those naming the repository, after de-duplication.
	EventsScanned, EventsMatched int
}

// Capture reads the source registry, its replication destinations and the
// ReplicateImage events of the repository from AWS, and writes them into dir
// as a snapshot folder (see layout.go), exactly as the AWS CLI would have
// printed them. Only reads are made: every client carries the read-only guard.
//
// A read that fails is stored as <name>.error.json when AWS answered, or left
// out when it never did, and adds a warning; it is never fatal. Capture
// returns an error only when nothing can be diagnosed: no usable source
// credentials, no region, or a source registry that cannot be identified.
func Capture(ctx context.Context, opts CaptureOptions, dir string) (*CaptureStats, error) {
	if opts.Repository == "" {
		return nil, errors.New("capture: no repository given")
	}
	if !awsid.IsRepositoryName(opts.Repository) {
		return nil, fmt.Errorf("capture: %q is not an ECR repository name", opts.Repository)
	}
	c := &capture{
		opts:  opts,
		dir:   dir,
		sess:  newSession(opts.AWS),
		stats: &CaptureStats{},
		prog:  newProgress(opts.Progress),
		dests: map[string]*destAccess{},
	}
	c.silent = map[diagnose.Location]bool{}
	c.credFails = map[string]CredentialFailure{}
	if c.opts.Now.IsZero() {
		c.opts.Now = time.Now()
	}
	if c.opts.Since.IsZero() {
		c.opts.Since = c.opts.Now.Add(-DefaultSince)
	}
	if c.opts.MaxEvents <= 0 {
		c.opts.MaxEvents = DefaultMaxEvents
	}
	c.sess.limitRequests(c.requestTimeout())
	c.runCtx = ctx
	err := c.run(ctx)
	c.prog.clear()
	c.stats.APICalls = c.sess.counter.snapshot()
	sort.Strings(c.stats.Warnings)
	if err == nil && (len(c.stats.Warnings) > 0 || len(c.notRead) > 0) {
		// The warnings and the reads left out travel with the snapshot, so
		// a diagnosis made offline from it says what the live one said.
		err = c.writeManifest()
	}
	return c.stats, err
}

type capture struct {
	opts   CaptureOptions
	runCtx context.Context
	dir    string
	sess   *session
	prog   *progress
	src    aws.Config
	srcAt  diagnose.Location

	mu    sync.Mutex
	stats *CaptureStats
	dests map[string]*destAccess // by foreign account
	// credFails are the destination accounts whose given credentials failed.
	credFails map[string]CredentialFailure
	// silent are the registries a read of which got no answer.
	silent map[diagnose.Location]bool
	// targets are the repository's replication destinations.
	targets []diagnose.Location
	pairs   []*trailPair
	// srcListed says describe-images listed the source repository's
	// images; immutableAt are the destinations whose repository keeps its
	// tags immutable: the source's describe-repositories is read for them
	// (readSourceTags).
	srcListed   bool
	immutableAt []diagnose.Location
	// notRead are the reads left out because no check could use them.
	notRead []NotRead
}

func (c *capture) unanswered(loc diagnose.Location) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.silent[loc]
}

// leaveOut records, for snapshot.json, a read not made because the reads
// made show that no check could use its answer (why).
func (c *capture) leaveOut(loc diagnose.Location, name, why string) {
	c.mu.Lock()
	c.notRead = append(c.notRead, NotRead{Account: loc.Account, Region: loc.Region, Call: name, Why: why})
	c.mu.Unlock()
}

func (c *capture) warnf(format string, a ...any) {
	c.mu.Lock()
	c.stats.Warnings = append(c.stats.Warnings, fmt.Sprintf(format, a...))
	c.mu.Unlock()
}

func (c *capture) run(ctx context.Context) error {
	cfg, err := c.sess.loadConfig(ctx, c.opts.Profile, strings.TrimSpace(profileFlag(c.opts.Profile)), c.opts.Region)
	if err != nil {
		return err
	}
	if cfg.Region == "" {
		return errors.New("no AWS region for the source registry: pass --region, set AWS_REGION, or set region in the profile")
	}
	// A misspelled --dest-profile is the user's mistake, like a misspelled
	// --profile: say so before reading anything, not as a warning later.
	for _, acct := range slices.Sorted(maps.Keys(c.opts.DestProfiles)) {
		profile := c.opts.DestProfiles[acct]
		if c.sess.profileMissing(ctx, profile) {
			return fmt.Errorf("--dest-profile %s=%s: AWS profile %q does not exist in the shared config or credentials files: check the name (aws configure list-profiles)", acct, profile, profile)
		}
	}
	c.src = cfg
	region := cfg.Region
	c.prog.set("source", "reading the source registry in "+region)

	srcECR := c.sess.aws.ECR(cfg)
	reg, regErr := srcECR.DescribeRegistry(ctx, &ecr.DescribeRegistryInput{})
	account := ""
	switch {
	case regErr == nil:
		account = aws.ToString(reg.RegistryId)
	case ctx.Err() != nil:
		return ctx.Err()
	default:
		var ce *CredentialsError
		if errors.As(regErr, &ce) {
			return ce // one line: the cause and what to pass
		}
		if _, isAPI := apiError(regErr); !isAPI {
			return &readError{what: "reading the source registry in " + region, iamAction: "ecr:DescribeRegistry", profile: c.opts.Profile, err: regErr}
		}
		// AWS answered but refused: learn the account from STS so the
		// rest can still be collected and the refusal stored.
		acct, err := c.sess.callerAccount(ctx, cfg)
		if err != nil {
			return &readError{what: "reading the source registry in " + region, iamAction: "ecr:DescribeRegistry", profile: c.opts.Profile, err: regErr}
		}
		account = acct
	}
	c.srcAt = diagnose.Location{Account: account, Region: region}
	c.stats.Source = c.srcAt
	c.sess.ecrs[account+"/"+region] = srcECR
	if err := c.writeManifest(); err != nil {
		return err
	}
	var rcfg *diagnose.ReplicationConfiguration
	if regErr == nil {
		out := toRegistry(reg)
		rcfg = out.ReplicationConfiguration
		if err := c.write(c.srcAt, DescribeRegistryFile, out); err != nil {
			return err
		}
	} else if err := c.recordErr(c.srcAt, DescribeRegistryFile, "ecr:DescribeRegistry", regErr); err != nil {
		return err
	}

	dests := matchingDestinations(rcfg, c.opts.Repository)
	c.targets = dests
	// The first error of the readers is kept; the others never wait to be
	// heard, however many fail.
	var wg sync.WaitGroup
	var errMu sync.Mutex
	var firstErr error
	goRun := func(fn func() error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := fn(); err != nil {
				errMu.Lock()
				if firstErr == nil {
					firstErr = err
				}
				errMu.Unlock()
			}
		}()
	}
	// With the rules read and none sending the repository anywhere, the
	// checks use no image, status or backfill: there is no destination to
	// judge them for (unread rules leave the destinations to the evidence).
	covered := regErr != nil || len(dests) > 0
	goRun(func() error { return c.readSource(ctx, srcECR, covered) })
	if covered {
		goRun(func() error { return c.readBackfills(ctx, srcECR, c.srcAt, dests) })
	} else {
		c.leaveOut(c.srcAt, ListBackfillsFile, fmt.Sprintf("no replication rule sends %s anywhere, so no backfill is reported for it", c.opts.Repository))
	}
	// Resolve each foreign account's credentials once, before its reads.
	for _, acct := range foreignAccounts(dests, account) {
		c.dests[acct] = &destAccess{}
	}
	for _, acct := range slices.Sorted(maps.Keys(c.opts.DestProfiles)) {
		if c.dests[acct] == nil {
			c.warnf("--dest-profile %s=%s: account %s is not a cross-account destination of any replication rule for %s in %s; the profile is not used",
				acct, c.opts.DestProfiles[acct], acct, c.opts.Repository, c.srcAt)
		}
	}
	var credWG sync.WaitGroup
	for acct, da := range c.dests {
		credWG.Add(1)
		go func() {
			defer credWG.Done()
			c.resolveDest(ctx, acct, da)
		}()
	}
	credWG.Wait()
	for _, d := range dests {
		goRun(func() error { return c.readDestination(ctx, d) })
	}
	for _, loc := range wrongRegionChecks(dests, rcfg, account, region) {
		goRun(func() error { return c.readOtherRegion(ctx, loc) })
	}
	if deletesReplicated(rcfg, c.opts.Repository) {
		goRun(func() error { return c.readDeletions(ctx, srcECR) })
	}
	for _, loc := range optInReads(dests, account) {
		goRun(func() error { return c.readRegionOptIn(ctx, loc) })
	}
	var first, fallback []*trailPair
	if !c.opts.NoLookup {
		first, fallback = c.trailPairs(dests)
	}
	var firstWG sync.WaitGroup
	for _, p := range first {
		firstWG.Add(1)
		goRun(func() error {
			defer firstWG.Done()
			return c.lookup(ctx, p)
		})
	}
	goRun(func() error {
		firstWG.Wait()
		c.lookupFallbacks(ctx, first, fallback, goRun) // wg still counts this reader
		return nil
	})
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	if err := c.readSourceTags(ctx, srcECR); err != nil {
		return err
	}
	return c.writeEvents()
}

// record stores the outcome of one read: its output when err is nil, the
// AWS error when AWS answered, or a warning only when it never did.
func (c *capture) record(loc diagnose.Location, name, iamAction string, out func() any, err error) error {
	if err == nil {
		return c.write(loc, name, out())
	}
	return c.recordErr(loc, name, iamAction, err)
}

// notFound are the AWS answers that are facts, not failures to read.
var notFound = map[string]bool{
	"RegistryPolicyNotFoundException":   true,
	"RepositoryPolicyNotFoundException": true,
	"LifecyclePolicyNotFoundException":  true,
	"RepositoryNotFoundException":       true,
	"ImageNotFoundException":            true,
}

func (c *capture) recordErr(loc diagnose.Location, name, iamAction string, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		why, abort := c.notReadWhy(err)
		if abort || why == "" {
			return err
		}
		c.warnf("%s %s: %s", loc, name, why)
		c.mu.Lock()
		c.silent[loc] = true
		c.mu.Unlock()
		return nil
	}
	ae, ok := apiError(err)
	if !ok {
		c.warnf("%s %s: %s", loc, name, explain(err, iamAction, ""))
		return nil
	}
	if !notFound[ae.ErrorCode()] && iamAction != "" {
		c.warnf("%s %s: %s", loc, name, explain(err, iamAction, ""))
	}
	body := map[string]diagnose.APIError{"Error": {Code: ae.ErrorCode(), Message: ae.ErrorMessage()}}
	return c.writeFile(ErrorFile(c.dir, loc.Account, loc.Region, name), body)
}

func (c *capture) write(loc diagnose.Location, name string, v any) error {
	return c.writeFile(CallFile(c.dir, loc.Account, loc.Region, name), v)
}

// writeFile writes v as the AWS CLI does: indented JSON, one file per call.
func (c *capture) writeFile(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "    ")
	if err != nil {
		return fmt.Errorf("encoding %s: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("writing the snapshot: %w", err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("writing the snapshot: %w", err)
	}
	return nil
}

func (c *capture) writeManifest() error {
	var m Manifest
	m.Source.Account, m.Source.Region = c.srcAt.Account, c.srcAt.Region
	m.Repository = c.opts.Repository
	m.CapturedAt = c.opts.Now.UTC().Format(time.RFC3339)
	c.mu.Lock()
	m.Warnings = append([]string(nil), c.stats.Warnings...)
	for _, acct := range slices.Sorted(maps.Keys(c.credFails)) {
		m.CredentialFailures = append(m.CredentialFailures, c.credFails[acct])
	}
	m.NotRead = slices.Clone(c.notRead)
	slices.SortFunc(m.NotRead, func(a, b NotRead) int {
		return strings.Compare(a.Account+"/"+a.Region+"/"+a.Call, b.Account+"/"+b.Region+"/"+b.Call)
	})
	c.mu.Unlock()
	return c.writeFile(filepath.Join(c.dir, ManifestFile), m)
}

// matchingDestinations are the destinations of the rules whose filters
// cover repo (a rule without filters covers every repository), in rule order,
// without repeats.
func matchingDestinations(rc *diagnose.ReplicationConfiguration, repo string) []diagnose.Location {
	if rc == nil {
		return nil
	}
	var out []diagnose.Location
	seen := map[diagnose.Location]bool{}
	for _, r := range rc.Rules {
		if !covers(r, repo) {
			continue
		}
		for _, d := range r.Destinations {
			loc := diagnose.Location{Account: d.RegistryID, Region: d.Region}
			if !seen[loc] {
				seen[loc] = true
				out = append(out, loc)
			}
		}
	}
	return out
}

// foreignAccounts are the destination accounts other than the source's, sorted.
func foreignAccounts(dests []diagnose.Location, source string) []string {
	seen := map[string]bool{}
	var out []string
	for _, d := range dests {
		if d.Account != source && !seen[d.Account] {
			seen[d.Account] = true
			out = append(out, d.Account)
		}
	}
	sort.Strings(out)
	return out
}

// wrongRegionChecks are the (foreign account, region) pairs whose registry
// policy is read only to find a grant put in the wrong region: the source
// region and every region any rule names, where the account is not itself a
// destination.
func wrongRegionChecks(dests []diagnose.Location, rc *diagnose.ReplicationConfiguration, source, sourceRegion string) []diagnose.Location {
	regions := []string{sourceRegion}
	if rc != nil {
		for _, r := range rc.Rules {
			for _, d := range r.Destinations {
				regions = append(regions, d.Region)
			}
		}
	}
	isDest := map[diagnose.Location]bool{}
	for _, d := range dests {
		isDest[d] = true
	}
	seen := map[diagnose.Location]bool{}
	var out []diagnose.Location
	for _, acct := range foreignAccounts(dests, source) {
		for _, region := range regions {
			loc := diagnose.Location{Account: acct, Region: region}
			if !isDest[loc] && !seen[loc] {
				seen[loc] = true
				out = append(out, loc)
			}
		}
	}
	return out
}

// The converters below turn SDK outputs into what the AWS CLI prints (for
// ECR the CLI's JSON is the API's wire shape).

func toRegistry(o *ecr.DescribeRegistryOutput) diagnose.DescribeRegistryOutput {
	out := diagnose.DescribeRegistryOutput{RegistryID: aws.ToString(o.RegistryId)}
	if rc := o.ReplicationConfiguration; rc != nil {
		cfg := &diagnose.ReplicationConfiguration{Rules: []diagnose.ReplicationRule{}}
		for _, r := range rc.Rules {
			rule := diagnose.ReplicationRule{Destinations: []diagnose.ReplicationDestination{}}
			for _, d := range r.Destinations {
				rule.Destinations = append(rule.Destinations, diagnose.ReplicationDestination{Region: aws.ToString(d.Region), RegistryID: aws.ToString(d.RegistryId)})
			}
			for _, f := range r.RepositoryFilters {
				rule.RepositoryFilters = append(rule.RepositoryFilters, diagnose.RepositoryFilter{Filter: aws.ToString(f.Filter), FilterType: string(f.FilterType)})
			}
			if dr := r.DeleteReplication; dr != nil {
				rule.DeleteReplication = &diagnose.DeleteReplication{Enabled: dr.Enabled}
			}
			cfg.Rules = append(cfg.Rules, rule)
		}
		out.ReplicationConfiguration = cfg
	}
	return out
}

func toRegistryPolicy(o *ecr.GetRegistryPolicyOutput) diagnose.PolicyOutput {
	return diagnose.PolicyOutput{RegistryID: aws.ToString(o.RegistryId), PolicyText: aws.ToString(o.PolicyText)}
}

func toRepositoryPolicy(o *ecr.GetRepositoryPolicyOutput) diagnose.PolicyOutput {
	return diagnose.PolicyOutput{RegistryID: aws.ToString(o.RegistryId), RepositoryName: aws.ToString(o.RepositoryName), PolicyText: aws.ToString(o.PolicyText)}
}

func toRepositories(o *ecr.DescribeRepositoriesOutput) diagnose.DescribeRepositoriesOutput {
	out := diagnose.DescribeRepositoriesOutput{Repositories: []diagnose.Repository{}}
	for _, r := range o.Repositories {
		repo := diagnose.Repository{
			RepositoryArn:      aws.ToString(r.RepositoryArn),
			RegistryID:         aws.ToString(r.RegistryId),
			RepositoryName:     aws.ToString(r.RepositoryName),
			RepositoryURI:      aws.ToString(r.RepositoryUri),
			ImageTagMutability: string(r.ImageTagMutability),
		}
		if r.CreatedAt != nil {
			repo.CreatedAt = &diagnose.CLITime{Time: *r.CreatedAt}
		}
		if s := r.ImageScanningConfiguration; s != nil {
			repo.ImageScanningConfiguration = &diagnose.ImageScanningConfiguration{ScanOnPush: s.ScanOnPush}
		}
		if e := r.EncryptionConfiguration; e != nil {
			repo.EncryptionConfiguration = &diagnose.EncryptionConfiguration{EncryptionType: string(e.EncryptionType), KmsKey: aws.ToString(e.KmsKey)}
		}
		out.Repositories = append(out.Repositories, repo)
	}
	return out
}

func toAccountSetting(o *ecr.GetAccountSettingOutput) diagnose.AccountSettingOutput {
	return diagnose.AccountSettingOutput{Name: aws.ToString(o.Name), Value: aws.ToString(o.Value)}
}

func toReplicationStatus(o *ecr.DescribeImageReplicationStatusOutput) diagnose.ReplicationStatusOutput {
	out := diagnose.ReplicationStatusOutput{RepositoryName: aws.ToString(o.RepositoryName), ReplicationStatuses: []diagnose.ImageReplicationStatus{}}
	if o.ImageId != nil {
		out.ImageID = diagnose.ImageID{ImageDigest: aws.ToString(o.ImageId.ImageDigest), ImageTag: aws.ToString(o.ImageId.ImageTag)}
	}
	for _, s := range o.ReplicationStatuses {
		out.ReplicationStatuses = append(out.ReplicationStatuses, diagnose.ImageReplicationStatus{
			Region: aws.ToString(s.Region), RegistryID: aws.ToString(s.RegistryId), Status: string(s.Status), FailureCode: aws.ToString(s.FailureCode),
		})
	}
	return out
}

func covers(r diagnose.ReplicationRule, repo string) bool {
	_, ok := awsid.Covers(r.RepositoryFilters, repo)
	return ok
}
