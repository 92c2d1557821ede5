package trail

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ecrdoctor/ecrdoctor/diagnose/awsid"
)

func read(t *testing.T, paths []string, stdin []byte, opts Options) *Result {
	t.Helper()
	res, err := Read(context.Background(), paths, bytes.NewReader(stdin), opts)
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	return res
}

// lookupOutput is LookupEvents output as the AWS CLI prints it: v2 writes
// EventTime as ISO 8601, v1 as epoch seconds.
func lookupOutput(t testing.TB, v1 bool, recs ...rec) []byte {
	type ev struct {
		EventID         string `json:"EventId"`
		EventName       string
		ReadOnly        string
		EventTime       any
		EventSource     string
		Username        string
		Resources       []any
		CloudTrailEvent string
	}
	var evs []ev
	for _, r := range recs {
		var when any = strings.Replace(r.EventTime, "Z", "+00:00", 1)
		if v1 {
			tm, _ := time.Parse(time.RFC3339, r.EventTime)
			when = float64(tm.Unix())
		}
		evs = append(evs, ev{r.EventID, r.EventName, "false", when, r.EventSource, "ECRReplication", []any{}, string(marshal(t, r))})
	}
	b, err := json.MarshalIndent(map[string]any{"Events": evs, "NextToken": "eyJ0b2tlbiI6IDF9"}, "", "    ")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestReadShapes(t *testing.T) {
	a, b := seedRec("e-a"), seedRec("e-b")
	b.EventTime = "2024-05-02T10:00:00Z"
	pretty, _ := json.MarshalIndent(map[string]any{"Records": []rec{a, b}}, "", "  ")
	sortedKeys := func() []byte { // jq -S puts additionalEventData, awsRegion ... first
		var v any
		json.Unmarshal(trailFile(t, a, b), &v)
		out, _ := json.Marshal(v) // maps marshal with sorted keys
		return out
	}()
	jsonl := append(append(marshal(t, a), '\n'), append(marshal(t, b), '\n')...)
	sdk := marshal(t, map[string]any{"Events": []map[string]any{
		{"EventId": "e-a", "EventTime": "2024-05-01T10:00:00Z", "CloudTrailEvent": string(marshal(t, a))},
		{"EventId": "e-b", "EventTime": "2024-05-02T10:00:00Z", "CloudTrailEvent": string(marshal(t, b))},
	}, "NextToken": nil, "ResultMetadata": map[string]any{}})
	cases := []struct {
		name string
		data []byte
	}{
		{"trail file, one line", trailFile(t, a, b)},
		{"trail file, gzipped", gz(t, trailFile(t, a, b))},
		{"trail file, pretty-printed", pretty},
		{"trail file, keys sorted", sortedKeys},
		{"array of records", marshal(t, []rec{a, b})},
		{"JSON lines", jsonl},
		{"JSON lines, gzipped", gz(t, jsonl)},
		{"LookupEvents, AWS CLI v2", lookupOutput(t, false, a, b)},
		{"LookupEvents, AWS CLI v1", lookupOutput(t, true, a, b)},
		{"LookupEvents, SDK output marshalled", sdk},
		{"LookupEvents, gzipped", gz(t, lookupOutput(t, false, a, b))},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := writeFile(t, t.TempDir(), "in.json", tc.data)
			for _, via := range []string{"file", "stdin"} {
				var res *Result
				if via == "file" {
					res = read(t, []string{p}, nil, Options{})
				} else {
					res = read(t, []string{"-"}, tc.data, Options{})
				}
				if got := ids(res.Events); !slices.Equal(got, []string{"e-b", "e-a"}) {
					t.Fatalf("%s: events %v, want [e-b e-a] (newest first); warnings %v", via, got, res.Warnings)
				}
				if res.Scanned.Records != 2 || res.Scanned.Files != 1 || len(res.Warnings) != 0 {
					t.Fatalf("%s: scanned %+v, warnings %v", via, res.Scanned, res.Warnings)
				}
				e := res.Events[1]
				want := Event{
					EventID: "e-a", Time: time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC), Account: srcAccount, Region: "ap-northeast-1",
					EventName: "ReplicateImage", Caller: slrARN, CallerType: "AssumedRole", CallerAccount: srcAccount, ErrorCode: "AccessDenied", ErrorMessage: seedMsg,
					Repository: "my-repo", RepositoryARN: "arn:aws:ecr:ap-northeast-1:222222222222:repository/my-repo",
					Destination: Location{Account: dstAccount, Region: "ap-northeast-1"}, Denial: &Denial{Kind: KindImplicit, PolicyType: PolicyResource},
				}
				e.Source = awsid.Source{}
				if e.Denial == nil || *e.Denial != *want.Denial {
					t.Fatalf("%s: denial %+v", via, e.Denial)
				}
				e.Denial, want.Denial = nil, nil
				if e != want {
					t.Fatalf("%s: event\n%+v\nwant\n%+v", via, e, want)
				}
			}
		})
	}
}

