package main

import (
	"bytes"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"

	"github.com/ecrdoctor/ecrdoctor/diagnose"
	"github.com/ecrdoctor/ecrdoctor/diagnose/collect"
	"github.com/ecrdoctor/ecrdoctor/diagnose/collect/awstest"
)

// The seed case live in moto: the grant is in the destination's repository
// policy. CloudTrail's LookupEvents stand-in holds nothing: the denial is
// only in the organization's trail (Athena, Lake or S3), so a report that
// shows it read the engine.
var (
	trailDest = diagnose.Location{Account: "222222222222", Region: "ap-northeast-1"}
	trailSrc  = awstest.SourceAccount
)

var queryIDRE = regexp.MustCompile(`Athena query (\S+) started`)

func seedInMoto(t *testing.T) *awstest.Env {
	env := awstest.New(t)
	env.Build(awstest.Scenario{
		Repository: "my-repo", Region: "ap-northeast-1", Images: 1,
		Rules:        []awstest.Rule{{Destinations: []diagnose.Location{trailDest}}},
		Destinations: map[diagnose.Location]awstest.Destination{trailDest: {RepositoryExists: true, RepositoryPolicy: awstest.RepositoryGrant(trailSrc)}},
	})
	return env
}

func orgDenial(id string, at time.Time) awstest.Event { return denialFrom(trailSrc, id, at) }

func denialFrom(src, id string, at time.Time) awstest.Event {
	return awstest.Event{ID: id, Time: at, Account: src, Region: trailDest.Region, SourceAccount: src,
		DestAccount: trailDest.Account, DestRegion: trailDest.Region, Repository: "my-repo",
		ErrorCode: "AccessDenied", ErrorMessage: awstest.DeniedMessage(src, trailDest.Account, trailDest.Region, "my-repo")}
}

// whyEvidence is the CloudTrail evidence of the report's findings, by source.
func whyEvidence(t *testing.T, stdout string) (*diagnose.Report, []string) {
	t.Helper()
	r := decodeReport(t, stdout)
	var sources []string
	for _, f := range r.Findings {
		for _, e := range f.Evidence {
			if e.Kind == diagnose.EvidenceCloudTrailEvent && !slices.Contains(sources, e.Source.String()) {
				sources = append(sources, e.Source.String())
			}
		}
	}
	return r, sources
}

// whySeed runs why --output json with args and checks what every source
// must give: exit 1 and the seed's root cause first. It returns the report,
// its CloudTrail evidence sources and stderr.
func whySeed(t *testing.T, env *awstest.Env, args ...string) (*diagnose.Report, []string, string) {
	t.Helper()
	code, stdout, stderr := runAWS(t, env, append(append([]string{"why", "--repo", "my-repo"}, args...), "--output", "json")...)
	if code != exitFindings {
		t.Fatalf("exit %d, want 1\n%s%s", code, stdout, stderr)
	}
	r, sources := whyEvidence(t, stdout)
	if got := reportCodes(r); len(got) == 0 || got[0] != "GRANT_IN_REPOSITORY_POLICY" {
		t.Errorf("findings %v, want the root cause GRANT_IN_REPOSITORY_POLICY first", got)
	}
	return r, sources, stderr
}

// noLookups fails when the live run asked LookupEvents.
func noLookups(t *testing.T, env *awstest.Env) {
	t.Helper()
	if calls, _ := env.Trail.Calls(); calls != 0 {
		t.Errorf("LookupEvents was called %d times; the engine replaces it", calls)
	}
}

