package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/ecrdoctor/ecrdoctor/diagnose"
	"github.com/ecrdoctor/ecrdoctor/diagnose/awsid"
	"github.com/ecrdoctor/ecrdoctor/diagnose/collect"
	"github.com/ecrdoctor/ecrdoctor/diagnose/render"
)

// scanOptions are the flags of `ecrdoctor scan`. Without Snapshot the scan
// reads AWS, as Live and Scan say.
type scanOptions struct {
	Snapshot   string
	RepoPrefix string
	Accounts   []string
	Regions    []string
	Events     []string
	Output     string
	Out        string
	// Verbose lists everything the text report shortens.
	Verbose bool
	// EventsSince and EventsUntil bound the CloudTrail records read.
	EventsSince, EventsUntil time.Time
	// Organization scans every ACTIVE account of the caller's organization
	// (live only).
	Organization bool
	// Live are the credentials, window and limits of a live scan; Scan
	// what it reads (its CaptureOptions are Live.Capture).
	Live liveOptions
	Scan collect.ScanCaptureOptions
	// Trail is where CloudTrail comes from instead of LookupEvents and
	// the snapshot's own files (S3, Athena, Lake), as in why.
	Trail trailSource
}

var scanFormats = []string{"text", "json", "markdown", "html"}

// scanLiveOnly are the flags that only a live scan reads.
var scanLiveOnly = []string{"profile", "dest-profile", "assume-role", "external-id", "organization", "concurrency", "max-events", "timeout", "request-timeout"}

