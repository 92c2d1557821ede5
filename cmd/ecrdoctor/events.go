package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/urfave/cli/v2"

	"github.com/ecrdoctor/ecrdoctor/diagnose/awsid"
	"github.com/ecrdoctor/ecrdoctor/diagnose/trail"
)

// eventsOptions is the events command line, parsed.
type eventsOptions struct {
	Paths  []string
	Output string // "text" or "json"
	// Limit is how many events the text table shows, the newest (0: all).
	Limit  int
	Trail  trail.Options
	Source trailSource // S3, Athena or Lake instead of local files
}

func eventsCommand(s IO) *cli.Command {
	return &cli.Command{
		Name:      "events",
		Usage:     "list denied ECR replication calls found in CloudTrail files",
		ArgsUsage: "PATH...",
		Description: `events reads CloudTrail records and lists the ReplicateImage and CreateRepository
calls made by the replication role (AWSServiceRoleForECRReplication) that were denied,
newest first, with the destination and the policy type the denial names. --all adds
the successful calls and those that failed with other errors (a KMS key, a quota).

PATH is a trail log file ({"Records":[...]}, .json or .json.gz), the output of
'aws cloudtrail lookup-events' ({"Events":[...]}), a folder of either (read
recursively; the AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD layout is
pruned by --since, --until, --account and --region before any file is opened),
or - for stdin. In a folder, digest files and other files (other JSON too,
such as a snapshot's other calls) are skipped and counted.

Trail files are delivered after the events they hold: within the day after
--until only files whose name says they were delivered up to --delivery-margin
(2h) after it are opened.

At organization scale, PATH may be s3://BUCKET[/PREFIX] (the trail's bucket:
only the accounts, regions and days asked are listed, and the files stream
through the same reader, --workers GETs at a time, 16 by default), or instead
of PATHs --athena-table DB.TABLE (the table 'ecrdoctor athena-ddl' prints) or
--lake EVENT_DATA_STORE run one query; stderr says what it scanned and cost.
--profile and --aws-region choose the credentials and the region of the
bucket, workgroup or store; --timeout bounds the read, and ^C stops a query.

--since and --until take an RFC 3339 time, a date (UTC; --until includes that
day) or a duration back from now: 7d, 36h, 90m, 2w. --until is exclusive.

The table shows the newest 1000 events (--limit; 0 shows all), and the line under
it counts every event found: memory does not grow with the number of events.

Exit status: 0 no failure found, 1 failures found, 2 bad command line,
3 input could not be read (with --strict, any bad file or record).

Examples:
  ecrdoctor events ./AWSLogs --repo my-repo --since 7d
  ecrdoctor events ./AWSLogs --any --limit 50          # the 50 newest of every AccessDenied
  aws cloudtrail lookup-events --region ap-northeast-1 \
      --lookup-attributes AttributeKey=EventName,AttributeValue=ReplicateImage > events.json
  ecrdoctor events events.json --output json
  ecrdoctor events s3-sync/AWSLogs --account 111111111111 --region ap-northeast-1 \
      --since 2024-05-01 --until 2024-05-03 --all
  zcat trail.json.gz | ecrdoctor events - --any
  ecrdoctor events s3://org-trail-logs/AWSLogs/o-exampleorgid/ --since 2024-05-10 --until 2024-05-10
  ecrdoctor events --athena-table security.cloudtrail_logs_org --workgroup primary --repo my-repo --since 30d`,
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "repo", Usage: "only this repository (exact name, or its ARN)"},
			&cli.StringFlag{Name: "since", Usage: "only events at or after `TIME` (RFC 3339, date, or 7d/36h ago)"},
			&cli.StringFlag{Name: "until", Usage: "only events before `TIME` (RFC 3339, date, or 7d/36h ago)"},
			&cli.StringSliceFlag{Name: "account", Usage: "only trail folders and records of this `ACCOUNT` (repeatable)"},
			&cli.StringSliceFlag{Name: "region", Usage: "only trail folders and records of this `REGION` (repeatable)"},
			&cli.BoolFlag{Name: "all", Usage: "also list successful replication calls"},
			&cli.BoolFlag{Name: "any", Usage: "list every AccessDenied event, whatever the action and caller"},
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Value: "text", Usage: "`FORMAT`: text (a table, newest first), json or jsonl (one event per line); json and jsonl are written as events are found, in that order"},
			&cli.IntFlag{Name: "limit", Value: defaultEventsLimit, Usage: "the text table shows the newest `N` events (0: all); the summary counts every one, and json and jsonl are never cut"},
			&cli.BoolFlag{Name: "strict", Usage: "stop at the first unreadable file or malformed record (exit 3)"},
			&cli.IntFlag{Name: "workers", Usage: "files read at once", DefaultText: "one per CPU"},
			&cli.StringFlag{Name: "delivery-margin", Value: "2h", Usage: "open trail files delivered up to `DURATION` after --until (CloudTrail delivers within minutes; widen it for late deliveries)"},
		}, trailSourceFlags(true)...),
		Action: action(func(c *cli.Context) error {
			opts, err := parseEventsOptions(c, time.Now())
			if err != nil {
				return err
			}
			opts.Source.AWS = s.AWS
			return runEvents(c.Context, s, opts)
		}),
	}
}

