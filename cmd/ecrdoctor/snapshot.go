package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
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
		&cli.DurationFlag{Name: "timeout", Value: 5 * time.Minute, Usage: "give up on AWS after this `DURATION`"},
	}
}

// captureOptions turns the live flags (and --repo) into CaptureOptions. Its
// errors are usage errors.
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
	since, err := awsid.ParseTime(c.String("since"), now, false)
	if err != nil {
		return opts, usageErrorf("--since: %v", err)
	}
	opts.Since = since
	if w := c.App.ErrWriter; isTerminal(w) {
		opts.Progress = w
	}
	return opts, nil
}

// liveContext bounds a live run by --timeout and cancels it on Ctrl-C.
func liveContext(c *cli.Context) (context.Context, context.CancelFunc) {
	ctx, stop := signal.NotifyContext(c.Context, os.Interrupt, syscall.SIGTERM)
	ctx, cancel := context.WithTimeout(ctx, c.Duration("timeout"))
	return ctx, func() { cancel(); stop() }
}

// liveError words a failed capture for the user (exit 3).
func liveError(c *cli.Context, ctx context.Context, err error) error {
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return inputErrorf("reading AWS: timed out after %v; raise --timeout or narrow --since", c.Duration("timeout"))
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

func snapshotCommand(s IO) *cli.Command {
	return &cli.Command{
		Name:  "snapshot",
		Usage: "read a repository's replication setup from AWS into a snapshot folder",
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

DIR must be empty or absent; --force writes into a DIR that holds an earlier snapshot,
replacing its snapshot.json and account folders and keeping every other file.

Examples:
  ecrdoctor snapshot --repo my-repo --out ./my-repo-snapshot
  ecrdoctor snapshot --repo my-repo --out ./snap --profile prod --region ap-northeast-1 \
      --assume-role EcrdoctorRead --since 3d
  ecrdoctor snapshot --repo my-repo --out ./snap --dest-profile 222222222222=dest-readonly`,
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "repo", Usage: "source repository `NAME` (required)"},
			&cli.StringFlag{Name: "out", Usage: "snapshot folder `DIR` to write (required)"},
			&cli.BoolFlag{Name: "force", Usage: "write into a DIR that is not empty (replaces an earlier snapshot's files)"},
		}, liveFlags()...),
		Action: action(func(c *cli.Context) error {
			// Checked here rather than by the flag library, which prints the
			// whole help before a one-line error.
			if c.String("repo") == "" {
				return usageErrorf("snapshot: --repo is required (the source repository to capture, e.g. --repo my-repo)")
			}
			if c.String("out") == "" {
				return usageErrorf("snapshot: --out is required (the folder to write the snapshot to, e.g. --out ./my-repo-snapshot)")
			}
			opts, err := captureOptions(c)
			if err != nil {
				return err
			}
			out := c.String("out")
			if err := checkOutDir(out, c.Bool("force")); err != nil {
				return err
			}
			ctx, cancel := liveContext(c)
			defer cancel()
			return runSnapshot(ctx, c, s, opts, out)
		}),
	}
}

// checkOutDir refuses to write into a folder holding files, unless forced.
func checkOutDir(dir string, force bool) error {
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil
	case err != nil:
		return inputErrorf("--out %s: %v", dir, err)
	case len(entries) > 0 && !force:
		return usageErrorf("--out %s is not empty: choose a new folder, or pass --force to replace the snapshot in it", dir)
	}
	return nil
}

// runSnapshot captures into a fresh folder beside out and moves it into
// place at the end, so an interrupted run leaves no half-written snapshot.
func runSnapshot(ctx context.Context, c *cli.Context, s IO, opts collect.CaptureOptions, out string) error {
	parent := filepath.Dir(filepath.Clean(out))
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return inputErrorf("--out %s: %v", out, err)
	}
	tmp, err := os.MkdirTemp(parent, ".ecrdoctor-snapshot-")
	if err != nil {
		return inputErrorf("--out %s: %v", out, err)
	}
	defer os.RemoveAll(tmp)
	start := time.Now()
	stats, err := collect.Capture(ctx, opts, tmp)
	if stats != nil {
		printWarnings(s.Err, stats.Warnings)
	}
	if err != nil {
		return liveError(c, ctx, err)
	}
	if err := install(tmp, out); err != nil {
		return inputErrorf("writing %s: %v", out, err)
	}
	var calls []string
	total := 0
	for _, svc := range sortedCallKeys(stats.APICalls) {
		calls = append(calls, fmt.Sprintf("%s %d", svc, stats.APICalls[svc]))
		total += stats.APICalls[svc]
	}
	fmt.Fprintf(s.Out, "Wrote the snapshot of %s (source %s) to %s: %d API calls (%s) in %.1fs, %d CloudTrail events read, %d for the repository.\n",
		opts.Repository, stats.Source, out, total, strings.Join(calls, ", "), time.Since(start).Seconds(), stats.EventsScanned, stats.EventsMatched)
	fmt.Fprintf(s.Out, "Diagnose it with: ecrdoctor why --repo %s --snapshot %s\n", opts.Repository, out)
	return nil
}

// install moves the captured folder's entries into out: the manifest and
// the account folders replace their namesakes; other files in out are kept.
func install(tmp, out string) error {
	if _, err := os.Stat(out); errors.Is(err, os.ErrNotExist) {
		return os.Rename(tmp, out)
	}
	entries, err := os.ReadDir(tmp)
	if err != nil {
		return err
	}
	for _, e := range entries {
		dst := filepath.Join(out, e.Name())
		if err := os.RemoveAll(dst); err != nil {
			return err
		}
		if err := os.Rename(filepath.Join(tmp, e.Name()), dst); err != nil {
			return err
		}
	}
	// Account folders of an earlier capture that this one did not write
	// would mix two captures: remove them too.
	old, err := os.ReadDir(out)
	if err != nil {
		return err
	}
	for _, e := range old {
		if e.IsDir() && awsid.IsAccountID(e.Name()) {
			if _, err := os.Stat(filepath.Join(tmp, e.Name())); err == nil {
				continue
			}
			if !capturedEntry(entries, e.Name()) {
				if err := os.RemoveAll(filepath.Join(out, e.Name())); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func capturedEntry(entries []os.DirEntry, name string) bool {
	for _, e := range entries {
		if e.Name() == name {
			return true
		}
	}
	return false
}

func sortedCallKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