// TestWhyLiveFromAthena: the live why takes its CloudTrail from one Athena
// query, for exactly the source account and region, the destination, the
// repository and the days asked, and shows the denial it returned (named by
// the query execution id) under the root cause.
func TestWhyLiveFromAthena(t *testing.T) {
	t.Parallel()
	env := seedInMoto(t)
	env.Moto.AthenaScanned = 2 << 30
	// Not --aws-region: the engine runs in the source --region.
	env.Moto.AthenaResults(t, "ap-northeast-1", collect.QueryColumns(), [][]*string{athenaRow(queryRow(orgDenial("org-1", time.Now().Add(-26*time.Hour))))})
	args := []string{"why", "--repo", "my-repo", "--region", "ap-northeast-1", "--assume-role", "EcrdoctorRead", "--since", "3d",
		"--athena-table", "security.cloudtrail_logs_org", "--output-location", "s3://query-results/ecrdoctor/"}
	r, sources, stderr := whySeed(t, env, args[3:]...)
	starts := env.Moto.AthenaStarts()
	if len(starts) != 1 {
		t.Fatalf("%d Athena queries, want 1", len(starts))
	}
	id := queryIDRE.FindStringSubmatch(stderr)
	if id == nil {
		t.Fatalf("stderr does not name the query:\n%s", stderr)
	}
	if want := "athena:" + id[1] + "#1"; !slices.Contains(sources, want) {
		t.Errorf("CloudTrail evidence from %v, want %s (the query's row)", sources, want)
	}
	if r.Events.From != "Athena table security.cloudtrail_logs_org" || !r.Events.Collected || r.Events.Matched != 1 {
		t.Errorf("events summary %+v, want 1 event from the Athena table", r.Events)
	}
	if !strings.Contains(stderr, "2.1 GB scanned, about $0.0107") {
		t.Errorf("stderr does not say what the query scanned and cost:\n%s", stderr)
	}
	noLookups(t, env)
	// Exactly the question: the source and destination accounts, the
	// region, the repository and the days from --since, as parameters.
	p := starts[0].ExecutionParameters
	since := time.Now().UTC().Add(-72 * time.Hour).Format("2006/01/02")
	for _, want := range []string{"'" + trailSrc + "'", "'222222222222'", "'ap-northeast-1'", "'my-repo'", "'" + since + "'"} {
		if !slices.Contains(p, want) {
			t.Errorf("query parameters %q lack %s", p, want)
		}
	}
	if !strings.Contains(starts[0].QueryString, `"timestamp" >= ?`) || !strings.Contains(starts[0].QueryString, "account IN (?, ?)") {
		t.Errorf("the query does not prune by account and day:\n%s", starts[0].QueryString)
	}

	// What a user reads: the root cause, and the evidence named by the query.
	env.Moto.AthenaResults(t, "ap-northeast-1", collect.QueryColumns(), [][]*string{athenaRow(queryRow(orgDenial("org-1", time.Now().Add(-26*time.Hour))))})
	code, stdout, stderr := runAWS(t, env, args...)
	if code != exitFindings {
		t.Fatalf("text: exit %d\n%s%s", code, stdout, stderr)
	}
	text := strings.Join(strings.Fields(stdout), " ") // unwrapped
	if id = queryIDRE.FindStringSubmatch(stderr); id == nil {
		t.Fatalf("text: stderr does not name the query:\n%s", stderr)
	}
	for _, want := range []string{"Root cause: GRANT_IN_REPOSITORY_POLICY", "athena:" + id[1] + "#1", "CloudTrail from Athena table security.cloudtrail_logs_org: 1 record(s) read, 1 replication event(s) for my-repo"} {
		if !strings.Contains(text, want) {
			t.Errorf("the report lacks %q:\n%s", want, stdout)
		}
	}
}

// TestWhyLiveFromLake: --lake runs one CloudTrail Lake query (the stand-in:
// moto has none) pruned on eventTime, for the question's accounts, regions
// and repository; its denial is the evidence.
func TestWhyLiveFromLake(t *testing.T) {
	t.Parallel()
	env := seedInMoto(t)
	lake := awstest.StartLake(t)
	row := queryRow(orgDenial("org-2", time.Now().Add(-5*time.Hour)))
	row["eventtime"] = strings.Replace(strings.TrimSuffix(row["eventtime"], "Z"), "T", " ", 1) + ".000" // Lake's time format
	lake.Rows = []map[string]string{row}
	lake.BytesScanned = 1_000_000_000
	var out, errb bytes.Buffer
	code := runMain([]string{"ecrdoctor", "why", "--repo", "my-repo", "--region", "ap-northeast-1", "--assume-role", "EcrdoctorRead", "--since", "2d",
		"--lake", "arn:aws:cloudtrail:us-east-1:111111111111:eventdatastore/EXAMPLE-f852", "--aws-region", "us-east-1", "--output", "json"},
		IO{In: strings.NewReader(""), Out: &out, Err: &errb, AWS: collect.AWS{LoadConfig: env.LoadConfig, CloudTrail: env.CloudTrail,
			Lake: func(cfg aws.Config, opts ...func(*cloudtrail.Options)) collect.LakeAPI {
				return cloudtrail.NewFromConfig(cfg, append(opts, func(o *cloudtrail.Options) { o.BaseEndpoint = aws.String(lake.URL) })...)
			}}})
	stdout, stderr := out.String(), errb.String()
	if code != exitFindings {
		t.Fatalf("exit %d, want 1\n%s%s", code, stdout, stderr)
	}
	r, sources := whyEvidence(t, stdout)
	if got := reportCodes(r); len(got) == 0 || got[0] != "GRANT_IN_REPOSITORY_POLICY" {
		t.Errorf("findings %v, want GRANT_IN_REPOSITORY_POLICY first", got)
	}
	noLookups(t, env)
	if !slices.Contains(sources, "lake:q-1#1") {
		t.Errorf("CloudTrail evidence from %v, want lake:q-1#1", sources)
	}
	if c := lake.Calls(); c["StartQuery"] != 1 {
		t.Errorf("Lake calls %v: want one StartQuery", c)
	}
	st := lake.Statements()[0]
	since := time.Now().UTC().Add(-48 * time.Hour).Format("2006-01-02 ")
	for _, want := range []string{"FROM EXAMPLE-f852", "recipientAccountId IN ('" + trailSrc + "', '222222222222')", "awsRegion IN ('ap-northeast-1')",
		"= 'my-repo'", "eventTime >= '" + since} {
		if !strings.Contains(st, want) {
			t.Errorf("the Lake query lacks %q:\n%s", want, st)
		}
	}
	if !strings.Contains(stderr, "CloudTrail Lake query q-1: 1.0 GB scanned") {
		t.Errorf("stderr does not say what the query scanned:\n%s", stderr)
	}
}