func parseEventsOptions(c *cli.Context, now time.Time) (eventsOptions, error) {
	paths, err := interspersed(c, "all", "any", "strict")
	if err != nil {
		return eventsOptions{}, err
	}
	o := eventsOptions{Output: c.String("output")}
	if o.Source, o.Paths, err = parseTrailSource(c, "events", "PATH", paths); err != nil {
		return o, err
	}
	if len(o.Paths) == 0 && !o.Source.remote() {
		return o, usageErrorf("events: give at least one PATH (a file, a folder, or - for stdin)")
	}
	stdin := 0
	for _, p := range o.Paths {
		if p == "-" {
			if stdin++; stdin == 2 {
				return o, usageErrorf("events: PATH - (stdin) is given more than once: stdin can be read once")
			}
		}
	}
	if o.Output != "text" && o.Output != "json" && o.Output != "jsonl" {
		return o, usageErrorf("events: --output must be text, json or jsonl, not %q", o.Output)
	}
	if c.Bool("all") && c.Bool("any") {
		return o, usageErrorf("events: --all and --any cannot be used together")
	}
	t := &o.Trail
	t.Repository = c.String("repo")
	for _, b := range []struct {
		flag string
		dst  *time.Time
		end  bool
	}{{"since", &t.Since, false}, {"until", &t.Until, true}} {
		if v := c.String(b.flag); v != "" {
			tm, err := awsid.ParseTime(v, now, b.end)
			if err != nil {
				return o, usageErrorf("events: --%s: %v", b.flag, err)
			}
			*b.dst = tm
		}
	}
	if !t.Since.IsZero() && !t.Until.IsZero() && !t.Since.Before(t.Until) {
		return o, usageErrorf("events: --since %s (%s) must be before --until %s (%s, exclusive)",
			c.String("since"), t.Since.Format(time.RFC3339), c.String("until"), t.Until.Format(time.RFC3339))
	}
	t.Accounts = c.StringSlice("account")
	for _, a := range t.Accounts {
		if !awsid.IsAccountID(a) {
			return o, usageErrorf("events: --account %q: must be a 12-digit account id", a)
		}
	}
	t.Regions = c.StringSlice("region")
	switch {
	case c.Bool("all"):
		t.Filter = trail.FilterAll
	case c.Bool("any"):
		t.Filter = trail.FilterAny
	}
	t.Strict = c.Bool("strict")
	if v := c.String("delivery-margin"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return o, usageErrorf("events: --delivery-margin %q: give a positive duration with a unit, such as 2h or 90m", v)
		}
		t.DeliveryMargin = d
	}
	t.Workers = c.Int("workers")
	if t.Workers < 0 {
		return o, usageErrorf("events: --workers must not be negative")
	}
	if o.Limit = c.Int("limit"); o.Limit < 0 {
		return o, usageErrorf("events: --limit must not be negative (0 shows every event)")
	}
	return o, nil
}

// interspersed parses the flags that follow the first PATH, which urfave/cli
// v2 leaves as arguments, so that "events ./AWSLogs --repo my-repo" works as
// the examples show. It returns the paths. "--" ends the flags.
func interspersed(c *cli.Context, boolFlags ...string) ([]string, error) {
	args := c.Args().Slice()
	var paths []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return append(paths, args[i+1:]...), nil
		}
		if a == "-" || !strings.HasPrefix(a, "-") {
			paths = append(paths, a)
			continue
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		canonical := ""
		for _, f := range c.Command.Flags {
			for _, n := range f.Names() {
				if n == name {
					canonical = f.Names()[0]
				}
			}
		}
		if canonical == "" {
			return nil, flagError(c.Command.Name, c.Command.Flags, fmt.Errorf("flag provided but not defined: -%s", name))
		}
		if !hasValue {
			switch {
			case contains(boolFlags, canonical):
				value = "true"
			case i+1 < len(args):
				i++
				value = args[i]
			default:
				return nil, flagError(c.Command.Name, c.Command.Flags, fmt.Errorf("flag needs an argument: -%s", name))
			}
		}
		if err := c.Set(canonical, value); err != nil {
			return nil, flagError(c.Command.Name, c.Command.Flags, fmt.Errorf("invalid value %q for flag -%s: %v", value, name, err))
		}
	}
	return paths, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// runEvents reads the events and prints them; it can be called without a
