package collect

import (
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ecrdoctor/ecrdoctor/diagnose/trail"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// golden compares got with testdata/NAME, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to write it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file (go test -update rewrites it):\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

var (
	may1 = time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	may3 = time.Date(2024, 5, 3, 0, 0, 0, 0, time.UTC)
)

func TestAthenaQueryGolden(t *testing.T) {
	cases := []struct {
		name string
		q    TrailQuery
	}{
		{"athena_denied", TrailQuery{Repositories: []string{"team/app"}, Accounts: []string{"111111111111", "222222222222"}, Regions: []string{"ap-northeast-1"}, Since: may1, Until: may3}},
		{"athena_all_unbounded", TrailQuery{Filter: trail.FilterAll}},
		{"athena_any_arn", TrailQuery{Filter: trail.FilterAny, Repositories: []string{"arn:aws:ecr:eu-west-1:222222222222:repository/my-repo"}, Since: may1}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			q, err := AthenaQuery("security.cloudtrail_logs_org", tc.q)
			if err != nil {
				t.Fatal(err)
			}
			checkSQL(t, q.SQL, q.Params)
			golden(t, "sql/"+tc.name+".sql", q.SQL+"\n-- parameters\n"+strings.Join(q.Params, "\n")+"\n")
		})
	}
}

func TestLakeQueryGolden(t *testing.T) {
	q, err := LakeQuery("arn:aws:cloudtrail:us-east-1:111111111111:eventdatastore/EXAMPLE-f852-4e8f-8bd1-bcf6cEXAMPLE",
		TrailQuery{Repositories: []string{"team/app"}, Accounts: []string{"111111111111"}, Regions: []string{"us-east-1", "eu-west-1"}, Since: may1, Until: may3})
	if err != nil {
		t.Fatal(err)
	}
	if len(q.Params) != 0 {
		t.Fatalf("Lake binds no parameters, got %q", q.Params)
	}
	checkSQL(t, q.SQL, nil)
	golden(t, "sql/lake_denied.sql", q.SQL+"\n")
}

// TestAthenaQueryBindsEveryValue: no value the user gave appears in the
// query text; each is a parameter, and the parameters are exactly the
// values, quoted.
func TestAthenaQueryBindsEveryValue(t *testing.T) {
	q, err := AthenaQuery("db.t", TrailQuery{Repositories: []string{"my-repo"}, Accounts: []string{"123456789012"}, Regions: []string{"eu-central-2"}, Since: may1, Until: may3})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"my-repo", "123456789012", "eu-central-2", "2024"} {
		if strings.Contains(q.SQL, v) {
			t.Errorf("%q is in the query text, not bound:\n%s", v, q.SQL)
		}
	}
	want := []string{"'123456789012'", "'eu-central-2'", "'2024/05/01'", "'2024/05/03'", "'2024-05-01T00:00:00Z'", "'2024-05-03T00:00:00Z'", "'my-repo'", "':repository/my-repo'", "':repository/my-repo'"}
	if !reflect.DeepEqual(q.Params, want) {
		t.Errorf("params = %q\nwant %q", q.Params, want)
	}
	// Athena binds the parameters to the ? in order: each must land where
	// its value belongs (the name was once bound to the ARN's tail, so the
	// name test never matched and only the wider strpos kept the rows).
	bound := bindInOrder(t, q)
	for _, want := range []string{
		"json_extract_scalar(requestparameters, '$.repositoryName') = 'my-repo'",
		"strpos(array_join(transform(resources, r -> r.arn), ' '), ':repository/my-repo') > 0",
		"strpos(errormessage, ':repository/my-repo') > 0",
		"account IN ('123456789012')",
		`"timestamp" >= '2024/05/01'`,
	} {
		if !strings.Contains(bound, want) {
			t.Errorf("with its parameters bound, the query lacks %s:\n%s", want, bound)
		}
	}
}