func scanCommand(s IO) *cli.Command {
	return &cli.Command{
		Name:  "scan",
		Usage: "check every repository × destination of a registry or an organization: a matrix of verdicts, root causes and one fix per destination",
		UsageText: `ecrdoctor scan [--repo-prefix P] [--accounts A,B | --organization] [--assume-role ROLE] [--region R]...
               [--concurrency N] [--output text|json|markdown|html] [--out FILE] [--verbose]
ecrdoctor scan --snapshot DIR [--repo-prefix P] [--accounts A,B] [--region R]... [--output text|json|markdown|html] [--out FILE] [--verbose]

Examples:
  # Live: every replicated repository of your account's registry in your region
  ecrdoctor scan --profile prod --assume-role EcrdoctorRead

  # Every account of the organization (run with the management account or a delegated
  # administrator), two regions, the team/ repositories only
  ecrdoctor scan --organization --assume-role EcrdoctorRead --region us-east-1,eu-west-1 --repo-prefix team/

  # CloudTrail from the organization trail (an Athena table, a Lake event data store or
  # its S3 bucket) instead of LookupEvents: one query for the whole scan
  ecrdoctor scan --organization --assume-role EcrdoctorRead --athena-table security.cloudtrail_logs_org

  # Two accounts, as JSON for a dashboard
  ecrdoctor scan --accounts 111111111111,222222222222 --assume-role EcrdoctorRead --output json --out scan.json

  # Offline, from a folder 'ecrdoctor snapshot --all' wrote (or the fixture shipped with ecrdoctor)
  ecrdoctor scan --snapshot fixtures/organization
  ecrdoctor scan --snapshot ./snap --accounts 111111111111 --repo-prefix team/ --output json

  # For a ticket or a wiki page, every repository named
  ecrdoctor scan --snapshot ./snap --output markdown --out scan.md

  # Every repository and every healthy row, not cut to a screen
  ecrdoctor scan --snapshot fixtures/organization --verbose

  # A self-contained page to open in a browser: the matrix with filters, root causes and fixes
  ecrdoctor scan --snapshot ./snap --output html --out report.html`,
		Description: `scan runs the checks of 'why' on every repository a replication rule covers,
for every destination of that rule, reading what the registries share once.
It prints a matrix (repositories × destinations), the root causes grouped by code
with the repositories they affect, and one registry-policy fix per destination:
one grant there heals every repository behind it.

Live, it reads your account's registries (or those of --accounts, or of every ACTIVE
account of --organization, through --assume-role ROLE in each) in each --region
(default: the profile's): per registry its rules, repositories and registry policy
once; a repository's own policy only where the registry policy does not settle its
replication; CloudTrail once per source account and region (ReplicateImage and
CreateRepository, within --since and --max-events), at most two requests a second
there, and at most --concurrency calls at once per account and region. Image
replication statuses are not read in a scan (run 'why --repo R' for one repository's).
'ecrdoctor snapshot --all' captures the same reads into a folder for --snapshot.

Exit status: 0 no pair failing (every pair healthy, or some unknown: scripts read
the verdict), 1 a pair is failing, 2 usage error (a --repo-prefix no repository
starts with is one), 3 nothing readable. A pair that could not be judged is
"unknown", never healthy; an account whose role could not be assumed is a warning
and its pairs are not healthy.`,
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "snapshot", Usage: "read a snapshot folder `DIR` (from 'ecrdoctor snapshot --all', or a why snapshot) instead of AWS"},
			&cli.StringFlag{Name: "repo-prefix", Usage: "only repositories whose names start with `PREFIX`"},
			&cli.StringFlag{Name: "accounts", Usage: "the source registries of these accounts (`A,B`): live, each read through --assume-role; with --snapshot, only those"},
			&cli.BoolFlag{Name: "organization", Usage: "live: every ACTIVE account of your organization (organizations:ListAccounts), through --assume-role"},
			&cli.IntFlag{Name: "concurrency", Value: collect.DefaultConcurrency, Usage: "live: at most `N` AWS calls at once per account and region"},
			&cli.StringSliceFlag{Name: "events", Usage: "CloudTrail `PATH` (LookupEvents output, trail log files or folders) read with the snapshot's own; repeatable"},
			&cli.StringFlag{Name: "until", Usage: "only CloudTrail events before `TIME`; default: the snapshot's capture time"},
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Value: "text", Usage: "output `FORMAT`: " + strings.Join(scanFormats, ", ")},
			&cli.StringFlag{Name: "out", Usage: "write the report to `FILE` instead of stdout"},
			&cli.BoolFlag{Name: "verbose", Usage: "list every repository, every healthy row of the matrix and the evidence of each root cause (by default the text fits a screen)"},
		}, append(replaceFlags(liveFlags(),
			regionsFlag("source `REGION`, repeatable or A,B (default: AWS_REGION or the profile's region); with --snapshot, only the source registries there"),
			&cli.StringFlag{Name: "since", Usage: "CloudTrail events from `TIME` (RFC 3339, date, or 7d/36h ago); live default: 7d"},
			&cli.StringFlag{Name: "assume-role", Usage: "role `NAME` to assume in every account read but yours: the sources of --accounts or --organization, and the destinations (arn:aws:iam::ACCOUNT:role/NAME)"},
			&cli.IntFlag{Name: "max-events", Value: collect.DefaultMaxEvents, Usage: "read at most `N` CloudTrail events per account, region and event name"},
		), trailSourceFlags(false)...)...),
		Action: action(func(c *cli.Context) error {
			opts := scanOptions{
				Snapshot:     c.String("snapshot"),
				RepoPrefix:   c.String("repo-prefix"),
				Regions:      sourceRegions(c),
				Events:       c.StringSlice("events"),
				Output:       c.String("output"),
				Out:          c.String("out"),
				Verbose:      c.Bool("verbose"),
				Organization: c.Bool("organization"),
				Accounts:     accountsFlag(c),
			}
			var err error
			if opts.Trail, opts.Events, err = parseTrailSource(c, "scan", "--events", c.StringSlice("events")); err != nil {
				return err
			}
			opts.Trail.AWS = s.AWS
			if opts.Trail.remote() {
				if opts.Trail.Profile == "" {
					opts.Trail.Profile = c.String("profile")
				}
				if opts.Trail.AWSRegion == "" && len(opts.Regions) > 0 {
					opts.Trail.AWSRegion = opts.Regions[0]
				}
				if c.IsSet("max-events") {
					return usageErrorf("scan: --max-events caps LookupEvents, which %s replaces: it has no effect", opts.Trail.flag())
				}
			}
			now := time.Now()
			for _, b := range []struct {
				flag string
				dst  *time.Time
				end  bool
			}{{"since", &opts.EventsSince, false}, {"until", &opts.EventsUntil, true}} {
				if !c.IsSet(b.flag) {
					continue
				}
				t, err := awsid.ParseTime(c.String(b.flag), now, b.end)
				if err != nil {
					return usageErrorf("scan: --%s: %v", b.flag, err)
				}
				*b.dst = t
			}
			if err := opts.validate(); err != nil {
				return err
			}
			if opts.Snapshot != "" {
				for _, name := range scanLiveOnly {
					if opts.Trail.remote() && (name == "profile" || name == "timeout") {
						continue // they are the engine's
					}
					if c.IsSet(name) {
						return usageErrorf("scan: --%s reads AWS; it has no effect with --snapshot", name)
					}
				}
				return runScan(c.Context, s, opts)
			}
			live, err := parseLiveOptions(c, s)
			if err != nil {
				return err
			}
			opts.Live = live
			opts.Live.Capture.NoLookup = opts.Trail.remote()
			opts.Scan = collect.ScanCaptureOptions{Regions: opts.Regions, Accounts: opts.Accounts, Organization: opts.Organization,
				RepoPrefix: opts.RepoPrefix, Concurrency: c.Int("concurrency")}
			if err := checkScanLive(c, "scan", opts.Scan, live); err != nil {
				return err
			}
			return runScan(c.Context, s, opts)
		}),
	}
}