// command line. A progress line is drawn on stderr when it is a terminal.
func runEvents(ctx context.Context, s IO, o eventsOptions) error {
	if ctx == nil {
		ctx = context.Background()
	}
	if s.ErrTerminal && o.Trail.Progress == nil {
		o.Trail.Progress = s.Err
	}
	if o.Output == "json" || o.Output == "jsonl" {
		return streamEvents(ctx, s, o)
	}
	// The table is sorted, so it is printed once the read is done; it
	// holds the newest --limit events, and counts the others.
	table := newEventTable(o.Limit)
	res, err := streamSource(ctx, s, o, table.add)
	if err != nil {
		return eventsReadError(err)
	}
	warnEvents(s, res)
	if err := writeEventsText(s.Out, res, table, o.Trail.Filter, s.Width); err != nil {
		return err
	}
	if err := scanProblem(res, slices.Contains(o.Paths, "-") || o.Source.engine()); err != nil {
		return err
	}
	if table.failed > 0 {
		return findingsExit()
	}
	return nil
}

// eventsReadError is the exit for a read that failed: an exit the reader
// chose stands, anything else could not be read (exit 3).
func eventsReadError(err error) error {
	var ee *exitError
	if errors.As(err, &ee) {
		return err
	}
	return inputErrorf("events: %v", err)
}

func warnEvents(s IO, res *trail.Result) {
	for _, w := range res.Warnings {
		fmt.Fprintf(s.Err, "ecrdoctor: warning: %s\n", w)
	}
}

// streamEvents writes JSON or JSON lines as the events are found, holding
// none of them: a million denials take the memory of one.
func streamEvents(ctx context.Context, s IO, o eventsOptions) error {
	out := &eventStream{w: bufio.NewWriterSize(s.Out, 64<<10), lines: o.Output == "jsonl"}
	res, err := streamSource(ctx, s, o, out.event)
	if werr := out.end(res, err); werr != nil && err == nil {
		err = werr
	}
	if err != nil {
		return eventsReadError(err)
	}
	warnEvents(s, res)
	if err := scanProblem(res, slices.Contains(o.Paths, "-") || o.Source.engine()); err != nil {
		return err
	}
	if out.failed {
		return findingsExit()
	}
	return nil
}

// eventStream writes the events JSON document (format_version 1: events,
// then scanned, warnings and incomplete_files) one event at a time, or one
// event per line.
type eventStream struct {
	w      *bufio.Writer
	lines  bool
	n      int
	failed bool // an event that failed was written
}

func (j *eventStream) event(e trail.Event) error {
	if e.Failed() {
		j.failed = true
	}
	var b []byte
	var err error
	if j.lines {
		b, err = json.Marshal(e)
		b = append(b, '\n')
	} else {
		if j.n == 0 {
			j.w.WriteString("{\n  \"format_version\": \"1\",\n  \"events\": [\n    ")
		} else {
			j.w.WriteString(",\n    ")
		}
		b, err = json.MarshalIndent(e, "    ", "  ")
	}
	if err != nil {
		return err
	}
	j.n++
	_, err = j.w.Write(b)
	return err
}

// end closes the document. A read that failed after some events were
// written closes it with an "error" member, so that it stays valid JSON;
// one that failed before writes nothing.
func (j *eventStream) end(res *trail.Result, rerr error) error {
	if !j.lines {
		switch {
		case rerr != nil && j.n == 0:
		case rerr != nil:
			msg, _ := json.Marshal("events: " + rerr.Error())
			fmt.Fprintf(j.w, "\n  ],\n  \"error\": %s\n}\n", msg)
		default:
			if j.n == 0 {
				j.w.WriteString("{\n  \"format_version\": \"1\",\n  \"events\": [],\n")
			} else {
				j.w.WriteString("\n  ],\n")
			}
			for i, f := range []struct {
				name string
				v    any
			}{{"scanned", res.Scanned}, {"warnings", res.Warnings}, {"incomplete_files", res.Incomplete}} {
				b, err := json.MarshalIndent(f.v, "  ", "  ")
				if err != nil {
					return err
				}
				sep := ",\n"
				if i == 2 {
					sep = "\n}\n"
				}
				fmt.Fprintf(j.w, "  %q: %s%s", f.name, b, sep)
			}
		}
	}
	return j.w.Flush()
}

