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

// whyOptions are the flags of `ecrdoctor why`. Without Snapshot the
// diagnosis reads AWS, as Live says.
type whyOptions struct {
	Repo          string
	Snapshot      string
	Events        []string
	SourceAccount string
	Region        string
	Output        string
	// Verbose shows every finding in full (text output).
	Verbose bool
	Live    liveOptions
	// Trail is where CloudTrail is read from instead of LookupEvents (live)
	// or the snapshot's own files: S3, Athena or Lake; zero for neither.
	Trail trailSource
	// EventsSince and EventsUntil bound the CloudTrail records read
	// (--since, --until); zero means unbounded.
	EventsSince, EventsUntil time.Time
}

func whyCommand(s IO) *cli.Command {
	return &cli.Command{
		Name:  "why",
		Usage: "explain why a repository's images are not replicating, with evidence and a verified fix",
		UsageText: `ecrdoctor why --repo NAME [--snapshot DIR | live flags] [--events PATH]... [--output text|json|markdown]
ecrdoctor why --repo NAME [--snapshot DIR] --athena-table DB.TABLE | --lake EDS | --events s3://BUCKET[/PREFIX]

Examples:
  # Live, with your usual AWS profile; destination accounts through a role
  ecrdoctor why --repo my-repo --profile prod --assume-role EcrdoctorRead

  # Also check that each platform image of the newest multi-platform image replicated:
  # reads its index manifest (ecr:BatchGetImage), which ECR counts as a pull
  ecrdoctor why --repo my-repo --profile prod --read-image-manifests

  # Offline, on a snapshot folder (the seed case shipped with ecrdoctor)
  ecrdoctor why --repo my-repo --snapshot fixtures/seed-grant-in-repository-policy

  # Add CloudTrail log files synced from S3
  ecrdoctor why --repo my-repo --snapshot ./snap --events ./AWSLogs

  # Live, CloudTrail from the organization trail instead of LookupEvents: an Athena
  # table (made by 'ecrdoctor athena-ddl'), a CloudTrail Lake event data store, or
  # the trail's bucket; the trail's account has its own profile
  ecrdoctor why --repo my-repo --profile prod --since 30d \
      --athena-table security.cloudtrail_logs_org --workgroup primary \
      --trail-profile log-archive --aws-region us-east-1
  ecrdoctor why --repo my-repo --profile prod --since 90d \
      --lake arn:aws:cloudtrail:us-east-1:111111111111:eventdatastore/EXAMPLE
  ecrdoctor why --repo my-repo --profile prod --since 3d --events s3://org-trail-logs/AWSLogs/o-exampleorgid/

  # A snapshot's policies with the organization's CloudTrail (it replaces the snapshot's own)
  ecrdoctor why --repo my-repo --snapshot ./snap --athena-table security.cloudtrail_logs_org

  # For a ticket bot
  ecrdoctor why --repo my-repo --snapshot ./snap --output json`,
		Description: `why reads the source registry's replication rules, the CloudTrail records of
failed ReplicateImage calls and the destination's registry policy, repository policy
and repositories; evaluates the policies the way IAM does; and prints the root cause,
its evidence and the fix: the destination registry policy with the grant merged in,
checked by the evaluator, with the aws command and the Terraform resource to apply it.

CloudTrail comes from LookupEvents (live: each account and region, 2 requests a
second, 90 days) or the snapshot's files, plus --events PATH. At organization scale,
--athena-table, --lake or --events s3://BUCKET[/PREFIX] (one of them) read it from
the organization trail instead: one query (or the bucket's day folders) for exactly
the source account and region, the destinations of the rules covering --repo, that
repository and the window --since (default 7d; with --snapshot, 7 days before the
capture) to --until (default: the capture time). Live, LookupEvents is then not
called; with --snapshot, the snapshot's own CloudTrail files are not read. The
engine runs with --trail-profile (default --profile) in --aws-region (default
--region), within --timeout; stderr says what the query scanned and cost, and the
evidence names the query (athena:QUERY-ID#ROW, lake:QUERY-ID#ROW, s3://BUCKET/KEY#N).
A query that fails is exit 3: the diagnosis is not made without the CloudTrail asked.

Exit status: 0 no finding of severity error (the verdict is healthy, or unknown
when something could not be read: read the verdict), 1 a problem was found,
2 usage error, 3 could not run (unreadable snapshot, bad input).`,
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "repo", Usage: "the source repository `NAME` to diagnose (exact name, e.g. team/app)"},
			&cli.StringFlag{Name: "snapshot", Usage: "read a snapshot folder `DIR` instead of AWS"},
			&cli.StringSliceFlag{Name: "events", Usage: "CloudTrail `PATH` (LookupEvents output, trail log files or folders, - for stdin); repeatable"},
			&cli.StringFlag{Name: "source-account", Usage: "source account `ID` (for a snapshot without snapshot.json)"},
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Value: "text", Usage: "output `FORMAT`: text, json or markdown"},
			&cli.BoolFlag{Name: "verbose", Usage: "show every finding in full, all its evidence, and the fix's policy in each form (by default the report fits a screen)"},
			&cli.StringFlag{Name: "until", Usage: "only CloudTrail events before `TIME` (RFC 3339, date, or 7d/36h ago); default: the snapshot's capture time"},
		}, append(append(liveFlags(), readManifestsFlag()), trailSourceFlags(false)...)...),
		Action: action(func(c *cli.Context) error {
			opts := whyOptions{
				Repo:          c.String("repo"),
				Snapshot:      c.String("snapshot"),
				SourceAccount: c.String("source-account"),
				Region:        c.String("region"),
				Output:        c.String("output"),
				Verbose:       c.Bool("verbose"),
			}
			if err := opts.validate(); err != nil {
				return err
			}
			var err error
			if opts.Trail, opts.Events, err = parseTrailSource(c, "why", "--events", c.StringSlice("events")); err != nil {
				return err
			}
			opts.Trail.AWS = s.AWS
			if opts.Trail.remote() {
				if opts.Trail.Profile == "" {
					opts.Trail.Profile = c.String("profile")
				}
				if opts.Trail.AWSRegion == "" {
					opts.Trail.AWSRegion = opts.Region
				}
				if c.IsSet("max-events") {
					return usageErrorf("why: --max-events caps LookupEvents, which %s replaces: it has no effect", opts.Trail.flag())
				}
			}
			if err := opts.parseWindow(c, time.Now()); err != nil {
				return err
			}
			if opts.Snapshot != "" {
				for _, name := range []string{"profile", "dest-profile", "assume-role", "external-id", "max-events", "timeout", "request-timeout", "read-image-manifests"} {
					if opts.Trail.remote() && (name == "profile" || name == "timeout") {
						continue // they are the engine's
					}
					if c.IsSet(name) {
						return usageErrorf("why: --%s reads AWS; it has no effect with --snapshot", name)
					}
				}
				return runWhy(c.Context, s, opts)
			}
			live, err := parseLiveOptions(c, s)
			if err != nil {
				return err
			}
			opts.Live = live
			return runWhy(c.Context, s, opts)
		}),
	}
}

