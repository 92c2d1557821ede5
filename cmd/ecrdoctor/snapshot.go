package main

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/ecrdoctor/ecrdoctor/diagnose"
	"github.com/ecrdoctor/ecrdoctor/diagnose/collect"
)

func snapshotCommand(s IO) *cli.Command {
	return &cli.Command{
		Name:  "snapshot",
		Usage: "read a repository's replication setup (or, with --all, whole registries') from AWS into a snapshot folder",
		Description: `snapshot reads, with your usual AWS credentials, everything 'why' needs: the source
registry's replication rules, the repository and its newest images' replication status,
each destination's registry and repository policies, and the ReplicateImage events in
CloudTrail. It writes them as the AWS CLI prints them into DIR, which
'ecrdoctor why --snapshot DIR' diagnoses offline: attach it to a ticket and anyone gets
the same report. It only reads: any other AWS operation is refused before it is sent.

Destination accounts are read with --dest-profile ACCOUNT=PROFILE, or by assuming
--assume-role NAME in each. Without either, only what the source credentials can
read across accounts is read (the destination repository, where its repository
policy allows); the registry policy, policy scope and CloudTrail need that
account's own credentials, and are reported as not read.

DIR must be empty or absent; --force replaces an earlier snapshot in DIR, its
snapshot.json and account folders, once the new one is complete, keeping every other
file. A folder that holds files but no snapshot is never written to, even with --force.

With --all instead of --repo, it captures what 'ecrdoctor scan' reads: whole source
registries (your account's, or those of --accounts A,B or of every ACTIVE account of
--organization, through --assume-role in each) in each --region, and the destinations
of their rules; 'ecrdoctor scan --snapshot DIR' scans it offline.

Examples:
  ecrdoctor snapshot --repo my-repo --out ./my-repo-snapshot
  ecrdoctor snapshot --repo my-repo --out ./snap --profile prod --region ap-northeast-1 \
      --assume-role EcrdoctorRead --since 3d
  ecrdoctor snapshot --repo my-repo --out ./snap --dest-profile 222222222222=dest-readonly
  ecrdoctor snapshot --repo my-repo --out ./snap --read-image-manifests   # a pull of the newest image index
  ecrdoctor snapshot --all --organization --assume-role EcrdoctorRead --region us-east-1,eu-west-1 --out ./org-snap
  ecrdoctor snapshot --all --repo-prefix team/ --out ./team-snap`,
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "repo", Usage: "source repository `NAME` (required)"},
			&cli.StringFlag{Name: "out", Usage: "snapshot folder `DIR` to write (required)"},
			&cli.BoolFlag{Name: "force", Usage: "replace the earlier snapshot in DIR (only a snapshot: other folders are refused)"},
			&cli.BoolFlag{Name: "all", Usage: "capture whole registries, what 'scan' reads, instead of one repository"},
			&cli.StringFlag{Name: "repo-prefix", Usage: "with --all: only the repositories whose names start with `PREFIX`"},
			&cli.StringFlag{Name: "accounts", Usage: "with --all: the source registries of these accounts (`A,B`), each read through --assume-role"},
			&cli.BoolFlag{Name: "organization", Usage: "with --all: every ACTIVE account of your organization (organizations:ListAccounts), through --assume-role"},
			&cli.IntFlag{Name: "concurrency", Value: collect.DefaultConcurrency, Usage: "with --all: at most `N` AWS calls at once per account and region"},
			readManifestsFlag(),
		}, replaceFlags(liveFlags(), regionsFlag("source `REGION` (default: AWS_REGION or the profile's region); with --all, repeatable or A,B"),
			&cli.StringFlag{Name: "assume-role", Usage: "role `NAME` to assume in each destination account (arn:aws:iam::ACCOUNT:role/NAME); with --all, in every account read but yours"})...),
		Action: action(func(c *cli.Context) error {
			if c.Bool("all") {
				return snapshotAll(c, s)
			}
			for _, name := range []string{"repo-prefix", "accounts", "organization", "concurrency"} {
				if c.IsSet(name) {
					return usageErrorf("snapshot: --%s is for --all (whole registries); one repository is --repo", name)
				}
			}
			// Checked here rather than by the flag library, which prints the
			// whole help before a one-line error.
			if c.String("repo") == "" {
				return usageErrorf("snapshot: --repo is required (the source repository to capture, e.g. --repo my-repo), or --all for whole registries")
			}
			if err := checkRepoFlag("snapshot", c.String("repo")); err != nil {
				return err
			}
			if c.String("out") == "" {
				return usageErrorf("snapshot: --out is required (the folder to write the snapshot to, e.g. --out ./my-repo-snapshot)")
			}
			live, err := parseLiveOptions(c, s)
			if err != nil {
				return err
			}
			return runSnapshot(c.Context, s, snapshotOptions{Out: c.String("out"), Force: c.Bool("force"), Live: live})
		}),
	}
}

// snapshotOptions are the snapshot command line, parsed. The repository is
// Live.Capture.Repository.
type snapshotOptions struct {
	Out   string
	Force bool
	Live  liveOptions
}