func TestRepositoryMatchesExactly(t *testing.T) {
	recs := []rec{seedRec("hit")}
	for i, name := range []string{"my-repo-legacy", "team/my-repo", "my-repo2", "my-rep", "MY-REPO"} {
		recs = append(recs, withRepo(seedRec(fmt.Sprint("near-", i)), name))
	}
	p := writeFile(t, t.TempDir(), "t.json", trailFile(t, recs...))
	if got := ids(read(t, []string{p}, nil, Options{Repository: "my-repo"}).Events); !slices.Equal(got, []string{"hit"}) {
		t.Fatalf("--repo my-repo listed %v, want only [hit]", got)
	}
	if got := ids(read(t, []string{p}, nil, Options{Repository: "team/my-repo"}).Events); !slices.Equal(got, []string{"near-1"}) {
		t.Fatalf("--repo team/my-repo listed %v", got)
	}
	arn := "arn:aws:ecr:ap-northeast-1:222222222222:repository/my-repo"
	if got := ids(read(t, []string{p}, nil, Options{Repository: arn}).Events); !slices.Equal(got, []string{"hit"}) {
		t.Fatalf("--repo %s listed %v", arn, got)
	}
	// Many repositories at once (scan): any of them, still exactly.
	if got := ids(read(t, []string{p}, nil, Options{Repositories: []string{"my-repo", "my-repo2"}}).Events); !slices.Equal(got, []string{"hit", "near-2"}) {
		t.Fatalf("repositories my-repo and my-repo2 listed %v, want [hit near-2]", got)
	}
}

// TestRepositorySources: the repository comes from the message, else the
// resources, else the request (with the registry id for the account).
func TestRepositorySources(t *testing.T) {
	fromResources := seedRec("res")
	fromResources.ErrorMessage = "Access denied"
	fromResources.RequestParameters = nil
	fromResources.Resources = append(fromResources.Resources, struct {
		ARN       string `json:"ARN"`
		AccountID string `json:"accountId"`
		Type      string `json:"type,omitempty"`
	}{"arn:aws:ecr:eu-west-1:333333333333:repository/my-repo", "333333333333", "AWS::ECR::Repository"})
	fromParams := seedRec("params")
	fromParams.ErrorMessage = "Access denied"
	fromParams.AWSRegion = "us-east-1"
	p := writeFile(t, t.TempDir(), "t.json", trailFile(t, fromResources, fromParams))
	res := read(t, []string{p}, nil, Options{Repository: "my-repo"})
	got := map[string]Location{}
	for _, e := range res.Events {
		got[e.EventID] = e.Destination
	}
	want := map[string]Location{"res": {Account: "333333333333", Region: "eu-west-1"}, "params": {Account: dstAccount, Region: "us-east-1"}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("destinations %v, want %v", got, want)
	}
}