// scanProblem is the exit-3 error of a scan that cannot stand as "nothing
// found", or as a complete list of what was: a file read only in part (what
// it gave before the damage is listed, but more may be missing), nothing
// readable at all, or no CloudTrail file in the folders given.
func scanProblem(res *trail.Result, stdin bool) error {
	if n := len(res.Incomplete); n > 0 {
		names := res.Incomplete
		more := ""
		if n > 10 {
			names, more = names[:10], fmt.Sprintf(", and %d more", n-10)
		}
		return inputErrorf("events: %s could not be read to the end, so events may be missing: %s%s",
			plural(n, "file"), strings.Join(names, ", "), more)
	}
	if res.Scanned.Files > 0 && res.Unreadable == res.Scanned.Files {
		// Every input was unreadable: "no failure found" would be a lie.
		return inputErrorf("events: no file could be read as CloudTrail (see the warnings above)")
	}
	if res.Scanned.Files == 0 && !stdin && res.Scanned.PrunedFolders+res.Scanned.PrunedFiles == 0 {
		if res.Scanned.SkippedFiles > 0 {
			return inputErrorf("events: no CloudTrail file found: %s in the given folders, none of them CloudTrail event logs", plural(res.Scanned.SkippedFiles, "file"))
		}
		return inputErrorf("events: no CloudTrail file found: the given folders hold no .json, .json.gz, .jsonl or .jsonl.gz file")
	}
	return nil
}

// writeEventsText writes the table of events and the summary under it.
// On a screen of width columns (0: no limit) too narrow for the table, each
// event's result and denial go on a line of their own under it, and the
// prose is wrapped, so that no line is folded where the terminal cuts it.
func writeEventsText(w io.Writer, res *trail.Result, table *eventTable, filter trail.Filter, width int) error {
	if events := table.events(); len(events) > 0 {
		text := eventRows(events, filter, 0)
		if width > 0 && widestLine(text) > width {
			text = eventRows(events, filter, width)
		}
		if _, err := io.WriteString(w, text); err != nil {
			return err
		}
		if more := table.total - len(events); more > 0 {
			fmt.Fprintln(w, wrapTo(fmt.Sprintf("(%s not shown: the table holds the newest %d (--limit); --limit 0 shows every one, --output jsonl writes them all as they are found)",
				plural(more, "older event"), table.limit), width))
		}
		fmt.Fprintln(w)
	}
	_, err := fmt.Fprintln(w, wrapTo(summary(res, table, filter), width))
	return err
}

// eventRows is the table of events, one row each; with width > 0, the
// result and denial of each (and its caller, with --any) go under its row,
// indented and wrapped.
func eventRows(events []trail.Event, filter trail.Filter, width int) string {
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	header := []string{"TIME", "EVENT", "REPOSITORY", "DESTINATION"}
	if width == 0 {
		if filter == trail.FilterAny {
			header = slices.Insert(header, 2, "CALLER")
		}
		header = append(header, "RESULT", "DENIAL")
	}
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	under := make([]string, len(events))
	for i, e := range events {
		cols := []string{e.Time.UTC().Format(time.RFC3339), eventLabel(e)}
		if filter == trail.FilterAny && width == 0 {
			cols = append(cols, shortCaller(e.Caller))
		}
		cols = append(cols, dash(e.Repository), dash(strings.TrimSpace(e.Destination.Account+" "+e.Destination.Region)))
		result, denial := dash(firstOf(e.ErrorCode, "OK")), denialLabel(e.Denial)
		if width == 0 {
			cols = append(cols, result, denial)
		} else {
			// The caller (with --any) leads the line under the row.
			if filter == trail.FilterAny {
				under[i] = shortCaller(e.Caller) + ": "
			}
			under[i] += result
			if denial != "" && denial != "-" {
				under[i] += ", " + denial
			}
		}
		fmt.Fprintln(tw, strings.Join(cols, "\t"))
	}
	tw.Flush()
	if width == 0 {
		return b.String()
	}
	// The lines under the rows are no cells: tabwriter would widen the
	// first column to hold them.
	rows := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	var out strings.Builder
	out.WriteString(rows[0] + "\n")
	for i, row := range rows[1:] {
		out.WriteString(strings.TrimRight(row, " ") + "\n")
		out.WriteString(indent(wrapText(under[i], max(width-4, 20)), "    ") + "\n")
	}
	return out.String()
}

