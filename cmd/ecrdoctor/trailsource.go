package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/ecrdoctor/ecrdoctor/diagnose/collect"
	"github.com/ecrdoctor/ecrdoctor/diagnose/trail"
)

// This file is the one home of the CloudTrail sources beyond LookupEvents
// and local files, for every command that reads CloudTrail (events, why,
// scan): their flags, their parsing, and the read of one question
// (repositories, accounts, regions, window) from the source chosen.

// trailSource is where CloudTrail is read from besides local files and
// LookupEvents: trail files in S3 (paths that are s3:// URLs), an Athena
// table, or a CloudTrail Lake event data store.
type trailSource struct {
	S3URLs         []string
	AthenaTable    string
	Workgroup      string
	OutputLocation string
	Lake           string
	// Profile and AWSRegion are the credentials and the region of the
	// bucket, workgroup or event data store.
	Profile   string
	AWSRegion string
	Timeout   time.Duration
	// AWS is where configurations and clients come from (tests inject it);
	// the zero value is the process environment.
	AWS collect.AWS
}

// remote reports whether the events are read from AWS.
func (s trailSource) remote() bool {
	return len(s.S3URLs) > 0 || s.AthenaTable != "" || s.Lake != ""
}

// engine reports whether a query engine answers (no files are read).
func (s trailSource) engine() bool { return s.AthenaTable != "" || s.Lake != "" }

// name names the source for the user: in the report ("CloudTrail from
// Athena table security.trail") and in errors.
func (s trailSource) name() string {
	switch {
	case s.AthenaTable != "":
		return "Athena table " + s.AthenaTable
	case s.Lake != "":
		return "CloudTrail Lake event data store " + s.Lake
	case len(s.S3URLs) > 0:
		return "S3 " + strings.Join(s.S3URLs, ", ")
	}
	return "CloudTrail files"
}

// flag is the flag that chose the source, for messages.
func (s trailSource) flag() string {
	switch {
	case s.AthenaTable != "":
		return "--athena-table"
	case s.Lake != "":
		return "--lake"
	}
	return "s3://"
}

// trailSourceFlags are the flags that choose the source, defined once for
// every command. own is for a command without live flags (events): it
// gets --profile and --timeout of its own; why and scan read the engine
// within their --timeout, with --trail-profile (default: --profile).
func trailSourceFlags(own bool) []cli.Flag {
	flags := []cli.Flag{
		&cli.StringFlag{Name: "athena-table", Usage: "read CloudTrail with one query of this Athena `DB.TABLE` (made by 'ecrdoctor athena-ddl')"},
		&cli.StringFlag{Name: "workgroup", Usage: "Athena `WORKGROUP` to run the query in", DefaultText: "primary"},
		&cli.StringFlag{Name: "output-location", Usage: "Athena query results go to `S3URL` (s3://BUCKET/PREFIX/), unless the workgroup sets one"},
		&cli.StringFlag{Name: "lake", Usage: "read CloudTrail with one query of this CloudTrail Lake `EVENT_DATA_STORE` (ARN or ID)"},
	}
	if own {
		return append(flags,
			&cli.StringFlag{Name: "profile", Usage: "AWS `PROFILE` for S3, Athena or Lake (default: the SDK chain)"},
			&cli.StringFlag{Name: "aws-region", Usage: "`REGION` of the bucket, workgroup or event data store (default: AWS_REGION or the profile's)"},
			&cli.DurationFlag{Name: "timeout", Value: 10 * time.Minute, Usage: "give up on S3, Athena or Lake after this `DURATION` (a running query is stopped)"},
		)
	}
	return append(flags,
		&cli.StringFlag{Name: "trail-profile", Usage: "AWS `PROFILE` for S3, Athena or Lake, when the trail lives in another account (default: --profile)"},
		&cli.StringFlag{Name: "aws-region", Usage: "`REGION` of the bucket, workgroup or event data store (default: --region)"},
	)
}