func TestFilters(t *testing.T) {
	ok := succeeded(seedRec("ok"))
	denied := seedRec("denied")
	human := seedRec("human") // a person denied BatchGetImage: not replication
	human.EventName = "BatchGetImage"
	human.UserIdentity.ARN = "arn:aws:sts::222222222222:assumed-role/Developer/alice"
	human.UserIdentity.InvokedBy = ""
	human.ErrorMessage = strings.ReplaceAll(strings.Replace(seedMsg, slrARN, human.UserIdentity.ARN, 1), "ReplicateImage", "BatchGetImage")
	template := seedRec("template") // a near-miss event name
	template.EventName = "CreateRepositoryCreationTemplate"
	dstCopy := seedRec("dst-copy") // the destination's copy names no role ARN
	dstCopy.UserIdentity.Type, dstCopy.UserIdentity.ARN = "AWSAccount", ""
	dstCopy.RecipientAccountID = dstAccount
	serviceOK := succeeded(seedRec("service-ok"))
	serviceOK.UserIdentity.Type, serviceOK.UserIdentity.ARN = "AWSService", ""
	p := writeFile(t, t.TempDir(), "t.json", trailFile(t, ok, denied, human, template, dstCopy, serviceOK))
	for _, tc := range []struct {
		filter Filter
		want   []string
	}{
		{FilterFailures, []string{"denied", "dst-copy"}},
		{FilterAll, []string{"denied", "dst-copy", "ok", "service-ok"}},
		{FilterAny, []string{"denied", "dst-copy", "human", "template"}},
	} {
		got := ids(read(t, []string{p}, nil, Options{Filter: tc.filter}).Events)
		if !slices.Equal(got, tc.want) {
			t.Errorf("filter %d: %v, want %v", tc.filter, got, tc.want)
		}
	}
}

// TestNoLeftoverFields: a record without errorCode right after one with it
// must not inherit it, in either reading path and across files.
func TestNoLeftoverFields(t *testing.T) {
	failed := seedRec("failed")
	okAfter := succeeded(seedRec("ok-after"))
	okAfter.EventTime = "2024-05-01T10:00:01Z"
	okAfter.RequestParameters = nil // nor the repository
	dir := t.TempDir()
	one := trailFile(t, failed, okAfter, okAfter)
	pretty, _ := json.MarshalIndent(map[string]any{"Records": []rec{failed, okAfter}}, "", " ")
	p1 := writeFile(t, dir, "a.json", one)
	p2 := writeFile(t, dir, "b.json", pretty)
	p3 := writeFile(t, dir, "c.json", lookupOutput(t, false, failed, okAfter))
	p4 := writeFile(t, dir, "d.json", trailFile(t, okAfter)) // a whole file after a failing one
	for _, f := range []Filter{FilterFailures, FilterAny} {
		res := read(t, []string{p1, p2, p3, p4}, nil, Options{Filter: f, Workers: 1})
		if got := ids(res.Events); !slices.Equal(got, []string{"failed"}) {
			t.Fatalf("filter %d: %v, want only [failed]", f, got)
		}
	}
	res := read(t, []string{p1, p2, p3, p4}, nil, Options{Filter: FilterAll, Workers: 1})
	for _, e := range res.Events {
		if e.EventID == "ok-after" && (e.Failed() || e.Denial != nil || e.Repository != "") {
			t.Fatalf("ok-after inherited fields: %+v", e)
		}
	}
}

func TestDeduplicatesByEventID(t *testing.T) {
	dir := t.TempDir()
	a := writeFile(t, dir, "trail.json.gz", gz(t, trailFile(t, seedRec("same"))))
	b := writeFile(t, dir, "lookup.json", lookupOutput(t, false, seedRec("same")))
	res := read(t, []string{a, b}, nil, Options{})
	if got := ids(res.Events); !slices.Equal(got, []string{"same"}) {
		t.Fatalf("events %v, want one", got)
	}
}