// widestLine is the length in runes of the longest line of s.
func widestLine(s string) int {
	n := 0
	for _, line := range strings.Split(s, "\n") {
		n = max(n, utf8.RuneCountInString(line))
	}
	return n
}

// wrapTo wraps s at width, or leaves it whole when width is 0.
func wrapTo(s string, width int) string {
	if width <= 0 {
		return s
	}
	return wrapText(s, width)
}

// summary is the one line under the table, about every event found.
func summary(res *trail.Result, table *eventTable, filter trail.Filter) string {
	failed, ok, repos := table.failed, table.ok, table.repos
	// By default only denials are read: "denied", not "failed", since a
	// call that failed otherwise (KmsException, say) shows only with --all.
	what := "denied replication calls"
	switch filter {
	case trail.FilterAll:
		what = "failed replication calls"
	case trail.FilterAny:
		what = "access denied events"
	}
	if failed == 1 {
		what = strings.Replace(what, "calls", "call", 1)
		what = strings.Replace(what, "events", "event", 1)
	}
	s := fmt.Sprintf("%d %s", failed, what)
	if len(repos) > 0 {
		names := make([]string, 0, len(repos))
		for r := range repos {
			names = append(names, r)
		}
		sort.Strings(names)
		s += fmt.Sprintf(" (%s)", strings.Join(names, ", "))
	}
	if filter == trail.FilterAll {
		s += fmt.Sprintf(", %d successful", ok)
	}
	if res.Scanned.Files == 0 && res.Scanned.Records > 0 {
		// Athena or Lake: rows of one query, not files.
		s += fmt.Sprintf(" in %s of the query", plural(res.Scanned.Records, "row"))
	} else {
		s += fmt.Sprintf(" in %s from %s", plural(res.Scanned.Records, "record"), plural(res.Scanned.Files, "file"))
	}
	if res.Scanned.SkippedFiles > 0 {
		s += fmt.Sprintf("; %s skipped (not CloudTrail event logs)", plural(res.Scanned.SkippedFiles, "file"))
	}
	if sc := res.Scanned; sc.PrunedFolders+sc.PrunedFiles > 0 {
		var parts []string
		if sc.PrunedFolders > 0 {
			parts = append(parts, plural(sc.PrunedFolders, "folder"))
		}
		if sc.PrunedFiles > 0 {
			parts = append(parts, plural(sc.PrunedFiles, "file"))
		}
		s += "; " + strings.Join(parts, " and ") + " not opened (outside the accounts, regions or times asked)"
	}
	if n := len(res.Warnings); n > 0 {
		s += "; " + plural(n, "warning")
	}
	return s + "."
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func eventLabel(e trail.Event) string {
	return e.EventName
}

func denialLabel(d *trail.Denial) string {
	if d == nil {
		return "-"
	}
	s := d.Kind
	if d.PolicyType != "" {
		if d.Kind == trail.KindExplicit {
			s += " deny in " + d.PolicyType
		} else {
			s += ": no " + d.PolicyType + " allows"
		}
	}
	if d.PolicyARN != "" {
		// The policy's id (p-abcd1234) is enough to find it; JSON has the ARN.
		s += " " + d.PolicyARN[strings.LastIndex(d.PolicyARN, "/")+1:]
	}
	if d.Via != "" {
		s += " (through " + d.Via + ")"
	}
	return s
}

// shortCaller keeps the role or user part of an ARN.
func shortCaller(arn string) string {
	if i := strings.Index(arn, ":assumed-role/"); i >= 0 {
		return arn[i+len(":assumed-role/"):]
	}
	if i := strings.LastIndex(arn, ":"); i >= 0 && strings.HasPrefix(arn, "arn:") {
		return arn[i+1:]
	}
	return dash(arn)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func firstOf(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// readEvents reads the events from the source the command line names.
func readEvents(ctx context.Context, s IO, o eventsOptions) (*trail.Result, error) {
	if !o.Source.remote() {
		return trail.Read(ctx, o.Paths, s.In, o.Trail)
	}
	return readTrail(ctx, s, o.Source, o.Trail)
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