// parseWindow reads --since and --until as events does: they bound the
// CloudTrail records read (the snapshot's trail files and --events), whose
// folders are pruned to them. Live, --since also bounds the lookup.
func (o *whyOptions) parseWindow(c *cli.Context, now time.Time) error {
	for _, b := range []struct {
		flag string
		dst  *time.Time
		end  bool
	}{{"since", &o.EventsSince, false}, {"until", &o.EventsUntil, true}} {
		if !c.IsSet(b.flag) && (b.flag != "since" || o.Snapshot != "") {
			continue // live, --since has a default: the lookup's window
		}
		t, err := awsid.ParseTime(c.String(b.flag), now, b.end)
		if err != nil {
			return usageErrorf("--%s: %v", b.flag, err)
		}
		*b.dst = t
	}
	if !o.EventsSince.IsZero() && !o.EventsUntil.IsZero() && !o.EventsSince.Before(o.EventsUntil) {
		return usageErrorf("why: --since %s must be before --until %s (exclusive)", o.EventsSince.Format(time.RFC3339), o.EventsUntil.Format(time.RFC3339))
	}
	return nil
}

func (o whyOptions) validate() error {
	if strings.TrimSpace(o.Repo) == "" {
		return usageErrorf("why: --repo is required (the source repository to diagnose, e.g. --repo my-repo)")
	}
	if err := checkRepoFlag("why", o.Repo); err != nil {
		return err
	}
	switch o.Output {
	case "text", "json", "markdown", "md":
	default:
		return usageErrorf("why: --output %q: must be text, json or markdown", o.Output)
	}
	if o.SourceAccount != "" && !awsid.IsAccountID(o.SourceAccount) {
		return usageErrorf("why: --source-account %q: must be a 12-digit account id", o.SourceAccount)
	}
	if o.Snapshot == "" && o.SourceAccount != "" {
		return usageErrorf("why: --source-account applies to --snapshot; live, the source account is the one your credentials belong to")
	}
	return nil
}

