package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/ecrdoctor/ecrdoctor/diagnose/collect"
	"github.com/ecrdoctor/ecrdoctor/diagnose/collect/awstest"
)

// sourceDenial is the seed denial as an org trail in S3 or an Athena table
// holds it.
func sourceDenial() awstest.Event {
	src, dst, region := "111111111111", "222222222222", "ap-northeast-1"
	return awstest.Event{ID: "e1", Time: time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC), Account: src, Region: region, SourceAccount: src,
		DestAccount: dst, DestRegion: region, Repository: "my-repo", ErrorCode: "AccessDenied", ErrorMessage: awstest.DeniedMessage(src, dst, region, "my-repo")}
}

// queryRow is the row an Athena or Lake query of ecrdoctor's returns for
// e: its record in the query's columns (collect.QueryColumns).
func queryRow(e awstest.Event) map[string]string {
	rec, _ := json.Marshal(e.Record())
	var r struct {
		EventID, EventTime, EventSource, EventName, AWSRegion, RecipientAccountID, ErrorCode, ErrorMessage string
		UserIdentity                                                                                       struct{ Type, ARN, AccountID string }
		RequestParameters                                                                                  struct{ RepositoryName, RegistryID string }
	}
	json.Unmarshal(rec, &r)
	return map[string]string{"eventid": r.EventID, "eventtime": r.EventTime, "eventsource": r.EventSource, "eventname": r.EventName,
		"awsregion": r.AWSRegion, "recipientaccountid": r.RecipientAccountID, "errorcode": r.ErrorCode, "errormessage": r.ErrorMessage,
		"useridentitytype": r.UserIdentity.Type, "useridentityarn": r.UserIdentity.ARN, "useridentityaccountid": r.UserIdentity.AccountID,
		"repositoryname": r.RequestParameters.RepositoryName, "registryid": r.RequestParameters.RegistryID}
}

// athenaRow is a query row as moto's Athena answers it: the columns in
// order, nil for NULL.
func athenaRow(vals map[string]string) []*string {
	var row []*string
	for _, c := range collect.QueryColumns() {
		if v, ok := vals[c]; ok && v != "" {
			row = append(row, aws.String(v))
		} else {
			row = append(row, nil)
		}
	}
	return row
}

// TestEventsFromS3: events reads an organization trail's bucket.
func TestEventsFromS3(t *testing.T) {
	t.Parallel()
	env := awstest.New(t)
	files := map[string][]byte{}
	for _, day := range []int{30, 31, 32} { // April 30 to May 2
		delivered := time.Date(2024, 4, day, 10, 5, 0, 0, time.UTC)
		files[awstest.TrailKey("o-exampleorgid", "111111111111", "ap-northeast-1", delivered)] = awstest.TrailFile(sourceDenial())
	}
	env.Moto.PutObjects(t, "org-trail", files)
	env.Moto.ResetCounts()
	code, stdout, stderr := runAWS(t, env, "events", "s3://org-trail", "--since", "2024-05-01", "--until", "2024-05-01", "--aws-region", "us-east-1", "--account", "111111111111")
	if code != exitFindings {
		t.Fatalf("exit %d, want 1 (a denial)\n%s%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "my-repo") || !strings.Contains(stdout, "222222222222 ap-northeast-1") {
		t.Errorf("the denial is not listed:\n%s", stdout)
	}
	if !strings.Contains(stderr, "S3: 4 list requests over 2 day folders, 1 file read") {
		t.Errorf("stderr does not say what S3 read:\n%s", stderr)
	}
	gets := 0
	for op, n := range env.Moto.Counts() {
		if strings.HasPrefix(op, "s3:GET /org-trail/") {
			gets += n
		}
	}
	if gets != 1 {
		t.Errorf("%d objects read, want only May 1's", gets)
	}
}

// TestEventsFromAthena: --athena-table runs the query and lists what it
// returns; stderr says what the query scanned.
func TestEventsFromAthena(t *testing.T) {
	t.Parallel()
	env := awstest.New(t)
	row := athenaRow(queryRow(sourceDenial()))
	env.Moto.AthenaResults(t, "us-east-1", collect.QueryColumns(), [][]*string{row})
	code, stdout, stderr := runAWS(t, env, "events", "--athena-table", "security.trail", "--output-location", "s3://results/ecrdoctor/",
		"--aws-region", "us-east-1", "--repo", "my-repo", "--since", "2024-05-01", "--until", "2024-05-01")
	if code != exitFindings {
		t.Fatalf("exit %d, want 1 (a denial)\n%s%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "1 denied replication call (my-repo) in 1 row of the query.") {
		t.Errorf("the denial is not listed:\n%s", stdout)
	}
	if !strings.Contains(stderr, "scanned, about $") {
		t.Errorf("stderr does not say what the query scanned:\n%s", stderr)
	}

	// JSON, for a ticket bot: the same event, and no null list.
	env.Moto.AthenaResults(t, "us-east-1", collect.QueryColumns(), [][]*string{row})
	code, stdout, stderr = runAWS(t, env, "events", "--athena-table", "security.trail", "--output-location", "s3://results/ecrdoctor/",
		"--aws-region", "us-east-1", "--repo", "my-repo", "--since", "2024-05-01", "--until", "2024-05-01", "-o", "json")
	if code != exitFindings {
		t.Fatalf("json: exit %d, want 1\n%s%s", code, stdout, stderr)
	}
	var doc struct {
		Events []struct {
			EventID string `json:"event_id"`
		}
		Warnings   []string
		Incomplete []string `json:"incomplete_files"`
	}
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatalf("json: %v\n%s", err, stdout)
	}
	if len(doc.Events) != 1 || doc.Events[0].EventID != "e1" || doc.Warnings == nil || doc.Incomplete == nil {
		t.Errorf("json: %s", stdout)
	}
}

func TestEventsSourceUsage(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"two sources", []string{"events", "--athena-table", "db.t", "--lake", "eds1"}, "--athena-table and --lake are two CloudTrail sources: give one"},
		{"s3 and athena", []string{"events", "s3://org-trail", "--athena-table", "db.t"}, "PATH s3://… and --athena-table are two CloudTrail sources"},
		{"files and athena", []string{"events", "x.json", "--athena-table", "db.t"}, "local PATH (x.json) and --athena-table are two CloudTrail sources"},
		{"bad table", []string{"events", "--athena-table", `db.t"; DROP`}, "--athena-table"},
		{"table without database", []string{"events", "--athena-table", "trail"}, "DATABASE.TABLE"},
		{"bad lake", []string{"events", "--lake", "x y"}, "--lake"},
		{"bad workgroup", []string{"events", "--athena-table", "db.t", "--workgroup", "a b"}, "--workgroup"},
		{"bad output location", []string{"events", "--athena-table", "db.t", "--output-location", "results"}, "--output-location"},
		{"workgroup without athena", []string{"events", "x.json", "--workgroup", "primary"}, "are for --athena-table"},
		{"bad bucket", []string{"events", "s3://Bad_Bucket/AWSLogs"}, "bucket"},
		{"bad repository for athena", []string{"events", "--athena-table", "db.t", "--repo", "x' OR '1'='1", "--aws-region", "us-east-1"}, "repository"},
		{"profile without a remote source", []string{"events", "x.json", "--profile", "p"}, "are for PATH s3://"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := run(t, "", tc.args...)
			if code != exitUsage || !strings.Contains(stderr, tc.want) {
				t.Fatalf("exit %d, stderr %q; want 2 and %q (stdout %s)", code, stderr, tc.want, stdout)
			}
		})
	}
}
