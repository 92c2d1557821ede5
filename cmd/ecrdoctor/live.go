package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/ecrdoctor/ecrdoctor/diagnose/awsid"
	"github.com/ecrdoctor/ecrdoctor/diagnose/collect"
)

// liveFlags are the flags of every command that reads AWS (why, snapshot).
func liveFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "profile", Usage: "AWS `PROFILE` for the source account (default: the SDK chain: AWS_PROFILE, environment, SSO, credential_process)"},
		&cli.StringFlag{Name: "region", Usage: "source `REGION` (default: AWS_REGION or the profile's region)"},
		&cli.StringSliceFlag{Name: "dest-profile", Usage: "read destination account `ACCOUNT=PROFILE` with that profile (repeatable)"},
		&cli.StringFlag{Name: "assume-role", Usage: "role `NAME` to assume in each destination account (arn:aws:iam::ACCOUNT:role/NAME)"},
		&cli.StringFlag{Name: "external-id", Usage: "external `ID` for --assume-role"},
		&cli.StringFlag{Name: "since", Value: "7d", Usage: "search CloudTrail from this long ago (7d, 36h) or this RFC 3339 `TIME`"},
		&cli.IntFlag{Name: "max-events", Value: collect.DefaultMaxEvents, Usage: "read at most `N` CloudTrail events per account and region"},
		&cli.DurationFlag{Name: "timeout", Value: 5 * time.Minute, Usage: "stop reading AWS after this `DURATION` and report what was read"},
		&cli.DurationFlag{Name: "request-timeout", Value: collect.DefaultRequestTimeout, Usage: "give up on one AWS call (its retries included) after this `DURATION`; the rest is still read"},
	}
}

// readManifestsFlag is --read-image-manifests, of why and snapshot (one
// repository): scan reads no manifest.
func readManifestsFlag() cli.Flag {
	return &cli.BoolFlag{Name: "read-image-manifests", Usage: "read the newest replicated image index's manifest (ecr:BatchGetImage) to check each platform image replicated too; " +
		"off by default: ECR counts it as a pull and updates LastRecordedPullTime, which lifecycle rules may read"}
}

// liveOptions are the live flags of why and snapshot, parsed: what to read
// from AWS and for how long at most.
type liveOptions struct {
	Capture collect.CaptureOptions
	Timeout time.Duration
}

// parseLiveOptions turns the live flags (and --repo) into liveOptions,
// reading AWS where s says. Its errors are usage errors.
func parseLiveOptions(c *cli.Context, s IO) (liveOptions, error) {
	lo, err := captureOptions(c)
	lo.AWS = s.AWS
	return liveOptions{Capture: lo, Timeout: c.Duration("timeout")}, err
}

func captureOptions(c *cli.Context) (collect.CaptureOptions, error) {
	now := time.Now()
	opts := collect.CaptureOptions{
		Repository: c.String("repo"),
		Profile:    c.String("profile"),
		AssumeRole: c.String("assume-role"),
		ExternalID: c.String("external-id"),
		MaxEvents:  c.Int("max-events"),
		Now:        now,
		// Not a flag of scan: c.Bool is then false.
		ReadImageManifests: c.Bool("read-image-manifests"),
	}
	switch regions := sourceRegions(c); {
	case len(regions) == 1:
		opts.Region = regions[0]
	case len(regions) > 1 && !c.Bool("all") && c.Command.Name != "scan":
		return opts, usageErrorf("--region: give one region (%s): one repository is in one registry", strings.Join(regions, ", "))
	}
	for _, r := range sourceRegions(c) {
		if !awsid.IsRegion(r) {
			return opts, usageErrorf("--region %q: not an AWS region name", r)
		}
	}
	for _, kv := range c.StringSlice("dest-profile") {
		account, profile, ok := strings.Cut(kv, "=")
		if !ok || !awsid.IsAccountID(account) || profile == "" {
			return opts, usageErrorf("--dest-profile %q: want ACCOUNT=PROFILE with a 12-digit account ID", kv)
		}
		if opts.DestProfiles == nil {
			opts.DestProfiles = map[string]string{}
		}
		if prev, dup := opts.DestProfiles[account]; dup && prev != profile {
			return opts, usageErrorf("--dest-profile: account %s is given two profiles (%s and %s): give one", account, prev, profile)
		}
		opts.DestProfiles[account] = profile
	}
	if strings.HasPrefix(opts.AssumeRole, "arn:") || strings.Contains(opts.AssumeRole, "/") {
		return opts, usageErrorf("--assume-role %q: give the role name only; ecrdoctor builds arn:aws:iam::ACCOUNT:role/NAME for each destination account", opts.AssumeRole)
	}
	if opts.ExternalID != "" && opts.AssumeRole == "" {
		return opts, usageErrorf("--external-id needs --assume-role")
	}
	if opts.MaxEvents <= 0 {
		return opts, usageErrorf("--max-events must be positive")
	}
	if c.Duration("timeout") <= 0 {
		return opts, usageErrorf("--timeout must be positive")
	}
	if opts.RequestTimeout = c.Duration("request-timeout"); opts.RequestTimeout <= 0 {
		return opts, usageErrorf("--request-timeout must be positive")
	}
	sinceFlag := c.String("since")
	if sinceFlag == "" {
		sinceFlag = "7d" // scan's --since has no default: it also bounds a snapshot's events
	}
	since, err := awsid.ParseTime(sinceFlag, now, false)
	if err != nil {
		return opts, usageErrorf("--since: %v", err)
	}
	opts.Since = since
	return opts, nil
}