// TestWhyLiveFromS3: --events s3://… lists only the day folders of the
// accounts and regions of the question within --since, and reads only
// those files (counted GETs); the denial's evidence names its S3 key.
func TestWhyLiveFromS3(t *testing.T) {
	t.Parallel()
	env := seedInMoto(t)
	now := time.Now().UTC()
	files := map[string][]byte{}
	put := func(account, region string, at time.Time, events ...awstest.Event) string {
		key := awstest.TrailKey("o-exampleorgid", account, region, at)
		files[key] = awstest.TrailFile(events...)
		return key
	}
	at := now.Add(-time.Hour).Truncate(time.Minute)
	key := put(trailSrc, "ap-northeast-1", at, orgDenial("org-3", at.Add(-5*time.Minute)))
	put("333333333333", "ap-northeast-1", at, orgDenial("other-account", at.Add(-5*time.Minute)))               // not in the question
	put(trailSrc, "eu-west-1", at, orgDenial("other-region", at.Add(-5*time.Minute)))                           // not in the question
	put(trailSrc, "ap-northeast-1", now.Add(-20*24*time.Hour), orgDenial("too-old", now.Add(-20*24*time.Hour))) // before --since
	env.Moto.PutObjects(t, "org-trail", files)
	env.Moto.ResetCounts()
	_, sources, stderr := whySeed(t, env, "--region", "ap-northeast-1", "--assume-role", "EcrdoctorRead", "--since", "2d",
		"--events", "s3://org-trail/AWSLogs/o-exampleorgid/", "--aws-region", "us-east-1")
	if want := "s3://org-trail/" + key + "#1"; !slices.Equal(sources, []string{want}) {
		t.Errorf("CloudTrail evidence from %v, want only %s", sources, want)
	}
	gets := 0
	for op, n := range env.Moto.Counts() {
		if strings.HasPrefix(op, "s3:GET /org-trail/AWSLogs") {
			gets += n
		}
	}
	if gets != 1 {
		t.Errorf("%d trail files read, want only the question's one (counts %v)", gets, env.Moto.Counts())
	}
	noLookups(t, env)
	if !strings.Contains(stderr, "1 file read") {
		t.Errorf("stderr does not say what S3 read:\n%s", stderr)
	}
}