// runSnapshot captures into a staging folder and puts it in place at the
// end (collect.Out), so an interrupted run leaves no half-written snapshot
// and an earlier one whole. It can be called without a command line.
func runSnapshot(ctx context.Context, s IO, o snapshotOptions) error {
	opts := o.Live.Capture
	out, err := openOut(o)
	if err != nil {
		return err
	}
	defer out.Abort()
	start := time.Now()
	stats, err := capture(ctx, s, o.Live, out.Dir())
	if err != nil {
		return err
	}
	printWarnings(s.Err, stats.Warnings)
	// A repository the source does not have is the user's mistake, as in
	// a live why: say so with the nearest names rather than write a
	// snapshot of nothing.
	snap, err := collect.LoadDir(ctx, out.Dir(), collect.LoadOptions{Repository: opts.Repository, Live: true})
	if err != nil {
		return inputErrorf("reading what was captured: %w", err)
	}
	if err := diagnose.CheckRepository(snap); err != nil {
		return usageErrorf("--repo %s: %v", opts.Repository, err)
	}
	if err := out.Commit(); err != nil {
		return inputErrorf("writing %s: %v", o.Out, err)
	}
	var calls []string
	total := 0
	for _, svc := range sortedCallKeys(stats.APICalls) {
		calls = append(calls, fmt.Sprintf("%s %d", svc, stats.APICalls[svc]))
		total += stats.APICalls[svc]
	}
	fmt.Fprintf(s.Out, "Wrote the snapshot of %s (source %s) to %s: %d API calls (%s) in %.1fs, %d CloudTrail events read, %d for the repository.\n",
		opts.Repository, stats.Source, o.Out, total, strings.Join(calls, ", "), time.Since(start).Seconds(), stats.EventsScanned, stats.EventsMatched)
	fmt.Fprintf(s.Out, "Diagnose it with: ecrdoctor why --repo %s --snapshot %s\n", opts.Repository, diagnose.ShellQuote(o.Out))
	return nil
}

func sortedCallKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// snapshotAll is `snapshot --all`: the whole-registry capture of scan,
// kept in --out.
func snapshotAll(c *cli.Context, s IO) error {
	if c.IsSet("repo") {
		return usageErrorf("snapshot: --repo and --all: give one (--all captures every repository; narrow it with --repo-prefix)")
	}
	if c.IsSet("read-image-manifests") {
		return usageErrorf("snapshot: --read-image-manifests is for --repo: --all reads no image manifest")
	}
	if c.String("out") == "" {
		return usageErrorf("snapshot: --out is required (the folder to write the snapshot to, e.g. --out ./org-snapshot)")
	}
	o := scanOptions{RepoPrefix: c.String("repo-prefix"), Regions: sourceRegions(c), Accounts: accountsFlag(c), Organization: c.Bool("organization"), Output: "text"}
	if err := o.validate(); err != nil {
		return usageErrorf("%s", strings.Replace(err.Error(), "scan:", "snapshot:", 1))
	}
	live, err := parseLiveOptions(c, s)
	if err != nil {
		return err
	}
	so := collect.ScanCaptureOptions{Regions: o.Regions, Accounts: o.Accounts, Organization: o.Organization, RepoPrefix: o.RepoPrefix, Concurrency: c.Int("concurrency")}
	if err := checkScanLive(c, "snapshot", so, live); err != nil {
		return err
	}
	return runSnapshotAll(c.Context, s, snapshotOptions{Out: c.String("out"), Force: c.Bool("force"), Live: live}, so)
}

// runSnapshotAll captures whole registries into a staging folder and puts
// it in place once it loads as a scan would load it.
func runSnapshotAll(ctx context.Context, s IO, o snapshotOptions, so collect.ScanCaptureOptions) error {
	out, err := openOut(o)
	if err != nil {
		return err
	}
	defer out.Abort()
	start := time.Now()
	stats, err := captureScan(ctx, s, o.Live, so, out.Dir())
	if err != nil {
		return err
	}
	printWarnings(s.Err, stats.Warnings)
	if _, _, err := collect.LoadScanDir(ctx, out.Dir(), collect.ScanLoadOptions{LoadOptions: collect.LoadOptions{Live: true}}); err != nil {
		return inputErrorf("reading what was captured: %w", err)
	}
	if err := out.Commit(); err != nil {
		return inputErrorf("writing %s: %v", o.Out, err)
	}
	fmt.Fprintf(s.Out, "Wrote the snapshot of %s (%s) to %s: %s in %.1fs, %s read.\n",
		counted(len(stats.Sources), "source registry", "source registries"), counted(stats.Repositories, "repository", "repositories"),
		o.Out, callSummary(stats.APICalls), time.Since(start).Seconds(), counted(stats.EventsScanned, "CloudTrail event", "CloudTrail events"))
	fmt.Fprintf(s.Out, "Scan it with: ecrdoctor scan --snapshot %s\n", diagnose.ShellQuote(o.Out))
	return nil
}

// openOut opens --out for a snapshot, its errors worded for the user.
func openOut(o snapshotOptions) (*collect.Out, error) {
	out, err := collect.OpenOut(o.Out, o.Force)
	switch {
	case errors.Is(err, collect.ErrOutNotEmpty):
		return nil, usageErrorf("--out %s is not empty: choose a new folder, or pass --force to replace the snapshot in it", o.Out)
	case errors.Is(err, collect.ErrOutNotSnapshot):
		return nil, usageErrorf("--out %s: %v; choose a new or empty folder: ecrdoctor replaces only a snapshot it wrote, even with --force", o.Out, err)
	case err != nil:
		return nil, inputErrorf("--out %s: %v", o.Out, err)
	}
	return out, nil
}