// TestQueryManyRepositories: a question about many repositories at once
// (scan) asks for each, by name and by ARN, in one query.
func TestQueryManyRepositories(t *testing.T) {
	q, err := AthenaQuery("db.t", TrailQuery{Repositories: []string{"team/app", "web", "team/app"}, Since: may1})
	if err != nil {
		t.Fatal(err)
	}
	checkSQL(t, q.SQL, q.Params)
	bound := bindInOrder(t, q)
	for _, want := range []string{
		"json_extract_scalar(requestparameters, '$.repositoryName') IN ('team/app', 'web')",
		"strpos(errormessage, ':repository/team/app') > 0",
		"strpos(errormessage, ':repository/web') > 0",
	} {
		if !strings.Contains(bound, want) {
			t.Errorf("the query lacks %s:\n%s", want, bound)
		}
	}
	if n := strings.Count(bound, ":repository/team/app'"); n != 2 {
		t.Errorf("team/app is asked %d times by ARN, want twice (resources, message): a repeated name is asked once\n%s", n, bound)
	}
	lq, err := LakeQuery("EXAMPLEf852", TrailQuery{Repositories: []string{"team/app", "web"}})
	if err != nil {
		t.Fatal(err)
	}
	checkSQL(t, lq.SQL, nil)
	if !strings.Contains(lq.SQL, "element_at(requestParameters, 'repositoryName') IN ('team/app', 'web')") {
		t.Errorf("Lake query lacks the repositories:\n%s", lq.SQL)
	}
}

// bindInOrder replaces each ? of the query by its parameter, in order, as
// Athena does.
func bindInOrder(t *testing.T, q Query) string {
	t.Helper()
	var b strings.Builder
	i := 0
	for _, r := range q.SQL {
		if r == '?' {
			if i >= len(q.Params) {
				t.Fatalf("more ? than parameters in:\n%s", q.SQL)
			}
			b.WriteString(q.Params[i])
			i++
			continue
		}
		b.WriteRune(r)
	}
	if i != len(q.Params) {
		t.Fatalf("%d parameters for %d ?", len(q.Params), i)
	}
	return b.String()
}

// TestQueriesRefuseHostileValues: a value that could end a literal or add
// SQL is refused with the flag's name for it, before any SQL is written.
func TestQueriesRefuseHostileValues(t *testing.T) {
	hostile := []TrailQuery{
		{Repositories: []string{"x' OR '1'='1"}},
		{Repositories: []string{"ok-repo", "my-repo'--"}},
		{Repositories: []string{"arn:aws:ecr:us-east-1:111111111111:repository/a') UNION SELECT 1 --"}},
		{Accounts: []string{"1111' OR 1=1"}},
		{Accounts: []string{"11111111111"}},
		{Regions: []string{"us-east-1'; DROP TABLE t; --"}},
		{Regions: []string{"us-east-1\n"}},
	}
	for _, q := range hostile {
		if got, err := AthenaQuery("db.t", q); err == nil {
			t.Errorf("Athena accepted %+v:\n%s", q, got.SQL)
		}
		if got, err := LakeQuery("EXAMPLEf852", q); err == nil {
			t.Errorf("Lake accepted %+v:\n%s", q, got.SQL)
		}
	}
	for _, table := range []string{"db", `db.t"; --`, "db.T", "db.t.u", "db.t;"} {
		if _, err := AthenaQuery(table, TrailQuery{}); err == nil {
			t.Errorf("Athena accepted table %q", table)
		}
	}
	for _, store := range []string{"eds'; --", "arn:aws:cloudtrail:us-east-1:111111111111:eventdatastore/x y", "", "arn:aws:s3:::b"} {
		if _, err := LakeQuery(store, TrailQuery{}); err == nil {
			t.Errorf("Lake accepted store %q", store)
		}
	}
}