// accountsFlag reads --accounts A,B.
func accountsFlag(c *cli.Context) []string {
	var out []string
	if c.IsSet("accounts") {
		for _, acct := range strings.Split(c.String("accounts"), ",") {
			out = append(out, strings.TrimSpace(acct))
		}
	}
	return out
}

// checkScanLive checks the flags of a live whole-registry read (scan,
// snapshot --all).
func checkScanLive(c *cli.Context, cmd string, so collect.ScanCaptureOptions, live liveOptions) error {
	switch {
	case so.Organization && len(so.Accounts) > 0:
		return usageErrorf("%s: --accounts and --organization both choose the accounts: give one", cmd)
	case (so.Organization || len(so.Accounts) > 0) && live.Capture.AssumeRole == "":
		flag := "--accounts"
		if so.Organization {
			flag = "--organization"
		}
		return usageErrorf("%s: %s reads other accounts through a role: pass --assume-role NAME (a read-only role in each, e.g. EcrdoctorRead)", cmd, flag)
	case c.Int("concurrency") <= 0:
		return usageErrorf("%s: --concurrency must be positive", cmd)
	}
	return nil
}

func (o scanOptions) validate() error {
	if o.RepoPrefix != "" && !awsid.IsRepositoryFilter(o.RepoPrefix) {
		return usageErrorf("scan: --repo-prefix %q: not a repository name prefix (lowercase letters, digits, and . _ - / between them)", o.RepoPrefix)
	}
	for _, a := range o.Accounts {
		if !awsid.IsAccountID(a) {
			return usageErrorf("scan: --accounts: %q is not a 12-digit account id", a)
		}
	}
	for _, r := range o.Regions {
		if !awsid.IsRegion(r) {
			return usageErrorf("scan: --region %q: not an AWS region name", r)
		}
	}
	if !containsString(scanFormats, o.Output) {
		return usageErrorf("scan: --output %q: must be one of %s", o.Output, strings.Join(scanFormats, ", "))
	}
	if !o.EventsSince.IsZero() && !o.EventsUntil.IsZero() && !o.EventsSince.Before(o.EventsUntil) {
		return usageErrorf("scan: --since %s must be before --until %s (exclusive)", o.EventsSince.Format(time.RFC3339), o.EventsUntil.Format(time.RFC3339))
	}
	return nil
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// runScan scans a snapshot folder, or AWS read live into a temporary one
// (the same folder 'snapshot --all' writes): one pipeline, as for why. It
// can be called without a command line.
func runScan(ctx context.Context, s IO, o scanOptions) error {
	if ctx == nil {
		ctx = context.Background()
	}
	if err := htmlToTerminal(s, o); err != nil {
		return err
	}
	if o.Snapshot != "" {
		if fi, err := os.Stat(o.Snapshot); err != nil {
			return inputErrorf("--snapshot %s: %v", o.Snapshot, errors.Unwrap(err))
		} else if !fi.IsDir() {
			return inputErrorf("--snapshot %s: not a folder", o.Snapshot)
		}
	}
	if err := checkEventPaths(o.Events); err != nil {
		return err
	}
	load := collect.ScanLoadOptions{
		LoadOptions: collect.LoadOptions{Events: o.Events, Stdin: s.In, EventsSince: o.EventsSince, EventsUntil: o.EventsUntil},
		Accounts:    o.Accounts,
		Regions:     o.Regions,
		RepoPrefix:  o.RepoPrefix,
	}
	engineErr := o.Trail.forLoad(s, &load.LoadOptions)
	dir := o.Snapshot
	var stats *collect.ScanCaptureStats
	if o.Snapshot != "" && o.Trail.remote() {
		fmt.Fprintf(s.Err, "ecrdoctor: note: CloudTrail comes from %s only: the snapshot's own lookup-events and trail files are not read\n", o.Trail.name())
	}
	if o.Snapshot == "" {
		if o.Trail.remote() && o.Live.Timeout > 0 {
			// One --timeout for all of AWS: the capture, then the query.
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeoutCause(ctx, o.Live.Timeout, fmt.Errorf("--timeout %s passed", o.Live.Timeout))
			defer cancel()
		}
		tmp, err := os.MkdirTemp("", "ecrdoctor-scan-")
		if err != nil {
			return inputErrorf("creating a temporary folder: %w", err)
		}
		defer os.RemoveAll(tmp)
		start := time.Now()
		if stats, err = captureScan(ctx, s, o.Live, o.Scan, tmp); err != nil {
			return err
		}
		fmt.Fprintf(s.Err, "ecrdoctor: read %s (%s listed) in %.1fs: %s\n", counted(len(stats.Sources), "source registry", "source registries"), counted(stats.Repositories, "repository", "repositories"),
			time.Since(start).Seconds(), callSummary(stats.APICalls))
		// The folder holds what was asked, no more: nothing to narrow.
		dir, load.Live, load.Accounts, load.Regions = tmp, true, nil, nil
	}
	snap, scope, err := collect.LoadScanDir(ctx, dir, load)
	if err := engineErr("scan", err); err != nil {
		return err
	}
	switch {
	case err != nil && load.Live:
		return inputErrorf("reading what was captured: %w", err)
	case errors.Is(err, collect.ErrSourceUnknown):
		return usageErrorf("reading snapshot: %v", err) // settled by a flag
	case err != nil:
		return inputErrorf("reading snapshot: %w", err)
	}
	if stats != nil {
		snap.APICalls = stats.APICalls // the capture's warnings are in its snapshot.json
	}
	report, err := diagnose.Scan(snap, scope)
	if err != nil {
		return inputErrorf("scanning: %w", err)
	}
	if err := prefixMatchedNothing(report, o.RepoPrefix); err != nil {
		return err
	}
	return writeScanReport(s, report, o)
}

// prefixMatchedNothing is a usage error when --repo-prefix selects no
// repository of any source that could be read: most likely a typo, and a
// scan that checked nothing must not say HEALTHY and exit 0. A source that
// could not be read may hold such repositories: its report says unknown.
func prefixMatchedNothing(report *diagnose.ScanReport, prefix string) error {
	if prefix == "" || len(report.Sources) == 0 {
		return nil
	}
	var names []string
	for _, src := range report.Sources {
		if !src.Readable || src.Repositories > 0 {
			return nil
		}
		names = append(names, src.String())
	}
	return usageErrorf("scan: --repo-prefix %q: no repository of %s starts with it, so nothing was checked", prefix, strings.Join(names, ", "))
}

// counted is "1 repository", "2 repositories".
func counted(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// callSummary words API call counts: "43 API calls (cloudtrail 6, ecr 35, sts 2)".
func callSummary(calls map[string]int) string {
	var parts []string
	total := 0
	for _, svc := range sortedCallKeys(calls) {
		parts = append(parts, fmt.Sprintf("%s %d", svc, calls[svc]))
		total += calls[svc]
	}
	return fmt.Sprintf("%s (%s)", plural(total, "API call"), strings.Join(parts, ", "))
}

// writeScanReport renders the report in full, writes it to --out or stdout,
// and maps the verdict to the exit code.
func writeScanReport(s IO, report *diagnose.ScanReport, o scanOptions) error {
	var b bytes.Buffer
	var err error
	switch o.Output {
	case "json":
		err = render.ScanJSON(&b, report)
	case "markdown":
		err = render.ScanMarkdown(&b, report)
	case "html":
		err = render.ScanHTML(&b, report)
	default:
		err = render.ScanText(&b, report, render.TextOptions{Terminal: s.OutTerminal && o.Out == "", ColorFrom: s.Out, Width: s.Width, Verbose: o.Verbose})
	}
	if err != nil {
		return inputErrorf("rendering the scan report: %w", err)
	}
	if o.Out != "" {
		if err := os.WriteFile(o.Out, b.Bytes(), 0o644); err != nil {
			return inputErrorf("--out %s: %v", o.Out, errors.Unwrap(err))
		}
	} else if _, err := s.Out.Write(b.Bytes()); err != nil {
		return inputErrorf("writing the scan report: %w", err)
	}
	if err := nothingRead(report); err != nil {
		return err
	}
	if report.Verdict == diagnose.Failing {
		return findingsExit()
	}
	return nil
}

// nothingRead is exit 3 when no source registry could be read at all: the
// report says why, and nothing was checked. One readable source is a
// partial read: its warnings say what is missing, and exit follows the
// verdict.
func nothingRead(report *diagnose.ScanReport) error {
	var why []string
	for _, src := range report.Sources {
		if src.Readable {
			return nil
		}
		why = append(why, src.String()+": "+src.Note)
	}
	return inputErrorf("scan: no source registry could be read, so nothing was checked (%s)", strings.Join(why, "; "))
}