// TestChunkBoundaries: records straddling the scanner's chunks, a record
// larger than a chunk, and many files, on one and several workers.
func TestChunkBoundaries(t *testing.T) {
	var recs []rec
	var want []string
	filler := succeeded(seedRec("x"))
	filler.EventName = "GetObject"
	filler.RequestParameters = map[string]any{"key": strings.Repeat("k", 900)}
	for i := range 3000 {
		if i%97 == 0 {
			r := seedRec(fmt.Sprintf("n%04d", i))
			if i%3 == 0 {
				r.RequestParameters = map[string]any{"registryId": dstAccount, "repositoryName": "my-repo", "pad": strings.Repeat("p", chunkSize+1000)}
			}
			recs = append(recs, r)
			want = append(want, r.EventID)
			continue
		}
		f := filler
		f.EventID = fmt.Sprintf("f%04d", i)
		recs = append(recs, f)
	}
	slices.Sort(want)
	data := trailFile(t, recs...)
	if len(data) < 4*chunkSize {
		t.Fatalf("test file too small: %d", len(data))
	}
	dir := t.TempDir()
	writeFile(t, dir, "big.json", data)
	writeFile(t, dir, "big.json.gz", gz(t, data))
	for _, w := range []int{1, 3} {
		res := read(t, []string{dir}, nil, Options{Workers: w})
		got := ids(res.Events)
		slices.Sort(got)
		if !slices.Equal(got, want) || res.Scanned.Records != 2*len(recs) || len(res.Warnings) > 0 {
			t.Fatalf("workers %d: %d events (want %d), %d records (want %d), warnings %v", w, len(got), len(want), res.Scanned.Records, 2*len(recs), res.Warnings)
		}
	}
}

// TestOddRecordLayouts: a nested object that begins with eventVersion, and
// records that do not begin with it, inside a file that otherwise does.
func TestOddRecordLayouts(t *testing.T) {
	nested := seedRec("nested")
	nested.RequestParameters = map[string]any{"repositoryName": "my-repo", "registryId": dstAccount, "x": json.RawMessage(`{"eventVersion":"9","y":[{"eventVersion":1},{"eventVersion":2}]}`)}
	first := marshal(t, seedRec("first"))
	moved := seedRec("moved")
	var m map[string]any // keys sorted: eventVersion is no longer first
	json.Unmarshal(marshal(t, moved), &m)
	file := []byte(`{"Records":[` + string(first) + "," + string(marshal(t, m)) + "," + string(marshal(t, nested)) + "," + string(marshal(t, succeeded(seedRec("last")))) + "]}")
	p := writeFile(t, t.TempDir(), "odd.json", file)
	res := read(t, []string{p}, nil, Options{})
	got := ids(res.Events)
	slices.Sort(got)
	if !slices.Equal(got, []string{"first", "moved", "nested"}) || len(res.Warnings) > 0 {
		t.Fatalf("events %v, warnings %v", got, res.Warnings)
	}
	if res.Scanned.Records != 4 {
		t.Fatalf("records %d, want 4", res.Scanned.Records)
	}
}

