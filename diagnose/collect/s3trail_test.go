package collect_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/ecrdoctor/ecrdoctor/diagnose/awsid"
	"github.com/ecrdoctor/ecrdoctor/diagnose/collect"
	"github.com/ecrdoctor/ecrdoctor/diagnose/collect/awstest"
	"github.com/ecrdoctor/ecrdoctor/diagnose/trail"
)

var (
	trailAccounts = []string{"111111111111", "222222222222", "333333333333"}
	trailRegions  = []string{"us-east-1", "ap-northeast-1"}
)

// trailLayout is a month of an organization trail: every account and
// region delivers files at 00:05, 08:05 and 16:05 each day of May 2024,
// each holding a denial of team/app and a success of another repository.
// It returns the keys and their gzipped contents.
func trailLayout(t testing.TB, days int) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	start := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	for d := range days {
		for _, acct := range trailAccounts {
			for _, region := range trailRegions {
				for _, h := range []int{0, 8, 16} {
					delivered := start.AddDate(0, 0, d).Add(time.Duration(h)*time.Hour + 5*time.Minute)
					at := delivered.Add(-4 * time.Minute)
					id := fmt.Sprintf("%s-%s-%s", acct, region, delivered.Format("20060102T1504"))
					denied := awstest.Event{ID: id + "-d", Time: at, Account: acct, Region: region, SourceAccount: acct, DestAccount: "999999999999", DestRegion: region,
						Repository: "team/app", ErrorCode: "AccessDenied", ErrorMessage: awstest.DeniedMessage(acct, "999999999999", region, "team/app")}
					ok := denied
					ok.ID, ok.Repository, ok.ErrorCode, ok.ErrorMessage = id+"-ok", "other", "", ""
					files[awstest.TrailKey("o-exampleorgid", acct, region, delivered)] = awstest.TrailFile(denied, ok)
				}
			}
		}
	}
	// A digest file is not a log file.
	files["AWSLogs/o-exampleorgid/111111111111/CloudTrail-Digest/us-east-1/2024/05/01/digest.json.gz"] = []byte("{}")
	return files
}

// putTrail creates the bucket in moto and uploads the files.
func putTrail(t testing.TB, env *awstest.Env, bucket string, files map[string][]byte) {
	t.Helper()
	env.Moto.PutObjects(t, bucket, files)
}