// TestSQLStringQuotes: the one quoting function doubles quotes, so a value
// stays one literal whatever it holds.
func TestSQLStringQuotes(t *testing.T) {
	for in, want := range map[string]string{
		"plain":         "'plain'",
		"it's":          "'it''s'",
		"'; DROP --":    "'''; DROP --'",
		"''":            "''''''",
		`back\slash'`:   `'back\slash'''`,
		"":              "''",
		"multi\nline'x": "'multi\nline''x'",
	} {
		got := sqlString(in)
		if got != want {
			t.Errorf("sqlString(%q) = %s, want %s", in, got, want)
		}
		toks, err := sqlTokens(got)
		if err != nil || len(toks) != 1 || toks[0].kind != tokString {
			t.Errorf("sqlString(%q) = %s is not one string literal: %v %v", in, got, toks, err)
		}
	}
}

func TestAthenaDDLGolden(t *testing.T) {
	cases := []struct {
		name string
		o    DDLOptions
	}{
		{"ddl_org_enumerated", DDLOptions{Table: "security.cloudtrail_logs_org", Bucket: "org-trail-logs", Prefix: "/central/", OrganizationID: "o-exampleorgid",
			Accounts: []string{"111111111111", "222222222222"}, Regions: []string{"us-east-1", "ap-northeast-1"}, Start: may1}},
		{"ddl_injected", DDLOptions{Bucket: "my.trail.bucket"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ddl, _, err := AthenaDDL(tc.o)
			if err != nil {
				t.Fatal(err)
			}
			checkSQL(t, ddl, nil)
			golden(t, "sql/"+tc.name+".sql", ddl)
		})
	}
}

func TestAthenaDDLValidates(t *testing.T) {
	base := DDLOptions{Bucket: "org-trail-logs"}
	cases := []struct {
		name string
		edit func(*DDLOptions)
		want string
	}{
		{"short bucket", func(o *DDLOptions) { o.Bucket = "ab" }, "3 to 63"},
		{"upper-case bucket", func(o *DDLOptions) { o.Bucket = "Org-Trail" }, "lower-case"},
		{"quote in bucket", func(o *DDLOptions) { o.Bucket = "a'b-c" }, "lower-case"},
		{"ip bucket", func(o *DDLOptions) { o.Bucket = "192.168.5.4" }, "IP address"},
		{"double dot", func(o *DDLOptions) { o.Bucket = "a..b" }, "two periods"},
		{"hyphen end", func(o *DDLOptions) { o.Bucket = "abc-" }, "begin and end"},
		{"reserved prefix", func(o *DDLOptions) { o.Bucket = "xn--abc" }, "reserved"},
		{"reserved suffix", func(o *DDLOptions) { o.Bucket = "abc-s3alias" }, "reserved"},
		{"quote in prefix", func(o *DDLOptions) { o.Prefix = "logs'/x" }, "prefix"},
		{"dot-dot prefix", func(o *DDLOptions) { o.Prefix = "a/../b" }, "prefix"},
		{"template in prefix", func(o *DDLOptions) { o.Prefix = "${account}" }, "prefix"},
		{"org id", func(o *DDLOptions) { o.OrganizationID = "o-abc" }, "organization id"},
		{"account", func(o *DDLOptions) { o.Accounts = []string{"1234"} }, "12-digit"},
		{"region", func(o *DDLOptions) { o.Regions = []string{"us-east-1','x"} }, "region"},
		{"table", func(o *DDLOptions) { o.Table = "Logs" }, "table"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := base
			tc.edit(&o)
			_, _, err := AthenaDDL(o)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one saying %q", err, tc.want)
			}
		})
	}
	_, notes, err := AthenaDDL(base)
	if err != nil {
		t.Fatalf("valid options refused: %v", err)
	}
	if len(notes) != 2 || !strings.Contains(notes[0], "--account") || !strings.Contains(notes[1], "--region") {
		t.Errorf("injected partitions: notes = %q, want one naming --account and one --region", notes)
	}
}
