package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/ecrdoctor/ecrdoctor/diagnose/awsid"
)

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
			if err := checkRepoFlag("snapshot", c.String("repo")); err != nil {
				return err
			}
			if c.String("out") == "" {
				return usageErrorf("snapshot: --out is required (the folder to write the snapshot to, e.g. --out ./my-repo-snapshot)")
			}
			live, err := parseLiveOptions(c)
			if err != nil {
				return err
			}
			return runSnapshot(c.Context, s, snapshotOptions{Out: c.String("out"), Force: c.Bool("force"), Live: live})
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

// snapshotOptions are the snapshot command line, parsed. The repository is
// Live.Capture.Repository.
type snapshotOptions struct {
	Out   string
	Force bool
	Live  liveOptions
}

// runSnapshot captures into a fresh folder beside out and moves it into
// place at the end, so an interrupted run leaves no half-written snapshot.
// It can be called without a command line.
func runSnapshot(ctx context.Context, s IO, o snapshotOptions) error {
	out, opts := o.Out, o.Live.Capture
	if err := checkOutDir(out, o.Force); err != nil {
		return err
	}
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
	stats, err := capture(ctx, s, o.Live, tmp)
	if err != nil {
		return err
	}
	printWarnings(s.Err, stats.Warnings)
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
