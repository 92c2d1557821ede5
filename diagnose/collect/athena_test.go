package collect_test

import (
	"bytes"
	"context"
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/athena"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"

	"github.com/ecrdoctor/ecrdoctor/diagnose/collect"
	"github.com/ecrdoctor/ecrdoctor/diagnose/collect/awstest"
	"github.com/ecrdoctor/ecrdoctor/diagnose/trail"
)

// engineEvents are the records an engine's table holds for the tests: two
// denials of team/app (source and destination copies), a success, and a
// denial of another repository.
func engineEvents() []awstest.Event {
	src, dst, region := "111111111111", "222222222222", "ap-northeast-1"
	at := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	denied := awstest.Event{ID: "e1", Time: at, Account: src, Region: region, SourceAccount: src, DestAccount: dst, DestRegion: region,
		Repository: "team/app", ErrorCode: "AccessDenied", ErrorMessage: awstest.DeniedMessage(src, dst, region, "team/app")}
	destCopy := denied
	destCopy.ID, destCopy.Account, destCopy.Time = "e2", dst, at.Add(time.Minute)
	ok := denied
	ok.ID, ok.ErrorCode, ok.ErrorMessage, ok.Time = "e3", "", "", at.Add(time.Hour)
	other := denied
	other.ID, other.Repository, other.ErrorMessage = "e4", "other", awstest.DeniedMessage(src, dst, region, "other")
	return []awstest.Event{denied, destCopy, ok, other}
}

func engineQuestion() trail.Options {
	return trail.Options{Repository: "team/app", Accounts: []string{"111111111111", "222222222222"}, Regions: []string{"ap-northeast-1"},
		Since: time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC), Until: time.Date(2024, 5, 2, 0, 0, 0, 0, time.UTC)}
}

func eventIDs(res *trail.Result) []string {
	var ids []string
	for _, e := range res.Events {
		ids = append(ids, e.EventID)
	}
	return ids
}

var queryIDRE = regexp.MustCompile(`query (\S+) started`)

// TestAthenaEvents: the query goes to Athena (moto) with its parameters
// bound, the results are read page by page and decoded as trail records,
// and stderr says what was scanned and what it cost.
func TestAthenaEvents(t *testing.T) {
	env := awstest.New(t)
	var rows [][]*string
	for _, e := range engineEvents() {
		row := athenaRow(t, e.Record())
		var vals []*string
		for _, c := range collect.RowColumns {
			if v := row[c]; v != "" {
				vals = append(vals, aws.String(v))
			} else {
				vals = append(vals, nil)
			}
		}
		rows = append(rows, vals)
	}
	env.Moto.AthenaResults(t, "us-east-1", collect.RowColumns, rows)
	env.Moto.AthenaScanned = 3 << 30
	var log bytes.Buffer
	q := engineQuestion()
	res, err := collect.AthenaEvents(context.Background(), collect.QueryOptions{
		Trail: q, Region: "us-east-1", AWS: envAWS(env), Log: &log, Poll: time.Millisecond,
		Table: "security.cloudtrail_logs_org", OutputLocation: "s3://query-results/ecrdoctor/", PageSize: 2,
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := eventIDs(res), []string{"e2", "e1"}; !slices.Equal(got, want) {
		t.Errorf("events %v, want the two denials of team/app, newest first: %v", got, want)
	}
	if res.Scanned.Records != 4 {
		t.Errorf("rows read = %d, want 4", res.Scanned.Records)
	}
	if env.Moto.AthenaPages() < 3 {
		t.Errorf("%d result pages read, want 3 (5 rows with the header, 2 a page)", env.Moto.AthenaPages())
	}
	for _, want := range []string{"3.2 GB scanned", "about $0.0161"} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, log.String())
		}
	}
	m := queryIDRE.FindStringSubmatch(log.String())
	if m == nil {
		t.Fatalf("no query id on stderr:\n%s", log.String())
	}
	// What Athena received: the query text and its parameters, apart.
	client := athena.NewFromConfig(aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(env.Moto.MotoURL), Credentials: staticCreds()})
	exec, err := client.GetQueryExecution(context.Background(), &athena.GetQueryExecutionInput{QueryExecutionId: aws.String(m[1])})
	if err != nil {
		t.Fatal(err)
	}
	want, _ := collect.AthenaQuery("security.cloudtrail_logs_org", collect.TrailQuery{Repositories: q.Repos(), Accounts: q.Accounts, Regions: q.Regions, Since: q.Since, Until: q.Until})
	if aws.ToString(exec.QueryExecution.Query) != want.SQL || !slices.Equal(exec.QueryExecution.ExecutionParameters, want.Params) {
		t.Errorf("Athena got\n%s\n%q\nwant\n%s\n%q", aws.ToString(exec.QueryExecution.Query), exec.QueryExecution.ExecutionParameters, want.SQL, want.Params)
	}
	if strings.Contains(aws.ToString(exec.QueryExecution.Query), "team/app") {
		t.Error("the repository is in the query text, not a parameter")
	}
	if n := env.Moto.Counts()["athena:StopQueryExecution"]; n != 0 {
		t.Errorf("a finished query was stopped (%d calls)", n)
	}
}