// checkEventPaths names the --events path that cannot be read before
// anything else is done.
func checkEventPaths(paths []string) error {
	stdin := 0
	for _, p := range paths {
		if p == "-" {
			if stdin++; stdin > 1 {
				return usageErrorf(`why: --events - (stdin) is given more than once`)
			}
			continue
		}
		if _, err := os.Stat(p); err != nil {
			return inputErrorf("--events %s: %v", p, errors.Unwrap(err))
		}
	}
	return nil
}

// runWhy diagnoses a snapshot folder, or AWS read live into a temporary
// one: one pipeline, so a live answer and the answer from its snapshot are
// the same. It can be called without a command line.
func runWhy(ctx context.Context, s IO, o whyOptions) error {
	if ctx == nil {
		ctx = context.Background()
	}
	if o.Snapshot != "" {
		if fi, err := os.Stat(o.Snapshot); err != nil {
			return inputErrorf("--snapshot %s: %v", o.Snapshot, errors.Unwrap(err))
		} else if !fi.IsDir() {
			return inputErrorf("--snapshot %s: not a folder", o.Snapshot)
		}
	}
	// Before the capture: a mistyped path should not cost the AWS calls.
	if err := checkEventPaths(o.Events); err != nil {
		return err
	}
	dir := o.Snapshot
	load := collect.LoadOptions{Repository: o.Repo, Events: o.Events, Stdin: s.In, EventsSince: o.EventsSince, EventsUntil: o.EventsUntil}
	engineErr := o.Trail.forLoad(s, &load)
	var stats *collect.CaptureStats
	if o.Snapshot == "" {
		if o.Trail.remote() && o.Live.Timeout > 0 {
			// One --timeout for all of AWS: the capture, then the query.
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeoutCause(ctx, o.Live.Timeout, fmt.Errorf("--timeout %s passed", o.Live.Timeout))
			defer cancel()
		}
		tmp, err := os.MkdirTemp("", "ecrdoctor-why-")
		if err != nil {
			return inputErrorf("creating a temporary folder: %w", err)
		}
		defer os.RemoveAll(tmp)
		live := o.Live
		live.Capture.Repository = o.Repo
		live.Capture.NoLookup = o.Trail.remote()
		if stats, err = capture(ctx, s, live, tmp); err != nil {
			return err
		}
		dir, load.Live = tmp, true
	} else {
		load.SourceAccount, load.SourceRegion = o.SourceAccount, o.Region
		if o.Trail.remote() {
			fmt.Fprintf(s.Err, "ecrdoctor: note: CloudTrail comes from %s only: the snapshot's own lookup-events and trail files are not read\n", o.Trail.name())
		}
	}
	snap, err := collect.LoadDir(ctx, dir, load)
	if err := engineErr("why", err); err != nil {
		return err
	}
	switch {
	case err != nil && load.Live:
		return inputErrorf("reading what was captured: %w", err)
	case errors.Is(err, collect.ErrSourceUnknown) || errors.Is(err, collect.ErrRepositoryMismatch):
		// Settled by a flag: a usage error.
		return usageErrorf("reading snapshot: %v", err)
	case err != nil:
		return inputErrorf("reading snapshot: %w", err)
	}
	if stats != nil {
		snap.APICalls = stats.APICalls // the capture's warnings are in its snapshot.json
	}
	if err := diagnose.CheckRepository(snap); err != nil {
		return usageErrorf("--repo %s: %v", o.Repo, err)
	}
	report, err := diagnose.Analyze(snap)
	if err != nil {
		return inputErrorf("diagnosing: %w", err)
	}
	return writeReport(s, report, o.Output, o.Verbose)
}

// writeReport renders the report in full before writing it, so nothing is
// half-printed, and maps it to the exit code.
func writeReport(s IO, report *diagnose.Report, format string, verbose bool) error {
	var b bytes.Buffer
	var err error
	switch format {
	case "json":
		err = render.JSON(&b, report)
	case "markdown", "md":
		err = render.Markdown(&b, report)
	default:
		err = render.Text(&b, report, render.TextOptions{Terminal: s.OutTerminal, ColorFrom: s.Out, Width: s.Width, Verbose: verbose})
	}
	if err != nil {
		return inputErrorf("rendering the report: %w", err)
	}
	if _, err := s.Out.Write(b.Bytes()); err != nil {
		return inputErrorf("writing the report: %w", err)
	}
	if report.HasErrors() {
		return findingsExit()
	}
	return nil
}