func TestFolderLayoutPruning(t *testing.T) {
	dir := t.TempDir()
	put := func(acct, region, day string, r rec) {
		r.RecipientAccountID, r.AWSRegion = acct, region
		r.EventTime = day + "T23:50:00Z"
		d := strings.ReplaceAll(day, "-", "/")
		name := fmt.Sprintf("AWSLogs/o-abc123/%s/CloudTrail/%s/%s/%s_CloudTrail_%s_%sT2355Z_x.json.gz", acct, region, d, acct, region, strings.ReplaceAll(day, "-", ""))
		writeFile(t, dir, name, gz(t, trailFile(t, r)))
	}
	put(srcAccount, "ap-northeast-1", "2024-05-01", seedRec("may1"))
	put(srcAccount, "ap-northeast-1", "2024-05-02", seedRec("may2"))
	put(srcAccount, "ap-northeast-1", "2024-06-10", seedRec("jun10"))
	put(srcAccount, "us-east-1", "2024-05-01", seedRec("use1"))
	put(dstAccount, "ap-northeast-1", "2024-05-01", seedRec("dst"))
	// Files a trail bucket holds that are not log files.
	writeFile(t, dir, "AWSLogs/o-abc123/111111111111/CloudTrail-Digest/ap-northeast-1/2024/05/01/111111111111_CloudTrail-Digest_ap-northeast-1_t_us-east-1_20240501T000000Z.json.gz", gz(t, []byte(`{"awsAccountId":"111111111111"}`)))
	writeFile(t, dir, "AWSLogs/.DS_Store", []byte("junk"))
	writeFile(t, dir, "AWSLogs/notes.txt", []byte("hello"))
	// A file in a folder that would be pruned, but unreadable: never opened.
	writeFile(t, dir, "AWSLogs/o-abc123/111111111111/CloudTrail/ap-northeast-1/2023/12/31/111111111111_CloudTrail_ap-northeast-1_20231231T0000Z_x.json.gz", []byte("not gzip"))

	day := func(s string) time.Time { t, _ := time.Parse("2006-01-02", s); return t }
	cases := []struct {
		name      string
		opts      Options
		want      []string
		files     int
		warnings  int
		skipped   int
		wantFiles int
	}{
		{name: "everything", opts: Options{}, want: []string{"jun10", "may2", "dst", "may1", "use1"}, wantFiles: 6, warnings: 1, skipped: 3},
		{name: "one day", opts: Options{Since: day("2024-05-01"), Until: day("2024-05-02")}, want: []string{"dst", "may1", "use1"}, wantFiles: 3, skipped: 3}, // May 2's file was delivered 22 h after --until
		{name: "since", opts: Options{Since: day("2024-05-02")}, want: []string{"jun10", "may2"}, wantFiles: 2, skipped: 3},
		{name: "account", opts: Options{Accounts: []string{dstAccount}}, want: []string{"dst"}, wantFiles: 1, skipped: 3},
		{name: "region", opts: Options{Regions: []string{"us-east-1"}}, want: []string{"use1"}, wantFiles: 1, skipped: 3},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := read(t, []string{filepath.Join(dir, "AWSLogs")}, nil, tc.opts)
			if got := ids(res.Events); !slices.Equal(got, tc.want) {
				t.Errorf("events %v, want %v", got, tc.want)
			}
			if res.Scanned.Files != tc.wantFiles || res.Scanned.SkippedFiles != tc.skipped || len(res.Warnings) != tc.warnings {
				t.Errorf("scanned %+v, warnings %v; want %d files, %d skipped, %d warnings", res.Scanned, res.Warnings, tc.wantFiles, tc.skipped, tc.warnings)
			}
		})
	}
}