// checkRepoFlag refuses a --repo that is not an ECR repository name: the
// name becomes file names in the snapshot folder and words in the printed
// commands, so "../x", "/abs" or "a b" must never get that far.
func checkRepoFlag(cmd, repo string) error {
	if !awsid.IsRepositoryName(repo) {
		return usageErrorf("%s: --repo %q is not an ECR repository name: 2 to 256 lower-case letters, digits and . _ -, with / only between parts (team/app)", cmd, repo)
	}
	return nil
}

// capture reads AWS into dir for why and snapshot alike: bounded by the
// timeout, cancelled on Ctrl-C, with a progress line when stderr is a
// terminal. A failure is worded for the user (exit 3), after the warnings
// gathered until then; on success the warnings are the caller's to show.
func capture(ctx context.Context, s IO, o liveOptions, dir string) (*collect.CaptureStats, error) {
	var stats *collect.CaptureStats
	err := readLive(ctx, s, o.Timeout, func(ctx context.Context, progress io.Writer) (warnings []string, err error) {
		opts := o.Capture
		if opts.Progress == nil {
			opts.Progress = progress
		}
		stats, err = collect.Capture(ctx, opts, dir)
		if stats != nil {
			warnings = stats.Warnings
		}
		return warnings, err
	})
	return stats, err
}

// captureScan is capture for whole registries (scan, snapshot --all).
func captureScan(ctx context.Context, s IO, o liveOptions, scan collect.ScanCaptureOptions, dir string) (*collect.ScanCaptureStats, error) {
	var stats *collect.ScanCaptureStats
	err := readLive(ctx, s, o.Timeout, func(ctx context.Context, progress io.Writer) (warnings []string, err error) {
		scan.CaptureOptions = o.Capture
		if scan.Progress == nil {
			scan.Progress = progress
		}
		stats, err = collect.CaptureScan(ctx, scan, dir)
		if stats != nil {
			warnings = stats.Warnings
		}
		return warnings, err
	})
	return stats, err
}

// readLive runs one read of AWS within timeout, cancelled on Ctrl-C, with
// progress on stderr when it is a terminal (nil otherwise); a failure is
// worded for the user after the warnings read gathered until then.
func readLive(ctx context.Context, s IO, timeout time.Duration, read func(ctx context.Context, progress io.Writer) ([]string, error)) error {
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	var progress io.Writer
	if s.ErrTerminal {
		progress = s.Err
	}
	warnings, err := read(ctx, progress)
	if err != nil {
		printWarnings(s.Err, warnings)
		return liveError(ctx, timeout, err)
	}
	return nil
}

// sourceRegions reads --region: a command that reads whole registries
// takes it repeated or as a comma list (a string slice flag), the others
// one region.
func sourceRegions(c *cli.Context) []string {
	if !isSliceFlag(c, "region") {
		if r := c.String("region"); r != "" {
			return []string{r}
		}
		return nil
	}
	var out []string
	for _, v := range c.StringSlice("region") {
		for _, r := range strings.Split(v, ",") {
			if r = strings.TrimSpace(r); r != "" {
				out = append(out, r)
			}
		}
	}
	return out
}

// isSliceFlag reports whether the command's flag name is a string slice.
func isSliceFlag(c *cli.Context, name string) bool {
	if c.Command == nil {
		return false
	}
	for _, f := range c.Command.Flags {
		if _, ok := f.(*cli.StringSliceFlag); ok && slices.Contains(f.Names(), name) {
			return true
		}
	}
	return false
}

// regionsFlag is --region for the commands that read whole registries.
func regionsFlag(usage string) cli.Flag {
	return &cli.StringSliceFlag{Name: "region", Usage: usage}
}

// replaceFlags returns flags with each of repl in place of the flag of
// its name.
func replaceFlags(flags []cli.Flag, repl ...cli.Flag) []cli.Flag {
	out := make([]cli.Flag, 0, len(flags))
	for _, f := range flags {
		for _, r := range repl {
			if r.Names()[0] == f.Names()[0] {
				f = r
			}
		}
		out = append(out, f)
	}
	return out
}

// liveError words a failed capture for the user (exit 3).
func liveError(ctx context.Context, timeout time.Duration, err error) error {
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return inputErrorf("reading AWS: timed out after %v; raise --timeout or narrow --since", timeout)
	case errors.Is(ctx.Err(), context.Canceled):
		return inputErrorf("reading AWS: interrupted")
	}
	return inputError(err)
}

// printWarnings writes capture warnings on stderr, always.
func printWarnings(w io.Writer, warnings []string) {
	for _, msg := range warnings {
		fmt.Fprintf(w, "ecrdoctor: warning: %s\n", msg)
	}
}