// parseTrailSource reads the source flags, and moves the s3:// URLs of
// paths (events' PATHs, why's --events) into the source; local are the
// other paths. It validates every value that will reach AWS; s3Flag names
// where s3:// URLs are given, for messages.
func parseTrailSource(c *cli.Context, cmd, s3Flag string, paths []string) (src trailSource, local []string, err error) {
	for _, p := range paths {
		if strings.HasPrefix(p, "s3://") {
			if _, _, err := collect.ParseS3URL(p); err != nil {
				return src, nil, usageErrorf("%s: %v", cmd, err)
			}
			src.S3URLs = append(src.S3URLs, p)
		} else {
			local = append(local, p)
		}
	}
	src.AthenaTable, src.Lake = c.String("athena-table"), c.String("lake")
	src.Workgroup, src.OutputLocation = c.String("workgroup"), c.String("output-location")
	src.AWSRegion, src.Timeout = c.String("aws-region"), c.Duration("timeout")
	var given []string
	for _, g := range []struct {
		set  bool
		flag string
	}{{len(src.S3URLs) > 0, s3Flag + " s3://…"}, {src.AthenaTable != "", "--athena-table"}, {src.Lake != "", "--lake"}} {
		if g.set {
			given = append(given, g.flag)
		}
	}
	profileFlag := "--trail-profile"
	if c.Command.Name == "events" {
		profileFlag = "--profile"
	}
	src.Profile = c.String(profileFlag[2:])
	switch {
	case len(given) > 1:
		return src, nil, usageErrorf("%s: %s are two CloudTrail sources: give one", cmd, strings.Join(given, " and "))
	case len(given) == 1 && len(local) > 0:
		return src, nil, usageErrorf("%s: local %s (%s) and %s are two CloudTrail sources: give one (sync the files to the trail's bucket, or query the engine alone)", cmd, s3Flag, strings.Join(local, ", "), given[0])
	case src.AthenaTable == "" && (src.Workgroup != "" || src.OutputLocation != ""):
		return src, nil, usageErrorf("%s: --workgroup and --output-location are for --athena-table", cmd)
	case !src.remote() && (src.Profile != "" || src.AWSRegion != ""):
		return src, nil, usageErrorf("%s: %s and --aws-region are for %s s3://…, --athena-table and --lake", cmd, profileFlag, s3Flag)
	case src.Timeout <= 0:
		return src, nil, usageErrorf("%s: --timeout must be positive", cmd)
	}
	for _, v := range []struct {
		flag, value string
		check       func(string) error
	}{
		{"--athena-table", src.AthenaTable, func(t string) error { _, err := collect.AthenaQuery(t, collect.TrailQuery{}); return err }},
		{"--lake", src.Lake, func(l string) error { _, err := collect.LakeStoreID(l); return err }},
		{"--workgroup", src.Workgroup, collect.ValidateWorkgroup},
		{"--output-location", src.OutputLocation, collect.ValidateOutputLocation},
		{"--aws-region", src.AWSRegion, collect.ValidateRegion},
	} {
		if v.value != "" {
			if err := v.check(v.value); err != nil {
				return src, nil, usageErrorf("%s: %s: %v", cmd, v.flag, err)
			}
		}
	}
	return src, local, nil
}

// readTrail reads the events of one question, q (its repositories,
// accounts, regions and window), from src: the one read behind events, why
// and scan. The query or the listing is bounded by src.Timeout and stopped
// on ^C; what it scanned and cost goes to stderr.
func readTrail(ctx context.Context, s IO, src trailSource, q trail.Options) (*trail.Result, error) {
	// The question is checked before anything is sent: a bad --repo is a
	// usage error, not an AWS one.
	if _, err := collect.AthenaQuery("db.t", collect.TrailQuery{Repositories: q.Repos(), Accounts: q.Accounts, Regions: q.Regions}); err != nil {
		return nil, usageErrorf("%v", err)
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeoutCause(ctx, src.Timeout, fmt.Errorf("--timeout %s passed", src.Timeout))
	defer cancel()
	if q.Since.IsZero() {
		fmt.Fprintln(s.Err, "ecrdoctor: note: no --since: every day of the trail is read")
	}
	qo := collect.QueryOptions{Trail: q, Profile: src.Profile, Region: src.AWSRegion, AWS: src.AWS, Log: s.Err,
		Table: src.AthenaTable, Workgroup: src.Workgroup, OutputLocation: src.OutputLocation, EventDataStore: src.Lake}
	var res *trail.Result
	var err error
	switch {
	case src.AthenaTable != "":
		res, err = collect.AthenaEvents(ctx, qo)
	case src.Lake != "":
		res, err = collect.LakeEvents(ctx, qo)
	default:
		var progress = s.Err
		if !s.ErrTerminal {
			progress = nil
		}
		var stats *collect.S3Stats
		res, stats, err = collect.S3Events(ctx, collect.S3Options{URLs: src.S3URLs, Trail: q, Profile: src.Profile, Region: src.AWSRegion, AWS: src.AWS, Progress: progress})
		if stats != nil {
			fmt.Fprintf(s.Err, "ecrdoctor: S3: %s over %s, %s read\n", plural(stats.Lists, "list request"), plural(stats.Prefixes, "day folder"), plural(stats.Keys, "file"))
		}
	}
	if err != nil && context.Cause(ctx) != nil && ctx.Err() != nil {
		return nil, fmt.Errorf("%w (%v)", err, context.Cause(ctx))
	}
	return res, err
}

// forLoad makes LoadDir read the CloudTrail of a snapshot's diagnosis from
// src (LoadOptions.Trail), for why and scan: the question is the
// snapshot's (collect.TrailScope: its source registries, the destinations
// of the rules covering its repositories, those repositories), over
// --since to --until, or, without --since, the 7 days before the capture
// a live capture's lookup covers. It does nothing unless src is remote.
// After LoadDir, call the function it returns with the command's name and
// LoadDir's error: it is the error to return when the engine failed (its
// usage error, or exit 3 naming the source), else nil.
func (src trailSource) forLoad(s IO, load *collect.LoadOptions) func(cmd string, loadErr error) error {
	var engineErr error
	if src.remote() {
		load.Trail, load.TrailFrom = func(ctx context.Context, scope trail.Options) (*trail.Result, error) {
			if scope.Since.IsZero() && !scope.Until.IsZero() {
				scope.Since = scope.Until.Add(-collect.DefaultSince)
			}
			res, err := readTrail(ctx, s, src, scope)
			engineErr = err
			return res, err
		}, src.name()
	}
	return func(cmd string, loadErr error) error {
		var ee *exitError
		switch {
		case engineErr == nil:
			return nil
		case errors.As(engineErr, &ee):
			return engineErr // a usage error found before the query
		}
		return inputErrorf("%s: %v", cmd, loadErr)
	}
}