// writeLocal writes the same files into a folder.
func writeLocal(t testing.TB, files map[string][]byte) string {
	t.Helper()
	dir := t.TempDir()
	for k, v := range files {
		p := filepath.Join(dir, filepath.FromSlash(k))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, v, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// gets counts the GetObject requests the proxy saw for the bucket's keys.
func gets(counts map[string]int, bucket string) (getObjects, lists int) {
	for op, n := range counts {
		switch {
		case strings.HasPrefix(op, "s3:GET /"+bucket+"/"):
			getObjects += n
		case op == "s3:GET /"+bucket || op == "s3:GET /"+bucket+"/":
			lists += n
		}
	}
	return getObjects, lists
}

func stripSource(evs []trail.Event) []trail.Event {
	out := append([]trail.Event(nil), evs...)
	for i := range out {
		out[i].Source = awsid.Source{}
	}
	return out
}

// TestS3EventsReadsOnlyTheDaysAsked: a one-day question about one account
// and region of a month-long organization trail gets only that day's files
// (and those delivered within the delivery margin after it), and finds what
// reading the same files from disk finds.
func TestS3EventsReadsOnlyTheDaysAsked(t *testing.T) {
	env := awstest.New(t)
	files := trailLayout(t, 31)
	putTrail(t, env, "org-trail", files)
	local := writeLocal(t, files)

	// The files a question may need are those trail.Read opens for it on
	// disk: the day's, and those delivered within the delivery margin after
	// --until. None of another day, account or region is read.
	may10, may11 := time.Date(2024, 5, 10, 0, 0, 0, 0, time.UTC), time.Date(2024, 5, 11, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		name    string
		url     string
		opts    trail.Options
		keyPart []string // every key read contains one of these
		// The day's 3 files and the 00:05 file of the next day (delivered
		// within trail's 2 h margin after --until), per account and region.
		wantGets int
	}{
		{"one day, one account and region", "s3://org-trail", trail.Options{Accounts: []string{"222222222222"}, Regions: []string{"ap-northeast-1"}, Since: may10, Until: may11},
			[]string{"/222222222222/CloudTrail/ap-northeast-1/2024/05/10/", "/222222222222/CloudTrail/ap-northeast-1/2024/05/11/"}, 4},
		{"one day, all accounts and regions", "s3://org-trail/AWSLogs/", trail.Options{Since: may10, Until: may11},
			[]string{"/2024/05/10/", "/2024/05/11/"}, 6 * 4},
		// A URL that goes into the layout narrows it too.
		{"url names the region folder", "s3://org-trail/AWSLogs/o-exampleorgid/111111111111/CloudTrail/us-east-1/", trail.Options{Since: time.Date(2024, 5, 31, 12, 0, 0, 0, time.UTC)},
			[]string{"/111111111111/CloudTrail/us-east-1/2024/05/31/"}, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env.Moto.ResetCounts()
			var progress bytes.Buffer
			res, stats, err := collect.S3Events(context.Background(), collect.S3Options{URLs: []string{tc.url}, Trail: tc.opts, Region: "us-east-1", AWS: envAWS(env), Progress: &progress})
			if err != nil {
				t.Fatal(err)
			}
			counts := env.Moto.Counts()
			got, lists := gets(counts, "org-trail")
			localPath := local
			if rest, ok := strings.CutPrefix(tc.url, "s3://org-trail/"); ok {
				localPath = filepath.Join(local, filepath.FromSlash(rest))
			}
			want, err := trail.Read(context.Background(), []string{localPath}, nil, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.wantGets || got != want.Scanned.Files || stats.Keys != got {
				t.Errorf("GETs = %d (keys %d), want %d, as many as files read from disk for the same question (%d)", got, stats.Keys, tc.wantGets, want.Scanned.Files)
			}
			for op := range counts {
				key, ok := strings.CutPrefix(op, "s3:GET /org-trail/")
				if ok && !slices.ContainsFunc(tc.keyPart, func(p string) bool { return strings.Contains(key, p) }) {
					t.Errorf("read %s, outside the question", key)
				}
			}
			if lists != stats.Lists {
				t.Errorf("lists seen by the proxy %d, counted %d", lists, stats.Lists)
			}
			if len(res.Events) == 0 {
				t.Fatal("no event found")
			}
			if !reflect.DeepEqual(stripSource(res.Events), stripSource(want.Events)) {
				t.Errorf("S3 found %d events, the same files on disk %d", len(res.Events), len(want.Events))
			}
			if res.Scanned.Records != want.Scanned.Records {
				t.Errorf("records scanned: S3 %d, disk %d", res.Scanned.Records, want.Scanned.Records)
			}
		})
	}
}

// TestS3EventsSaysWhenTheLayoutIsMissing: a URL above the trail's own
// prefix finds no account folder; a warning says so rather than a silent
// "nothing found".
func TestS3EventsSaysWhenTheLayoutIsMissing(t *testing.T) {
	env := awstest.New(t)
	putTrail(t, env, "prefixed", map[string][]byte{"central/AWSLogs/111111111111/CloudTrail/us-east-1/2024/05/01/x.json": []byte(`{"Records":[]}`)})
	res, _, err := collect.S3Events(context.Background(), collect.S3Options{URLs: []string{"s3://prefixed"}, Region: "us-east-1", AWS: envAWS(env)})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "prefix missing") {
		t.Errorf("warnings %q, want one asking for the trail's prefix", res.Warnings)
	}
	res, _, err = collect.S3Events(context.Background(), collect.S3Options{URLs: []string{"s3://prefixed/central"}, Region: "us-east-1", AWS: envAWS(env)})
	if err != nil || len(res.Warnings) != 0 || res.Scanned.Files != 1 {
		t.Errorf("with the prefix: err %v, warnings %q, files %d; want the one file", err, res.Warnings, res.Scanned.Files)
	}
}

func TestS3EventsRefusesBadURLs(t *testing.T) {
	for _, u := range []string{"s3://Bad_Bucket/x", "https://bucket/x", "s3://ab"} {
		if _, _, err := collect.S3Events(context.Background(), collect.S3Options{URLs: []string{u}, Region: "us-east-1", AWS: collect.AWS{}}); err == nil {
			t.Errorf("%s accepted", u)
		}
	}
}

// The S3 scan's throughput (local, an in-process S3 stand-in, moto) is
// BenchmarkS3Scan in cmd/trailgen, on the generator's realistic files.

// BenchmarkS3ListOneDayOfAYear: the list requests and keys of a one-day
// question about one account and region over a year-long layout.
func BenchmarkS3ListOneDayOfAYear(b *testing.B) {
	env := awstest.New(b)
	files := map[string][]byte{}
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for d := range 366 {
		day := start.AddDate(0, 0, d)
		for _, acct := range trailAccounts {
			key := fmt.Sprintf("AWSLogs/%s/CloudTrail/us-east-1/%s/%s_CloudTrail_us-east-1_%s_x.json", acct, day.Format("2006/01/02"), acct, day.Add(5*time.Minute).Format("20060102T1504Z"))
			files[key] = []byte(`{"Records":[]}`)
		}
	}
	putTrail(b, env, "year-trail", files)
	opts := trail.Options{Accounts: []string{"111111111111"}, Regions: []string{"us-east-1"},
		Since: time.Date(2024, 7, 1, 0, 0, 0, 0, time.UTC), Until: time.Date(2024, 7, 2, 0, 0, 0, 0, time.UTC)}
	var stats *collect.S3Stats
	for b.Loop() {
		var err error
		if _, stats, err = collect.S3Events(context.Background(), collect.S3Options{URLs: []string{"s3://year-trail"}, Trail: opts, Region: "us-east-1", AWS: envAWS(env)}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(stats.Lists), "lists/op")
	b.ReportMetric(float64(stats.Prefixes), "day-folders/op")
	b.ReportMetric(float64(stats.Keys), "keys/op")
}

// TestS3EventsListsFoldersSideBySide: a question without --since or
// --until lists every account and region's year, month and day folders;
// they are listed side by side, not one round trip after another (against
// a distant S3, 3 round trips instead of 3 per account and region before
// the first GET), and the scan still finds what the same files on disk
// hold.
func TestS3EventsListsFoldersSideBySide(t *testing.T) {
	files := trailLayout(t, 31)
	s := awstest.StartS3StandIn(t, "org-trail", files)
	// Long enough that listings started side by side overlap even on a
	// loaded machine (10 ms left a peak of 1 there now and then).
	s.Latency = 50 * time.Millisecond
	a := collect.AWS{LoadConfig: func(context.Context, string, string) (aws.Config, error) {
		return aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(s.URL), Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", "")}, nil
	}}
	opts := trail.Options{Repository: "team/app"}
	res, stats, err := collect.S3Events(context.Background(), collect.S3Options{URLs: []string{"s3://org-trail"}, Trail: opts, Region: "us-east-1", AWS: a})
	if err != nil {
		t.Fatal(err)
	}
	want, err := trail.Read(context.Background(), []string{writeLocal(t, files)}, nil, opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Events) == 0 || !reflect.DeepEqual(stripSource(res.Events), stripSource(want.Events)) || res.Scanned.Files != want.Scanned.Files {
		t.Errorf("S3 found %d events in %d files, the same files on disk %d in %d", len(res.Events), res.Scanned.Files, len(want.Events), want.Scanned.Files)
	}
	if got := int(s.Gets.Load()); got != stats.Keys || got != want.Scanned.Files {
		t.Errorf("GETs %d, keys %d, want one per file on disk (%d)", got, stats.Keys, want.Scanned.Files)
	}
	if peak := s.PeakFolderLists.Load(); peak < 2 {
		t.Errorf("at most %d folder listing in flight: the %d region folders' years, months and days were listed one after another", peak, len(trailRegions)*len(trailAccounts))
	}
}