// TestAthenaEventsStopsTheQueryOnInterrupt: a query still running when the
// context ends (an interrupt, or --timeout) is stopped, and the run fails
// instead of answering "nothing found".
func TestAthenaEventsStopsTheQueryOnInterrupt(t *testing.T) {
	env := awstest.New(t)
	env.Moto.AthenaRunning(t, 1_000_000)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { // the user presses ^C once the query has been polled a few times
		for env.Moto.Counts()["athena:GetQueryExecution"] < 3 {
			time.Sleep(5 * time.Millisecond)
		}
		cancel()
	}()
	var log bytes.Buffer
	_, err := collect.AthenaEvents(ctx, collect.QueryOptions{Trail: engineQuestion(), Region: "us-east-1", AWS: envAWS(env), Log: &log,
		Poll: time.Millisecond, Table: "db.trail", Workgroup: "primary"})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want the interrupt", err)
	}
	counts := env.Moto.Counts()
	if counts["athena:StopQueryExecution"] != 1 {
		t.Fatalf("StopQueryExecution calls = %d, want 1 (counts %v)", counts["athena:StopQueryExecution"], counts)
	}
	if !strings.Contains(log.String(), "stopped") {
		t.Errorf("stderr does not say the query was stopped:\n%s", log.String())
	}
}

// TestLakeEvents: the Lake query runs through StartQuery and paged
// GetQueryResults after waiting for it, with values inline (StartQuery binds
// no parameters to a statement), and the rows decode as trail records.
func TestLakeEvents(t *testing.T) {
	env := awstest.New(t)
	lake := awstest.StartLake(t)
	for _, e := range engineEvents() {
		row := athenaRow(t, e.Record())
		row["eventtime"] = strings.Replace(strings.TrimSuffix(row["eventtime"], "Z"), "T", " ", 1) + ".000" // Lake's time format
		lake.Rows = append(lake.Rows, row)
	}
	lake.PageSize, lake.Polls, lake.BytesScanned = 1, 2, 2_000_000_000
	a := envAWS(env)
	a.Lake = func(cfg aws.Config, opts ...func(*cloudtrail.Options)) collect.LakeAPI {
		return cloudtrail.NewFromConfig(cfg, append(opts, func(o *cloudtrail.Options) { o.BaseEndpoint = aws.String(lake.URL) })...)
	}
	var log bytes.Buffer
	q := engineQuestion()
	res, err := collect.LakeEvents(context.Background(), collect.QueryOptions{Trail: q, Region: "us-east-1", AWS: a, Log: &log, Poll: time.Millisecond,
		EventDataStore: "arn:aws:cloudtrail:us-east-1:111111111111:eventdatastore/EXAMPLE-f852-4e8f"})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := eventIDs(res), []string{"e2", "e1"}; !slices.Equal(got, want) {
		t.Errorf("events %v, want %v", got, want)
	}
	if c := lake.Calls(); c["GetQueryResults"] != 2+4 || c["StartQuery"] != 1 {
		t.Errorf("calls %v, want 1 StartQuery and 6 GetQueryResults (2 running, 4 pages)", c)
	}
	want, _ := collect.LakeQuery("EXAMPLE-f852-4e8f", collect.TrailQuery{Repositories: q.Repos(), Accounts: q.Accounts, Regions: q.Regions, Since: q.Since, Until: q.Until})
	if st := lake.Statements(); len(st) != 1 || st[0] != want.SQL {
		t.Errorf("statements %q, want %q", st, want.SQL)
	}
	if !strings.Contains(log.String(), "2.0 GB scanned, about $0.0100") {
		t.Errorf("stderr lacks the data scanned and its cost:\n%s", log.String())
	}
}

func TestLakeEventsCancelsTheQueryOnTimeout(t *testing.T) {
	env := awstest.New(t)
	lake := awstest.StartLake(t)
	lake.Polls = 1_000_000
	a := envAWS(env)
	a.Lake = func(cfg aws.Config, opts ...func(*cloudtrail.Options)) collect.LakeAPI {
		return cloudtrail.NewFromConfig(cfg, append(opts, func(o *cloudtrail.Options) { o.BaseEndpoint = aws.String(lake.URL) })...)
	}
	// --timeout: a deadline, passed while the query runs.
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err := collect.LakeEvents(ctx, collect.QueryOptions{Trail: engineQuestion(), Region: "us-east-1", AWS: a, Poll: 10 * time.Millisecond, EventDataStore: "EXAMPLE-f852"})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the deadline", err)
	}
	if !lake.Cancelled("q-1") {
		t.Errorf("the query was not cancelled (calls %v)", lake.Calls())
	}
}
func staticCreds() aws.CredentialsProvider {
	return credentials.NewStaticCredentialsProvider(awstest.SourceKey, "secret", "")
}

// envAWS reads env's servers through collect.AWS, not the environment.
func envAWS(env *awstest.Env) collect.AWS {
	return collect.AWS{LoadConfig: env.LoadConfig, CloudTrail: env.CloudTrail}
}
