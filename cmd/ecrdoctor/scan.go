package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/ecrdoctor/ecrdoctor/diagnose"
	"github.com/ecrdoctor/ecrdoctor/diagnose/awsid"
	"github.com/ecrdoctor/ecrdoctor/diagnose/collect"
	"github.com/ecrdoctor/ecrdoctor/diagnose/render"
)

// scanOptions are the flags of `ecrdoctor scan`.
type scanOptions struct {
	Snapshot   string
	RepoPrefix string
	Accounts   []string
	Region     string
	Events     []string
	Output     string
	Out        string
	// Verbose lists everything the text report shortens.
	Verbose bool
	// EventsSince and EventsUntil bound the CloudTrail records read.
	EventsSince, EventsUntil time.Time
}

var scanFormats = []string{"text", "json", "markdown", "html"}

func scanCommand(s IO) *cli.Command {
	return &cli.Command{
		Name:  "scan",
		Usage: "check every repository × destination of a registry or an organization: a matrix of verdicts, root causes and one fix per destination",
		UsageText: `ecrdoctor scan --snapshot DIR [--repo-prefix P] [--accounts A,B] [--output text|json|markdown|html] [--out FILE] [--verbose]

Examples:
  # Every replicated repository of the registries in a snapshot folder
  ecrdoctor scan --snapshot fixtures/organization

  # Only the team/ repositories of one account, as JSON for a dashboard
  ecrdoctor scan --snapshot ./snap --accounts 111111111111 --repo-prefix team/ --output json --out scan.json

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

Exit status: 0 every pair healthy, 1 a pair is failing, 2 usage error, 3 nothing
readable. A pair that could not be judged is "unknown", never healthy.`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "snapshot", Usage: "read a snapshot folder `DIR` (from 'ecrdoctor snapshot --all', or a why snapshot)"},
			&cli.StringFlag{Name: "repo-prefix", Usage: "only repositories whose names start with `PREFIX`"},
			&cli.StringFlag{Name: "accounts", Usage: "only the source registries of these accounts (`A,B`)"},
			&cli.StringFlag{Name: "region", Usage: "only the source registries in `REGION`"},
			&cli.StringSliceFlag{Name: "events", Usage: "CloudTrail `PATH` (LookupEvents output, trail log files or folders) read with the snapshot's own; repeatable"},
			&cli.StringFlag{Name: "since", Usage: "only CloudTrail events from `TIME` (RFC 3339, date, or 7d/36h ago)"},
			&cli.StringFlag{Name: "until", Usage: "only CloudTrail events before `TIME`; default: the snapshot's capture time"},
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Value: "text", Usage: "output `FORMAT`: " + strings.Join(scanFormats, ", ")},
			&cli.StringFlag{Name: "out", Usage: "write the report to `FILE` instead of stdout"},
			&cli.BoolFlag{Name: "verbose", Usage: "list every repository, every healthy row of the matrix and the evidence of each root cause (by default the text fits a screen)"},
		},
		Action: action(func(c *cli.Context) error {
			opts := scanOptions{
				Snapshot:   c.String("snapshot"),
				RepoPrefix: c.String("repo-prefix"),
				Region:     c.String("region"),
				Events:     c.StringSlice("events"),
				Output:     c.String("output"),
				Out:        c.String("out"),
				Verbose:    c.Bool("verbose"),
			}
			if a := c.String("accounts"); c.IsSet("accounts") {
				for _, acct := range strings.Split(a, ",") {
					opts.Accounts = append(opts.Accounts, strings.TrimSpace(acct))
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
			return runScan(c.Context, s, opts)
		}),
	}
}

func (o scanOptions) validate() error {
	if o.Snapshot == "" {
		return usageErrorf("scan: --snapshot DIR is required: this version scans snapshot folders only (capture one with 'ecrdoctor snapshot')")
	}
	if o.RepoPrefix != "" && !awsid.IsRepositoryFilter(o.RepoPrefix) {
		return usageErrorf("scan: --repo-prefix %q: not a repository name prefix (lowercase letters, digits, and . _ - / between them)", o.RepoPrefix)
	}
	for _, a := range o.Accounts {
		if !awsid.IsAccountID(a) {
			return usageErrorf("scan: --accounts: %q is not a 12-digit account id", a)
		}
	}
	if o.Region != "" && !awsid.IsRegion(o.Region) {
		return usageErrorf("scan: --region %q: not an AWS region name", o.Region)
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

// runScan scans a snapshot folder and writes the report.
func runScan(ctx context.Context, s IO, o scanOptions) error {
	if ctx == nil {
		ctx = context.Background()
	}
	if err := htmlToTerminal(s, o); err != nil {
		return err
	}
	if fi, err := os.Stat(o.Snapshot); err != nil {
		return inputErrorf("--snapshot %s: %v", o.Snapshot, errors.Unwrap(err))
	} else if !fi.IsDir() {
		return inputErrorf("--snapshot %s: not a folder", o.Snapshot)
	}
	if err := checkEventPaths(o.Events); err != nil {
		return err
	}
	load := collect.ScanLoadOptions{
		LoadOptions: collect.LoadOptions{Events: o.Events, Stdin: s.In, EventsSince: o.EventsSince, EventsUntil: o.EventsUntil, SourceRegion: o.Region},
		Accounts:    o.Accounts,
		RepoPrefix:  o.RepoPrefix,
	}
	snap, scope, err := collect.LoadScanDir(ctx, o.Snapshot, load)
	switch {
	case errors.Is(err, collect.ErrSourceUnknown):
		return usageErrorf("reading snapshot: %v", err) // settled by a flag
	case err != nil:
		return inputErrorf("reading snapshot: %w", err)
	}
	report, err := diagnose.Scan(snap, scope)
	if err != nil {
		return inputErrorf("scanning: %w", err)
	}
	return writeScanReport(s, report, o)
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
