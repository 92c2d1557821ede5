package main

import (
	"context"
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

// eventsSource is where events reads CloudTrail besides local files: trail
// files in S3 (PATHs that are s3:// URLs), an Athena table, or a CloudTrail
// Lake event data store.
type eventsSource struct {
	S3URLs         []string
	AthenaTable    string
	Workgroup      string
	OutputLocation string
	Lake           string
	Profile        string
	AWSRegion      string
	Timeout        time.Duration
	// AWS is where configurations and clients come from (tests inject it);
	// the zero value is the process environment.
	AWS collect.AWS
}

// remote reports whether the events are read from AWS.
func (s eventsSource) remote() bool {
	return len(s.S3URLs) > 0 || s.AthenaTable != "" || s.Lake != ""
}

func eventsSourceFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "athena-table", Usage: "query this Athena `DB.TABLE` (made by 'ecrdoctor athena-ddl') instead of reading files"},
		&cli.StringFlag{Name: "workgroup", Usage: "Athena `WORKGROUP` to run the query in", DefaultText: "primary"},
		&cli.StringFlag{Name: "output-location", Usage: "Athena query results go to `S3URL` (s3://BUCKET/PREFIX/), unless the workgroup sets one"},
		&cli.StringFlag{Name: "lake", Usage: "query this CloudTrail Lake `EVENT_DATA_STORE` (ARN or ID) instead of reading files"},
		&cli.StringFlag{Name: "profile", Usage: "AWS `PROFILE` for S3, Athena or Lake (default: the SDK chain)"},
		&cli.StringFlag{Name: "aws-region", Usage: "`REGION` of the bucket, workgroup or event data store (default: AWS_REGION or the profile's)"},
		&cli.DurationFlag{Name: "timeout", Value: 10 * time.Minute, Usage: "give up on S3, Athena or Lake after this `DURATION` (a running query is stopped)"},
	}
}

// engine reports whether a query engine answers (no files are read).
func (s eventsSource) engine() bool { return s.AthenaTable != "" || s.Lake != "" }

// parseEventsSource fills o.Source from the flags and moves s3:// PATHs
// into it. It validates every value that will reach AWS.
func parseEventsSource(c *cli.Context, o *eventsOptions) error {
	src := &o.Source
	var local []string
	for _, p := range o.Paths {
		if strings.HasPrefix(p, "s3://") {
			if _, _, err := collect.ParseS3URL(p); err != nil {
				return usageErrorf("events: %v", err)
			}
			src.S3URLs = append(src.S3URLs, p)
		} else {
			local = append(local, p)
		}
	}
	o.Paths = local
	src.AthenaTable, src.Lake = c.String("athena-table"), c.String("lake")
	src.Workgroup, src.OutputLocation = c.String("workgroup"), c.String("output-location")
	src.Profile, src.AWSRegion, src.Timeout = c.String("profile"), c.String("aws-region"), c.Duration("timeout")
	engines := 0
	for _, set := range []bool{src.AthenaTable != "", src.Lake != "", len(src.S3URLs) > 0} {
		if set {
			engines++
		}
	}
	switch {
	case engines > 1:
		return usageErrorf("events: give one source: s3:// URLs, --athena-table or --lake")
	case engines == 1 && len(o.Paths) > 0:
		return usageErrorf("events: local PATHs (%s) cannot be read together with S3, Athena or Lake: run events once for each", strings.Join(o.Paths, ", "))
	case src.AthenaTable == "" && (src.Workgroup != "" || src.OutputLocation != ""):
		return usageErrorf("events: --workgroup and --output-location are for --athena-table")
	case !src.remote() && (src.Profile != "" || src.AWSRegion != ""):
		return usageErrorf("events: --profile and --aws-region are for s3:// URLs, --athena-table and --lake")
	case src.Timeout <= 0:
		return usageErrorf("events: --timeout must be positive")
	}
	if src.AthenaTable != "" {
		if _, err := collect.AthenaQuery(src.AthenaTable, collect.TrailQuery{}); err != nil {
			return usageErrorf("events: --athena-table: %v", err)
		}
	}
	if src.Lake != "" {
		if _, err := collect.LakeStoreID(src.Lake); err != nil {
			return usageErrorf("events: --lake: %v", err)
		}
	}
	if src.Workgroup != "" {
		if err := collect.ValidateWorkgroup(src.Workgroup); err != nil {
			return usageErrorf("events: --workgroup: %v", err)
		}
	}
	if src.OutputLocation != "" {
		if err := collect.ValidateOutputLocation(src.OutputLocation); err != nil {
			return usageErrorf("events: --output-location: %v", err)
		}
	}
	if src.AWSRegion != "" {
		if err := collect.ValidateRegion(src.AWSRegion); err != nil {
			return usageErrorf("events: --aws-region: %v", err)
		}
	}
	return nil
}

// readEvents reads the events from the source the command line names.
func readEvents(ctx context.Context, s IO, o eventsOptions) (*trail.Result, error) {
	src := o.Source
	if !src.remote() {
		return trail.Read(ctx, o.Paths, s.In, o.Trail)
	}
	// The question is checked before anything is sent: a bad --repo is a
	// usage error, not an AWS one.
	if _, err := collect.AthenaQuery("db.t", collect.TrailQuery{Repository: o.Trail.Repository, Accounts: o.Trail.Accounts, Regions: o.Trail.Regions}); err != nil {
		return nil, usageErrorf("events: %v", err)
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeoutCause(ctx, src.Timeout, fmt.Errorf("--timeout %s passed", src.Timeout))
	defer cancel()
	if o.Trail.Since.IsZero() {
		fmt.Fprintln(s.Err, "ecrdoctor: note: no --since: every day of the trail is read")
	}
	qo := collect.QueryOptions{Trail: o.Trail, Profile: src.Profile, Region: src.AWSRegion, AWS: src.AWS, Log: s.Err,
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
		res, stats, err = collect.S3Events(ctx, collect.S3Options{URLs: src.S3URLs, Trail: o.Trail, Profile: src.Profile, Region: src.AWSRegion, AWS: src.AWS, Progress: progress})
		if stats != nil {
			fmt.Fprintf(s.Err, "ecrdoctor: S3: %s over %s, %s read\n", plural(stats.Lists, "list request"), plural(stats.Prefixes, "day folder"), plural(stats.Keys, "file"))
		}
	}
	if err != nil && context.Cause(ctx) != nil && ctx.Err() != nil {
		return nil, fmt.Errorf("%w (%v)", err, context.Cause(ctx))
	}
	return res, err
}

// streamSource is trail.Stream for local files; S3, Athena and Lake are
// read whole (their results are bounded by the question), then handed to
// emit one by one. As with Stream, the Result then holds no Events.
func streamSource(ctx context.Context, s IO, o eventsOptions, emit func(trail.Event) error) (*trail.Result, error) {
	if !o.Source.remote() {
		return trail.Stream(ctx, o.Paths, s.In, o.Trail, emit)
	}
	res, err := readEvents(ctx, s, o)
	if err != nil {
		return nil, err
	}
	for _, e := range res.Events {
		if err := emit(e); err != nil {
			return nil, err
		}
	}
	res.Events = []trail.Event{}
	return res, nil
}
