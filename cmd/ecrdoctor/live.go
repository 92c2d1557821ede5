package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
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
		Region:     c.String("region"),
		AssumeRole: c.String("assume-role"),
		ExternalID: c.String("external-id"),
		MaxEvents:  c.Int("max-events"),
		Now:        now,
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
	since, err := awsid.ParseTime(c.String("since"), now, false)
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
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	if o.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.Timeout)
		defer cancel()
	}
	opts := o.Capture
	if s.ErrTerminal && opts.Progress == nil {
		opts.Progress = s.Err
	}
	stats, err := collect.Capture(ctx, opts, dir)
	if err != nil {
		if stats != nil {
			printWarnings(s.Err, stats.Warnings)
		}
		return stats, liveError(ctx, o.Timeout, err)
	}
	return stats, nil
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