func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	good := writeFile(t, dir, "good.json.gz", gz(t, trailFile(t, seedRec("good"))))
	full := gz(t, trailFile(t, seedRec("t1"), seedRec("t2"), seedRec("t3")))
	wrong := seedRec("wrong")
	wrongJSON := bytes.Replace(trailFile(t, wrong), []byte(`"eventTime":"2024-05-01T10:00:00Z"`), []byte(`"eventTime":42`), 1)
	cases := []struct {
		name, file string
		data       []byte
		warning    string
	}{
		{"truncated gzip", "trunc.json.gz", full[:len(full)/2], "trunc.json.gz: truncated"},
		{"not gzip after all", "bad.json.gz", append([]byte{0x1f, 0x8b}, []byte("garbage")...), "bad.json.gz: reading gzip"},
		{"invalid JSON", "invalid.json", []byte(`{"Records": [ {"eventVersion": "1.08", "eventName": "ReplicateImage", errorCode`), "invalid.json: invalid JSON"},
		{"truncated trail file", "cut.json", trailFile(t, seedRec("c1"))[:200], "cut.json: invalid JSON"},
		{"wrong-shaped record", "wrong.json", wrongJSON, "wrong.json: record 1: not a CloudTrail record"},
		{"record that is not an object", "scalar.json", []byte(`{"Records":["AWSServiceRoleForECRReplication ReplicateImage AccessDenied"]}`), "scalar.json: record 1: not a CloudTrail record"},
		{"empty file", "empty.json", nil, "empty.json: empty"},
		{"another AWS call's output", "registry.json", []byte(`{"registryId":"111111111111","replicationConfiguration":{"rules":[]}}`),
			"registry.json: not a CloudTrail file: a JSON object with registryId, replicationConfiguration, but no Records, Events or eventName"},
		{"empty object", "braces.json", []byte(`{}`), "braces.json: not a CloudTrail file: an empty JSON object"},
		{"list of other objects", "list.json", []byte(`[{"repositoryName":"my-repo"}]`), "list.json: record 1: not a CloudTrail record: no eventName"},
		{"list of numbers", "numbers.json", []byte(`[7]`), "numbers.json: record 1: not a CloudTrail record: not an object"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			bad := writeFile(t, t.TempDir(), tc.file, tc.data)
			res := read(t, []string{bad, good}, nil, Options{})
			if got := ids(res.Events); !slices.Contains(got, "good") {
				t.Errorf("the scan stopped: events %v", got)
			}
			if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], tc.warning) || !strings.Contains(res.Warnings[0], bad) {
				t.Errorf("warnings %q, want one naming %s with %q", res.Warnings, bad, tc.warning)
			}
			_, err := Read(context.Background(), []string{good, bad}, nil, Options{Strict: true})
			if err == nil || !strings.Contains(err.Error(), tc.file) {
				t.Errorf("strict: err %v, want one naming %s", err, tc.file)
			}
		})
	}
}