// TestWhySnapshotWithAthena: with --snapshot, the engine replaces the
// snapshot's own CloudTrail (its lookup-events files), for the window
// ending at the capture time and, without --since, starting 7 days before.
func TestWhySnapshotWithAthena(t *testing.T) {
	t.Parallel()
	env := awstest.New(t)
	env.Moto.AthenaResults(t, "us-east-1", collect.QueryColumns(), [][]*string{athenaRow(queryRow(denialFrom("111111111111", "org-4", time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC))))})
	snap := filepath.Join("..", "..", "fixtures", "seed-grant-in-repository-policy") // captured 2026-11-26T10:00:00Z
	r, sources, stderr := whySeed(t, env, "--snapshot", snap, "--athena-table", "security.trail",
		"--output-location", "s3://query-results/ecrdoctor/", "--aws-region", "us-east-1")
	if len(sources) != 1 || !strings.HasPrefix(sources[0], "athena:") {
		t.Errorf("CloudTrail evidence from %v, want the Athena row only (not the snapshot's lookup-events.json)", sources)
	}
	if r.Events.From != "Athena table security.trail" || r.Events.Matched != 1 {
		t.Errorf("events summary %+v, want the one event of the Athena table", r.Events)
	}
	if !strings.Contains(stderr, "note: CloudTrail comes from Athena table security.trail only") {
		t.Errorf("stderr does not say the snapshot's CloudTrail is replaced:\n%s", stderr)
	}
	p := env.Moto.AthenaStarts()[0].ExecutionParameters
	for _, want := range []string{"'2026/11/19'", "'2026-11-19T10:01:00Z'", "'2026-11-26T10:01:00Z'", "'my-repo'"} {
		if !slices.Contains(p, want) {
			t.Errorf("query parameters %q lack %s (7 days before the capture, to the capture)", p, want)
		}
	}
}

// TestWhyTrailSourceErrors: a source that cannot be read is exit 3 naming
// it; conflicting or misplaced flags are exit 2 naming them.
func TestWhyTrailSourceErrors(t *testing.T) {
	t.Parallel()
	env := seedInMoto(t)
	code, stdout, stderr := runAWS(t, env, "why", "--repo", "my-repo", "--region", "ap-northeast-1", "--assume-role", "EcrdoctorRead",
		"--events", "s3://no-such-trail-bucket/AWSLogs/", "--since", "1d")
	if code != exitInput || !strings.Contains(stderr, "reading CloudTrail from S3 s3://no-such-trail-bucket/AWSLogs/") {
		t.Errorf("a missing bucket: exit %d, want 3 naming it\n%s%s", code, stdout, stderr)
	}
	snap := filepath.Join("..", "..", "fixtures", "seed-grant-in-repository-policy")
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"athena and lake", []string{"--athena-table", "db.t", "--lake", "eds1"}, "--athena-table and --lake are two CloudTrail sources: give one"},
		{"s3 and athena", []string{"--events", "s3://org-trail", "--athena-table", "db.t"}, "--events s3://… and --athena-table are two CloudTrail sources"},
		{"local and lake", []string{"--snapshot", snap, "--events", "x.json", "--lake", "eds1"}, "local --events (x.json) and --lake are two CloudTrail sources"},
		{"max-events with an engine", []string{"--lake", "eds1", "--max-events", "10"}, "--max-events caps LookupEvents, which --lake replaces"},
		{"aws-region without an engine", []string{"--aws-region", "us-east-1"}, "--trail-profile and --aws-region are for --events s3://…"},
		{"dest-profile with a snapshot", []string{"--snapshot", snap, "--lake", "eds1", "--dest-profile", "222222222222=x"}, "--dest-profile reads AWS"},
		{"bad table", []string{"--athena-table", "trail"}, "why: --athena-table"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := run(t, "", append([]string{"why", "--repo", "my-repo"}, tc.args...)...)
			if code != exitUsage || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, stderr %q; want 2 and %q (stdout %s)", code, stderr, tc.want, stdout)
			}
		})
	}
}

// TestWhyStopsTheQueryAtTimeout: a query still running when --timeout
// passes is stopped (StopQueryExecution), and why says so: exit 3, never a
// diagnosis without the CloudTrail asked for.
func TestWhyStopsTheQueryAtTimeout(t *testing.T) {
	t.Parallel()
	env := awstest.New(t)
	env.Moto.AthenaRunning(t, 1_000_000)
	snap := filepath.Join("..", "..", "fixtures", "seed-grant-in-repository-policy")
	code, stdout, stderr := runAWS(t, env, "why", "--repo", "my-repo", "--snapshot", snap, "--athena-table", "security.trail",
		"--workgroup", "primary", "--aws-region", "us-east-1", "--timeout", "2s")
	if code != exitInput {
		t.Fatalf("exit %d, want 3\n%s%s", code, stdout, stderr)
	}
	if stdout != "" {
		t.Errorf("a report was printed without the CloudTrail asked for:\n%s", stdout)
	}
	for _, want := range []string{"stopped", "why: reading CloudTrail from Athena table security.trail", "--timeout 2s passed"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if n := env.Moto.Counts()["athena:StopQueryExecution"]; n != 1 {
		t.Errorf("StopQueryExecution calls = %d, want 1", n)
	}
}