func TestReadErrors(t *testing.T) {
	if _, err := Read(context.Background(), []string{"/no/such/file"}, nil, Options{}); err == nil {
		t.Error("a missing path must be an error")
	}
	if _, err := Read(context.Background(), []string{"-", "-"}, nil, Options{}); err == nil {
		t.Error(`"-" twice must be an error`)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	p := writeFile(t, t.TempDir(), "a.json", trailFile(t, seedRec("a")))
	if _, err := Read(ctx, []string{p}, nil, Options{}); err == nil {
		t.Error("a cancelled context must stop the read")
	}
}

func TestTimeWindow(t *testing.T) {
	early, late := seedRec("early"), seedRec("late")
	late.EventTime = "2024-05-03T00:00:00Z"
	p := writeFile(t, t.TempDir(), "t.json", trailFile(t, early, late))
	until, _ := time.Parse(time.RFC3339, "2024-05-03T00:00:00Z")
	if got := ids(read(t, []string{p}, nil, Options{Until: until}).Events); !slices.Equal(got, []string{"early"}) {
		t.Fatalf("until is exclusive: got %v", got)
	}
	if got := ids(read(t, []string{p}, nil, Options{Since: until}).Events); !slices.Equal(got, []string{"late"}) {
		t.Fatalf("since is inclusive: got %v", got)
	}
}

// The pre-filter may let a near-miss through to decoding, but must never
// keep a record that names the repository from being decoded.
func TestWholeTermsBeforeDecoding(t *testing.T) {
	repo := group{terms: [][]byte{[]byte("my-repo")}, whole: isNameByte, alone: true}
	names := group{terms: [][]byte{[]byte("ReplicateImage"), []byte("CreateRepository")}, whole: isAlnum, quoted: true}
	for _, c := range []struct {
		g    group
		text string
		want bool
	}{
		{repo, `:repository/my-repo because no resource-based policy`, true},
		{repo, `"repositoryName":"my-repo"}`, true},
		{repo, `\"repositoryName\":\"my-repo\"}`, true},
		{repo, `repository/my-repo`, true},
		{repo, `my-repo"`, true},
		{repo, `repository/team/my-repo"`, false},
		{repo, `"repositoryName":"team/my-repo"`, false},
		{repo, `repository\/my-repo"`, true}, // a writer that escapes slashes
		{repo, `team/my-repo and repository/my-repo`, true},
		{repo, `repository/my-repo-legacy because`, false},
		{repo, `"repositoryName":"my-repo2"`, false},
		{repo, `"repositoryName":"xmy-repo"`, false},
		{repo, `repository/my-repo/sub"`, false},
		{repo, `my-repo-legacy and then repository/my-repo because`, true},
		{names, `"eventName":"CreateRepository"`, true},
		{names, `perform: ecr:ReplicateImage on resource`, false}, // a policy simulation's message
		{names, `"actionNames":["ecr:ReplicateImage"]`, false},
		{names, `\"eventName\":\"ReplicateImage\"`, true},
		{names, `"eventName":"CreateRepositoryCreationTemplate"`, false},
		{names, `"CreateRepositoryCreationTemplate", then "CreateRepository"`, true},
	} {
		// bytes.Index, and the finders a scanner's groups search with.
		for _, g := range []group{c.g, newGroup(c.g)} {
			if got := g.in([]byte(c.text)); got != c.want {
				t.Errorf("%q in %q = %v, want %v (%d finders)", g.terms, c.text, got, c.want, len(g.finders))
			}
		}
	}
}

// A folder of trail files may hold other JSON (a snapshot's other calls, a
// manifest): those files are skipped and counted, not warned about, and
// --strict does not stop on them.
func TestOtherJSONInAFolderIsSkipped(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "111111111111/ap-northeast-1/lookup-events.json", trailFile(t, seedRec("seed")))
	writeFile(t, dir, "111111111111/ap-northeast-1/describe-registry.json", []byte(`{"registryId":"111111111111","replicationConfiguration":{"rules":[]}}`))
	writeFile(t, dir, "snapshot.json", []byte(`{"source":{"account":"111111111111","region":"ap-northeast-1"},"repository":"my-repo"}`))
	writeFile(t, dir, "notes.txt", []byte("not JSON"))
	for _, strict := range []bool{false, true} {
		res, err := Read(context.Background(), []string{dir}, nil, Options{Strict: strict})
		if err != nil {
			t.Fatalf("strict %v: %v", strict, err)
		}
		if got := ids(res.Events); !slices.Equal(got, []string{"seed"}) {
			t.Errorf("events %v, want [seed]", got)
		}
		if res.Scanned.Files != 1 || res.Scanned.SkippedFiles != 3 || len(res.Warnings) != 0 {
			t.Errorf("strict %v: scanned %+v, warnings %q; want 1 file read, 3 skipped, no warning", strict, res.Scanned, res.Warnings)
		}
	}
}

// The destination is never guessed from the account that holds the record
// when that account is the caller's own (then it is the source).
func TestDestinationIsNotTheCallersOwnAccount(t *testing.T) {
	base := func() rec {
		r := seedRec("d1")
		r.ErrorMessage = "Access Denied"
		r.RequestParameters = nil
		return r
	}
	decode := func(r rec) Event {
		t.Helper()
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		e, err := decodeRecord(b)
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	if e := decode(base()); e.Destination != (Location{}) {
		t.Errorf("the source's own copy, naming no destination: destination %+v, want none", e.Destination)
	}
	r := base()
	r.RecipientAccountID = dstAccount // the destination's copy of the call
	r.RequestParameters = map[string]any{"repositoryName": "my-repo"}
	if e := decode(r); e.Destination != (Location{Account: dstAccount, Region: "ap-northeast-1"}) {
		t.Errorf("the destination's copy: destination %+v, want %s/ap-northeast-1", e.Destination, dstAccount)
	}
}

// TestDeliveryMargin: within the day after --until only the files delivered
// up to the margin after it are opened, so a one-day question opens at most
// 1.1 days of files, and a late record inside the margin is still found.
// CloudTrail names each file after its delivery time, and "a log file
// delivered at a specific time can contain records written at any point
// before that time" (CloudTrail user guide, "CloudTrail log file name
// format").
func TestDeliveryMargin(t *testing.T) {
	dir := t.TempDir()
	const perDay = 24 * 12 // a file every 5 minutes
	start := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	empty := trailFile(t)
	for i := range 3 * perDay {
		at := start.Add(time.Duration(i) * 5 * time.Minute)
		var data []byte
		switch at.Format("0102T1504") {
		case "0503T0155": // delivered late, inside the margin
			r := seedRec("late-in-margin")
			r.EventTime = "2024-05-02T23:59:00Z"
			data = trailFile(t, r)
		case "0503T0500": // delivered very late
			r := seedRec("very-late")
			r.EventTime = "2024-05-02T23:58:00Z"
			data = trailFile(t, r)
		default:
			data = empty
		}
		name := fmt.Sprintf("AWSLogs/111111111111/CloudTrail/ap-northeast-1/%s/111111111111_CloudTrail_ap-northeast-1_%s_x%d.json",
			at.Format("2006/01/02"), at.Format("20060102T1504Z"), i)
		writeFile(t, dir, name, data)
	}
	day := Options{Since: start.AddDate(0, 0, 1), Until: start.AddDate(0, 0, 2)}
	res := read(t, []string{dir}, nil, day)
	if got := ids(res.Events); !slices.Equal(got, []string{"late-in-margin"}) {
		t.Errorf("events %v, want the one delivered inside the margin", got)
	}
	if res.Scanned.Files < perDay || float64(res.Scanned.Files) > 1.1*perDay {
		t.Errorf("a one-day question opened %d files; a day has %d, the bound is %.0f", res.Scanned.Files, perDay, 1.1*perDay)
	}
	if res.Scanned.PrunedFolders+res.Scanned.PrunedFiles == 0 {
		t.Errorf("nothing counted as pruned: %+v", res.Scanned)
	}
	wide := day
	wide.DeliveryMargin = 6 * time.Hour
	res = read(t, []string{dir}, nil, wide)
	if got := ids(res.Events); !slices.Equal(got, []string{"late-in-margin", "very-late"}) {
		t.Errorf("a wider margin: events %v", got)
	}
	if want := perDay + 6*12; res.Scanned.Files != want {
		t.Errorf("a 6h margin opened %d files, want %d", res.Scanned.Files, want)
	}
}

// TestStream: Stream hands over the events Read returns, once per event id
// (the same records in two files count once), holding none itself; an
// error from emit stops the read and is returned.
func TestStream(t *testing.T) {
	dir := t.TempDir()
	var recs []rec
	for i := range 50 {
		recs = append(recs, seedRec(fmt.Sprintf("s%02d", i)))
	}
	writeFile(t, dir, "a.json.gz", gz(t, trailFile(t, recs[:30]...)))
	writeFile(t, dir, "b.json", trailFile(t, recs[20:]...)) // 10 repeats
	writeFile(t, dir, "c.json", lookupOutput(t, false, recs[45:]...))
	want := ids(read(t, []string{dir}, nil, Options{Workers: 2}).Events)
	slices.Sort(want)
	var got []string
	res, err := Stream(context.Background(), []string{dir}, nil, Options{Workers: 2}, func(e Event) error {
		got = append(got, e.EventID)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(got)
	if len(want) != 50 || !slices.Equal(got, want) {
		t.Fatalf("streamed %d events %v, Read gave %d", len(got), got, len(want))
	}
	if len(res.Events) != 0 || res.Scanned.Files != 3 || res.Scanned.Records != 30+30+5 {
		t.Fatalf("result %d events, scanned %+v", len(res.Events), res.Scanned)
	}
	stop := fmt.Errorf("stdout closed")
	n := 0
	_, err = Stream(context.Background(), []string{dir}, nil, Options{Workers: 1}, func(e Event) error {
		n++
		return stop
	})
	if err != stop || n != 1 {
		t.Fatalf("err %v after %d events, want the emit error after 1", err, n)
	}
}
