package collect

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ecrdoctor/ecrdoctor/diagnose"
)

const (
	src    = "111111111111"
	dst    = "222222222222"
	tokyo  = "ap-northeast-1"
	usWest = "us-west-1"
)

var (
	srcLoc = diagnose.Location{Account: src, Region: tokyo}
	dstLoc = diagnose.Location{Account: dst, Region: tokyo}
)

// writeSnapshot builds a snapshot folder from slash paths and contents.
func writeSnapshot(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for rel, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// with returns a copy of base with changes applied; "" deletes a file.
func with(base map[string]string, changes map[string]string) map[string]string {
	out := make(map[string]string, len(base)+len(changes))
	for k, v := range base {
		out[k] = v
	}
	for k, v := range changes {
		if v == "" {
			delete(out, k)
		} else {
			out[k] = v
		}
	}
	return out
}

const (
	manifestJSON   = `{"source":{"account":"111111111111","region":"ap-northeast-1"},"repository":"my-repo","captured_at":"2026-11-26T10:00:00Z"}`
	sourceRegistry = `{"registryId":"111111111111","replicationConfiguration":{"rules":[{"destinations":[{"region":"ap-northeast-1","registryId":"222222222222"}],"repositoryFilters":[{"filter":"my-repo","filterType":"PREFIX_MATCH"}]}]}}`
	noRules        = `{"registryId":"%s","replicationConfiguration":{"rules":[]}}`
	goodPolicy     = `{"registryId":"222222222222","policyText":"{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\n      \"Sid\": \"ReplicationAccessCrossAccount\",\n      \"Effect\": \"Allow\",\n      \"Principal\": {\"AWS\": \"arn:aws:iam::111111111111:root\"},\n      \"Action\": [\"ecr:ReplicateImage\", \"ecr:CreateRepository\"],\n      \"Resource\": \"arn:aws:ecr:ap-northeast-1:222222222222:repository/*\"\n    }\n  ]\n}"}`
	policyNotFound = `{"Error":{"Code":"RegistryPolicyNotFoundException","Message":"Registry policy does not exist in the registry with id '222222222222'"}}`
)

func noRulesFor(account string) string { return strings.Replace(noRules, "%s", account, 1) }

// baseFiles is a small but complete snapshot: the seed case's shape.
var baseFiles = map[string]string{
	"snapshot.json": manifestJSON,
	"111111111111/ap-northeast-1/describe-registry.json": sourceRegistry,
	"111111111111/ap-northeast-1/describe-repositories.json": `{"repositories":[
		{"repositoryArn":"arn:aws:ecr:ap-northeast-1:111111111111:repository/my-repo","registryId":"111111111111","repositoryName":"my-repo","createdAt":1739338268.191},
		{"repositoryArn":"arn:aws:ecr:ap-northeast-1:111111111111:repository/team/app","registryId":"111111111111","repositoryName":"team/app","createdAt":"2025-02-12T14:31:08.191000+09:00"}]}`,
	"111111111111/ap-northeast-1/describe-image-replication-status/my-repo/latest.json":      `{"repositoryName":"my-repo","imageId":{"imageDigest":"sha256:7a6f","imageTag":"latest"},"replicationStatuses":[{"region":"ap-northeast-1","registryId":"222222222222","status":"FAILED","failureCode":"DESTINATION_REGISTRY_ACCESS_DENIED"}]}`,
	"111111111111/ap-northeast-1/describe-image-replication-status/my-repo/sha256@9c1e.json": `{"repositoryName":"my-repo","imageId":{"imageDigest":"sha256:9c1e"},"replicationStatuses":[]}`,
	"111111111111/ap-northeast-1/describe-image-replication-status/my-repo/sha256:0b5d.json": `{"repositoryName":"my-repo","imageId":{"imageDigest":"sha256:0b5d"},"replicationStatuses":[]}`,
	"111111111111/ap-northeast-1/describe-image-replication-status/team/app/v1.json":         `{"repositoryName":"team/app","imageId":{"imageTag":"v1"},"replicationStatuses":[{"region":"ap-northeast-1","registryId":"222222222222","status":"COMPLETE"}]}`,
	"222222222222/ap-northeast-1/get-registry-policy.error.json":                             policyNotFound,
	"222222222222/ap-northeast-1/get-repository-policy/my-repo.json":                         `{"registryId":"222222222222","repositoryName":"my-repo","policyText":"{\"Version\":\"2012-10-17\",\"Statement\":[]}"}`,
	"222222222222/ap-northeast-1/get-repository-policy/team/app.error.json":                  `{"Error":{"Code":"RepositoryPolicyNotFoundException","Message":"Repository policy does not exist for the repository with name 'team/app' in the registry with id '222222222222'"}}`,
	"222222222222/ap-northeast-1/get-account-setting.json":                                   `{"name":"REGISTRY_POLICY_SCOPE","value":"V2"}`,
	"222222222222/us-east-1/get-registry-policy.json":                                        goodPolicy,
}

func TestLoadDirReadStates(t *testing.T) {
	dir := writeSnapshot(t, baseFiles)
	snap, err := LoadDir(context.Background(), dir, LoadOptions{Repository: "my-repo"})
	if err != nil {
		t.Fatalf("LoadDir: %v", err)
	}
	reg := func(acct, region string) *diagnose.Registry {
		r := snap.Registry(diagnose.Location{Account: acct, Region: region})
		if r == nil {
			t.Fatalf("registry %s/%s missing; have %v", acct, region, snap.Registries)
		}
		return r
	}
	path := func(rel string) string { return filepath.Join(dir, filepath.FromSlash(rel)) }

	type got struct {
		state   diagnose.ReadState
		code    string
		source  string
		present bool
	}
	fromRead := func(state diagnose.ReadState, code, source string) got {
		return got{state: state, code: code, source: source, present: true}
	}
	tests := []struct {
		name string
		read func() got
		want got
	}{
		{"collected call", func() got {
			r := reg(src, tokyo).DescribeRegistry
			return fromRead(r.State, r.ErrCode(), r.Source.String())
		}, got{diagnose.Collected, "", path("111111111111/ap-northeast-1/describe-registry.json"), true}},
		{"failed call", func() got {
			r := reg(dst, tokyo).RegistryPolicy
			return fromRead(r.State, r.ErrCode(), r.Source.String())
		}, got{diagnose.Failed, "RegistryPolicyNotFoundException", path("222222222222/ap-northeast-1/get-registry-policy.error.json"), true}},
		{"not collected call", func() got {
			r := reg(dst, tokyo).Repositories
			return fromRead(r.State, r.ErrCode(), r.Source.String())
		}, got{diagnose.NotCollected, "", "", true}},
		{"not collected in a registry that has other calls", func() got {
			r := reg(src, tokyo).RegistryPolicy
			return fromRead(r.State, r.ErrCode(), r.Source.String())
		}, got{diagnose.NotCollected, "", "", true}},
		{"repository policy", func() got {
			r, ok := reg(dst, tokyo).RepositoryPolicies["my-repo"]
			return got{r.State, r.ErrCode(), r.Source.String(), ok}
		}, got{diagnose.Collected, "", path("222222222222/ap-northeast-1/get-repository-policy/my-repo.json"), true}},
		{"nested repository policy error", func() got {
			r, ok := reg(dst, tokyo).RepositoryPolicies["team/app"]
			return got{r.State, r.ErrCode(), r.Source.String(), ok}
		}, got{diagnose.Failed, "RepositoryPolicyNotFoundException", path("222222222222/ap-northeast-1/get-repository-policy/team/app.error.json"), true}},
		{"repository policy not collected", func() got {
			r, ok := reg(dst, tokyo).RepositoryPolicies["other"]
			return got{r.State, r.ErrCode(), r.Source.String(), ok}
		}, got{diagnose.NotCollected, "", "", false}},
		{"status by tag", func() got {
			r, ok := reg(src, tokyo).ReplicationStatus["my-repo"]["latest"]
			return got{r.State, r.ErrCode(), r.Source.String(), ok}
		}, got{diagnose.Collected, "", path("111111111111/ap-northeast-1/describe-image-replication-status/my-repo/latest.json"), true}},
		{"status by digest", func() got {
			r, ok := reg(src, tokyo).ReplicationStatus["my-repo"]["sha256:9c1e"]
			return got{r.State, r.ErrCode(), r.Source.String(), ok}
		}, got{diagnose.Collected, "", path("111111111111/ap-northeast-1/describe-image-replication-status/my-repo/sha256@9c1e.json"), true}},
		{"status by digest, file named with the ':' of older snapshots", func() got {
			r, ok := reg(src, tokyo).ReplicationStatus["my-repo"]["sha256:0b5d"]
			return got{r.State, r.ErrCode(), r.Source.String(), ok}
		}, got{diagnose.Collected, "", path("111111111111/ap-northeast-1/describe-image-replication-status/my-repo/sha256:0b5d.json"), true}},
		{"status of a nested repository", func() got {
			r, ok := reg(src, tokyo).ReplicationStatus["team/app"]["v1"]
			return got{r.State, r.ErrCode(), r.Source.String(), ok}
		}, got{diagnose.Collected, "", path("111111111111/ap-northeast-1/describe-image-replication-status/team/app/v1.json"), true}},
		{"policy in another region", func() got {
			r := reg(dst, "us-east-1").RegistryPolicy
			return fromRead(r.State, r.ErrCode(), r.Source.String())
		}, got{diagnose.Collected, "", path("222222222222/us-east-1/get-registry-policy.json"), true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if g := tc.read(); g != tc.want {
				t.Errorf("got %+v, want %+v", g, tc.want)
			}
		})
	}

	t.Run("values", func(t *testing.T) {
		if got := len(snap.Registries); got != 3 {
			t.Errorf("registries = %d, want 3 (111/ap-northeast-1, 222/ap-northeast-1, 222/us-east-1)", got)
		}
		if snap.Source != srcLoc || snap.Repository != "my-repo" {
			t.Errorf("source, repository = %v, %q", snap.Source, snap.Repository)
		}
		rules := reg(src, tokyo).DescribeRegistry.Value.ReplicationConfiguration.Rules
		if len(rules) != 1 || rules[0].Destinations[0] != (diagnose.ReplicationDestination{Region: tokyo, RegistryID: dst}) || rules[0].RepositoryFilters[0].Filter != "my-repo" {
			t.Errorf("rules = %+v", rules)
		}
		st := reg(src, tokyo).ReplicationStatus["my-repo"]["latest"].Value
		if len(st.ReplicationStatuses) != 1 || st.ReplicationStatuses[0].FailureCode != "DESTINATION_REGISTRY_ACCESS_DENIED" || st.ImageID.ImageTag != "latest" {
			t.Errorf("status = %+v", st)
		}
		if v := reg(dst, tokyo).PolicyScope.Value.Value; v != "V2" {
			t.Errorf("policy scope = %q, want V2", v)
		}
		if msg := reg(dst, tokyo).RegistryPolicy.Err.Message; msg != "Registry policy does not exist in the registry with id '222222222222'" {
			t.Errorf("error message = %q", msg)
		}
		if !strings.Contains(reg(dst, "us-east-1").RegistryPolicy.Value.PolicyText, `"Sid": "ReplicationAccessCrossAccount"`) {
			t.Errorf("policyText not kept verbatim: %q", reg(dst, "us-east-1").RegistryPolicy.Value.PolicyText)
		}
		if want := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC); !snap.CapturedAt.Equal(want) {
			t.Errorf("CapturedAt = %v, want %v", snap.CapturedAt, want)
		}
		if snap.EventsCollected || len(snap.Events) != 0 {
			t.Errorf("EventsCollected = %v with %d events, want false: the snapshot has no CloudTrail files", snap.EventsCollected, len(snap.Events))
		}
		if len(snap.Warnings) != 0 {
			t.Errorf("warnings = %q, want none", snap.Warnings)
		}
	})
}

func TestLoadDirTimes(t *testing.T) {
	// The same instant as AWS CLI v1 (epoch seconds), v2 (ISO 8601 in a
	// local zone) and v2 in UTC, and the epoch as a string.
	want := time.Date(2025, 2, 12, 5, 31, 8, 191000000, time.UTC)
	tests := []struct {
		name, createdAt string
	}{
		{"cli v1 epoch seconds", `1739338268.191`},
		{"cli v2 iso 8601 with offset", `"2025-02-12T14:31:08.191000+09:00"`},
		{"cli v2 iso 8601 utc", `"2025-02-12T05:31:08.191000+00:00"`},
		{"epoch seconds as a string", `"1739338268.191"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeSnapshot(t, with(baseFiles, map[string]string{
				"222222222222/ap-northeast-1/describe-repositories.json": `{"repositories":[{"repositoryArn":"arn:aws:ecr:ap-northeast-1:222222222222:repository/my-repo","registryId":"222222222222","repositoryName":"my-repo","createdAt":` + tc.createdAt + `}]}`,
			}))
			snap, err := LoadDir(context.Background(), dir, LoadOptions{})
			if err != nil {
				t.Fatalf("LoadDir: %v", err)
			}
			repos := snap.Registry(dstLoc).Repositories.Value.Repositories
			if len(repos) != 1 || repos[0].CreatedAt == nil {
				t.Fatalf("repositories = %+v", repos)
			}
			if got := repos[0].CreatedAt.Time; got.Sub(want).Abs() > time.Millisecond {
				t.Errorf("createdAt = %v, want %v", got, want)
			}
		})
	}
}

func TestLoadDirSource(t *testing.T) {
	handMade := with(baseFiles, map[string]string{"snapshot.json": ""})
	twoSources := with(handMade, map[string]string{
		"111111111111/us-west-1/describe-registry.json": strings.Replace(sourceRegistry, `"region":"ap-northeast-1"`, `"region":"eu-west-1"`, 1),
	})
	tests := []struct {
		name    string
		files   map[string]string
		opts    LoadOptions
		want    diagnose.Location
		wantErr []string // substrings; the error also wraps ErrSourceUnknown
	}{
		{name: "manifest", files: baseFiles, want: srcLoc},
		{name: "manifest, region overridden by flag",
			files: with(baseFiles, map[string]string{"111111111111/us-west-1/describe-registry.json": noRulesFor(src)}),
			opts:  LoadOptions{SourceRegion: usWest}, want: diagnose.Location{Account: src, Region: usWest}},
		{name: "manifest, flag names a registry not collected", files: baseFiles,
			opts: LoadOptions{SourceRegion: "eu-west-1"}, wantErr: []string{"source 111111111111/eu-west-1 was not collected", "111111111111/ap-northeast-1, 222222222222/ap-northeast-1"}},
		{name: "hand-made: the one registry with rules", files: with(handMade, map[string]string{
			"111111111111/us-west-1/describe-registry.json":      noRulesFor(src),
			"222222222222/ap-northeast-1/describe-registry.json": `{"registryId":"222222222222"}`,
		}), want: srcLoc},
		{name: "hand-made: two registries with rules", files: twoSources,
			wantErr: []string{"no snapshot.json", "2 registries have replication rules (111111111111/ap-northeast-1, 111111111111/us-west-1)", "pass --source-account and --region"}},
		{name: "hand-made: two with rules, region flag picks one", files: twoSources,
			opts: LoadOptions{SourceRegion: usWest}, want: diagnose.Location{Account: src, Region: usWest}},
		{name: "hand-made: two with rules, both flags", files: twoSources,
			opts: LoadOptions{SourceAccount: src, SourceRegion: tokyo}, want: srcLoc},
		{name: "hand-made: no rules anywhere", files: with(handMade, map[string]string{
			"111111111111/ap-northeast-1/describe-registry.json": noRulesFor(src),
		}), wantErr: []string{"no describe-registry.json has replication rules", "pass --source-account and --region"}},
		{name: "hand-made: no rules, flags name the source", files: with(handMade, map[string]string{
			"111111111111/ap-northeast-1/describe-registry.json": noRulesFor(src),
		}), opts: LoadOptions{SourceAccount: src, SourceRegion: tokyo}, want: srcLoc},
		{name: "hand-made: no describe-registry at all", files: with(handMade, map[string]string{
			"111111111111/ap-northeast-1/describe-registry.json": "",
		}), wantErr: []string{"source registry is unknown", "--source-account and --region"}},
		{name: "hand-made: flags name a registry not collected", files: with(handMade, map[string]string{
			"111111111111/ap-northeast-1/describe-registry.json": noRulesFor(src),
		}), opts: LoadOptions{SourceAccount: "333333333333", SourceRegion: tokyo}, wantErr: []string{"source 333333333333/ap-northeast-1 was not collected"}},
		{name: "hand-made: account flag narrows to nothing", files: handMade,
			opts: LoadOptions{SourceAccount: dst}, wantErr: []string{"in account 222222222222 has replication rules"}},
		{name: "bad account flag", files: baseFiles, opts: LoadOptions{SourceAccount: "1111"},
			wantErr: []string{`source account "1111" is not a 12-digit AWS account ID`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeSnapshot(t, tc.files)
			snap, err := LoadDir(context.Background(), dir, tc.opts)
			if tc.wantErr != nil {
				if err == nil {
					t.Fatalf("LoadDir: no error, source %v; want %q", snap.Source, tc.wantErr)
				}
				for _, w := range tc.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q\ndoes not contain %q", err, w)
					}
				}
				if !errors.Is(err, ErrSourceUnknown) && !strings.Contains(tc.name, "bad account") {
					t.Errorf("error does not wrap ErrSourceUnknown: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("LoadDir: %v", err)
			}
			if snap.Source != tc.want {
				t.Errorf("source = %v, want %v", snap.Source, tc.want)
			}
		})
	}
}

func TestLoadDirRepository(t *testing.T) {
	tests := []struct {
		name        string
		files       map[string]string
		repo        string
		want        string
		wantErr     []string
		wantWarning string
	}{
		{name: "from the manifest", files: baseFiles, want: "my-repo"},
		{name: "flag agrees with the manifest", files: baseFiles, repo: "my-repo", want: "my-repo"},
		{name: "another repository the snapshot holds files for", files: baseFiles, repo: "team/app", want: "team/app",
			wantWarning: `captured for repository "my-repo"; answering for "team/app"`},
		{name: "another repository with no files", files: baseFiles, repo: "billing-api",
			wantErr: []string{`was captured for repository "my-repo", not "billing-api"`, "--repo my-repo"}},
		{name: "hand-made: flag decides", files: with(baseFiles, map[string]string{"snapshot.json": ""}), repo: "billing-api", want: "billing-api"},
		{name: "manifest without repository", files: with(baseFiles, map[string]string{
			"snapshot.json": `{"source":{"account":"111111111111","region":"ap-northeast-1"}}`,
		}), repo: "billing-api", want: "billing-api"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeSnapshot(t, tc.files)
			snap, err := LoadDir(context.Background(), dir, LoadOptions{Repository: tc.repo})
			if tc.wantErr != nil {
				if err == nil {
					t.Fatalf("LoadDir: no error, repository %q", snap.Repository)
				}
				for _, w := range tc.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q\ndoes not contain %q", err, w)
					}
				}
				if !errors.Is(err, ErrRepositoryMismatch) || strings.Contains(err.Error(), ErrRepositoryMismatch.Error()) {
					t.Errorf("error does not match ErrRepositoryMismatch, or repeats its text: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("LoadDir: %v", err)
			}
			if snap.Repository != tc.want {
				t.Errorf("repository = %q, want %q", snap.Repository, tc.want)
			}
			warned := slices.ContainsFunc(snap.Warnings, func(w string) bool { return tc.wantWarning != "" && strings.Contains(w, tc.wantWarning) })
			if tc.wantWarning != "" && !warned {
				t.Errorf("warnings %q lack %q", snap.Warnings, tc.wantWarning)
			}
			if tc.wantWarning == "" && len(snap.Warnings) != 0 {
				t.Errorf("warnings = %q, want none", snap.Warnings)
			}
		})
	}
}

func TestLoadDirBadInput(t *testing.T) {
	const (
		regPolicy = "222222222222/ap-northeast-1/get-registry-policy.json"
		repos     = "222222222222/ap-northeast-1/describe-repositories.json"
	)
	// A destination whose registry policy was read.
	files := with(baseFiles, map[string]string{
		"222222222222/ap-northeast-1/get-registry-policy.error.json": "",
		regPolicy: goodPolicy,
	})
	tests := []struct {
		name    string
		changes map[string]string
		file    string // the file the error must name
		want    string
	}{
		{"malformed JSON", map[string]string{regPolicy: `{"registryId": "222222222222", "policyText": }`}, regPolicy,
			"invalid JSON at offset 46: invalid character '}' looking for beginning of value (line 1, column 46)"},
		{"truncated JSON", map[string]string{regPolicy: `{"registryId": "2222`}, regPolicy, "invalid JSON at offset 20: unexpected end of JSON input"},
		{"malformed JSON on a later line", map[string]string{regPolicy: "{\n    \"registryId\": \"222222222222\",\n    \"policyText\": \"{}\",\n}\n"}, regPolicy,
			"invalid JSON at offset 61: invalid character '}' looking for beginning of object key string (line 4, column 1)"},
		{"empty file", map[string]string{regPolicy: "\n"}, regPolicy, "empty file"},
		{"not an object", map[string]string{regPolicy: `["policyText"]`}, regPolicy, "want a JSON object, got a JSON array"},
		{"null", map[string]string{regPolicy: `null`}, regPolicy, "want a JSON object"},
		{"policyText not JSON", map[string]string{regPolicy: `{"registryId":"222222222222","policyText":"Version: 2012-10-17"}`}, regPolicy,
			"policyText is not a JSON policy: invalid JSON at offset 1 of the policy"},
		{"policyText an object, not a string", map[string]string{regPolicy: `{"registryId":"222222222222","policyText":{"Version":"2012-10-17"}}`}, regPolicy,
			"policyText: want a string, got a JSON object"},
		{"policyText a JSON array", map[string]string{regPolicy: `{"registryId":"222222222222","policyText":"[]"}`}, regPolicy,
			"policyText is not a JSON policy: want a JSON object"},
		{"policyText missing", map[string]string{regPolicy: `{"registryId":"222222222222"}`}, regPolicy, "policyText is missing"},
		{"wrong field type", map[string]string{repos: `{"repositories":[{"repositoryName":"my-repo","imageScanningConfiguration":{"scanOnPush":"yes"}}]}`}, repos,
			"repositories.imageScanningConfiguration.scanOnPush: want true or false, got a JSON string"},
		{"bad time", map[string]string{repos: `{"repositories":[{"repositoryName":"my-repo","createdAt":"yesterday"}]}`}, repos,
			`time "yesterday" is neither ISO 8601 nor epoch seconds`},
		{"output of another command", map[string]string{repos: `{"registryId":"222222222222","policyText":"{}"}`}, repos, "repositories is missing"},
		{"registryId of another account", map[string]string{regPolicy: strings.Replace(goodPolicy, `"registryId":"222222222222"`, `"registryId":"111111111111"`, 1)}, regPolicy,
			"registryId is 111111111111 but the file is in the folder of account 222222222222"},
		{"status for another repository", map[string]string{
			"111111111111/ap-northeast-1/describe-image-replication-status/my-repo/latest.json": `{"repositoryName":"my-app","imageId":{"imageTag":"latest"},"replicationStatuses":[]}`,
		}, "111111111111/ap-northeast-1/describe-image-replication-status/my-repo/latest.json", `repositoryName is "my-app" but the file is in the folder of repository "my-repo"`},
		{"status entry without status", map[string]string{
			"111111111111/ap-northeast-1/describe-image-replication-status/my-repo/latest.json": `{"repositoryName":"my-repo","imageId":{"imageTag":"latest"},"replicationStatuses":[{"region":"ap-northeast-1","registryId":"222222222222"}]}`,
		}, "111111111111/ap-northeast-1/describe-image-replication-status/my-repo/latest.json", "replicationStatuses[0]: region, registryId and status are all required"},
		{"error file without code", map[string]string{"222222222222/ap-northeast-1/describe-repositories.error.json": `{"Error":{"Message":"denied"}}`},
			"222222222222/ap-northeast-1/describe-repositories.error.json", "Error.Code is missing or empty"},
		{"error file without Error", map[string]string{"222222222222/ap-northeast-1/describe-repositories.error.json": `{"Code":"AccessDeniedException"}`},
			"222222222222/ap-northeast-1/describe-repositories.error.json", "Error is missing"},
		{"output and error both present", map[string]string{"222222222222/ap-northeast-1/get-registry-policy.error.json": policyNotFound}, "222222222222/ap-northeast-1",
			"both get-registry-policy.json and get-registry-policy.error.json exist"},
		{"another account setting", map[string]string{"222222222222/ap-northeast-1/get-account-setting.json": `{"name":"BASIC_SCAN_TYPE_VERSION","value":"AWS_NATIVE"}`},
			"222222222222/ap-northeast-1/get-account-setting.json", `name is "BASIC_SCAN_TYPE_VERSION", want "REGISTRY_POLICY_SCOPE"`},
		{"manifest malformed", map[string]string{"snapshot.json": `{"source":`}, "snapshot.json", "invalid JSON at offset 10"},
		{"manifest bad captured_at", map[string]string{"snapshot.json": `{"source":{"account":"111111111111","region":"ap-northeast-1"},"captured_at":"26/11/2026"}`},
			"snapshot.json", `captured_at "26/11/2026" is not an RFC 3339 time`},
		{"manifest bad account", map[string]string{"snapshot.json": `{"source":{"account":"1111-1111-1111","region":"ap-northeast-1"}}`},
			"snapshot.json", `source.account "1111-1111-1111" is not a 12-digit AWS account ID`},
		{"not_read of no call", map[string]string{"snapshot.json": strings.Replace(manifestJSON, `"captured_at"`, `"not_read":[{"account":"111111111111","region":"ap-northeast-1","call":"describe-everything","why":"x"}],"captured_at"`, 1)},
			"snapshot.json", `not_read[0].call "describe-everything" is not a read of the snapshot layout`},
		{"not_read without why", map[string]string{"snapshot.json": manifestJSON[:len(manifestJSON)-1] + `,"not_read":[{"account":"111111111111","region":"ap-northeast-1","call":"describe-repositories"}]}`},
			"snapshot.json", `not_read[0].why is empty`},
		{"not_read bad region", map[string]string{"snapshot.json": manifestJSON[:len(manifestJSON)-1] + `,"not_read":[{"account":"111111111111","region":"tokyo","call":"describe-repositories","why":"x"}]}`},
			"snapshot.json", `not_read[0].region "tokyo" is not an AWS region name`},
		{"lookup-events error file without code", map[string]string{"111111111111/ap-northeast-1/lookup-events.error.json": `{"Error":{}}`},
			"111111111111/ap-northeast-1/lookup-events.error.json", "Error.Code is missing"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeSnapshot(t, with(files, tc.changes))
			_, err := LoadDir(context.Background(), dir, LoadOptions{})
			if err == nil {
				t.Fatal("LoadDir: no error")
			}
			prefix := filepath.Join(dir, filepath.FromSlash(tc.file)) + ": "
			if !strings.HasPrefix(err.Error(), prefix) {
				t.Errorf("error %q\ndoes not start with the file %q", err, prefix)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q\ndoes not say %q", err, tc.want)
			}
		})
	}
}

func TestLoadDirNotASnapshot(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"empty folder", map[string]string{}, "not a snapshot folder: no snapshot.json and no <account>/<region>/ folders"},
		{"some other folder", map[string]string{"README.md": "# hi\n", "src/main.go": "package main\n", "1111/x.json": "{}"}, "not a snapshot folder"},
		{"account folder without regions", map[string]string{"111111111111/notes.txt": "x"}, "not a snapshot folder"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeSnapshot(t, tc.files)
			_, err := LoadDir(context.Background(), dir, LoadOptions{})
			if err == nil || !strings.HasPrefix(err.Error(), dir+": ") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error = %v, want %q naming %s", err, tc.want, dir)
			}
		})
	}
	t.Run("a file", func(t *testing.T) {
		dir := writeSnapshot(t, map[string]string{"snapshot.json": manifestJSON})
		p := filepath.Join(dir, "snapshot.json")
		_, err := LoadDir(context.Background(), p, LoadOptions{})
		if err == nil || !strings.Contains(err.Error(), p+": not a snapshot folder") {
			t.Errorf("error = %v", err)
		}
	})
	t.Run("missing", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "nope")
		_, err := LoadDir(context.Background(), p, LoadOptions{})
		if !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), p) {
			t.Errorf("error = %v, want not-exist naming %s", err, p)
		}
	})
}

func TestLoadDirSkippedFiles(t *testing.T) {
	dir := writeSnapshot(t, with(baseFiles, map[string]string{
		"README.md":                  "how I made this\n",
		"expect.json":                `{"codes":[]}`, // a fixture's expectation: not reported
		"notes/ticket.txt":           "INC-123\n",
		"111111111111/whoami.json":   `{"Account":"111111111111"}`,
		"111111111111/global/x.json": `{}`,
		"111111111111/ap-northeast-1/describe-images.json":                   `{"imageDetails":[]}`,
		"111111111111/ap-northeast-1/describe-registry.json.bak":             sourceRegistry,
		"222222222222/ap-northeast-1/get-repository-policy/my-repo.yaml":     "policyText: x\n",
		"222222222222/ap-northeast-1/describe-image-replication-status.json": `{}`,
	}))
	snap, err := LoadDir(context.Background(), dir, LoadOptions{})
	if err != nil {
		t.Fatalf("LoadDir: %v", err)
	}
	var want []string
	for _, rel := range []string{
		"111111111111/ap-northeast-1/describe-images.json",
		"111111111111/ap-northeast-1/describe-registry.json.bak",
		"111111111111/global",
		"111111111111/whoami.json",
		"222222222222/ap-northeast-1/describe-image-replication-status.json",
		"222222222222/ap-northeast-1/get-repository-policy/my-repo.yaml",
		"README.md",
		"notes",
	} {
		want = append(want, filepath.Join(dir, filepath.FromSlash(rel))+": skipped: not a file ecrdoctor reads")
	}
	got := slices.Clone(snap.Warnings)
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// The files that are read still are.
	if !snap.Registry(srcLoc).DescribeRegistry.OK() {
		t.Error("describe-registry.json not read next to describe-registry.json.bak")
	}
}

func TestLoadDirCLIErrorText(t *testing.T) {
	// `aws ecr get-registry-policy 2> get-registry-policy.error.json` stores
	// the CLI's own error line; it is accepted as the JSON form would be.
	dir := writeSnapshot(t, with(baseFiles, map[string]string{
		"222222222222/ap-northeast-1/get-registry-policy.error.json": "\nAn error occurred (RegistryPolicyNotFoundException) when calling the GetRegistryPolicy operation: Registry policy does not exist in the registry with id '222222222222'\n",
	}))
	snap, err := LoadDir(context.Background(), dir, LoadOptions{})
	if err != nil {
		t.Fatalf("LoadDir: %v", err)
	}
	r := snap.Registry(dstLoc).RegistryPolicy
	if r.State != diagnose.Failed || r.Err.Code != "RegistryPolicyNotFoundException" || r.Err.Message != "Registry policy does not exist in the registry with id '222222222222'" {
		t.Errorf("read = %+v, err %+v", r, r.Err)
	}
}

func TestLoadDirCapturedAt(t *testing.T) {
	newest := time.Date(2026, 11, 26, 9, 30, 0, 0, time.UTC)
	dir := writeSnapshot(t, with(baseFiles, map[string]string{"snapshot.json": ""}))
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		mtime := newest.Add(-time.Hour)
		if strings.HasSuffix(p, "get-account-setting.json") {
			mtime = newest
		}
		return os.Chtimes(p, mtime, mtime)
	})
	if err != nil {
		t.Fatal(err)
	}
	snap, err := LoadDir(context.Background(), dir, LoadOptions{Now: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatalf("LoadDir: %v", err)
	}
	if !snap.CapturedAt.Equal(newest) {
		t.Errorf("CapturedAt = %v, want the newest file time %v", snap.CapturedAt, newest)
	}
}

func TestLoadDirLookupEventsError(t *testing.T) {
	dir := writeSnapshot(t, with(baseFiles, map[string]string{
		"111111111111/ap-northeast-1/lookup-events.error.json": `{"Error":{"Code":"AccessDeniedException","Message":"User: arn:aws:sts::111111111111:assumed-role/OnCall/jane is not authorized to perform: cloudtrail:LookupEvents because no identity-based policy allows the cloudtrail:LookupEvents action"}}`,
	}))
	snap, err := LoadDir(context.Background(), dir, LoadOptions{})
	if err != nil {
		t.Fatalf("LoadDir: %v", err)
	}
	if snap.EventsCollected {
		t.Error("EventsCollected = true, want false: the only CloudTrail read failed")
	}
	want := filepath.Join(dir, "111111111111", tokyo, "lookup-events.error.json") + ": CloudTrail lookup failed: AccessDeniedException: User: "
	if len(snap.Warnings) != 1 || !strings.HasPrefix(snap.Warnings[0], want) {
		t.Errorf("warnings = %q, want one starting %q", snap.Warnings, want)
	}
}

// A ReplicateImage denial as LookupEvents prints it (CLI v1), and a trail log
// file with a denial, a success and a near miss.
const (
	lookupEventsJSON = `{"Events":[{"EventId":"4f1c2a77-0b8e-4d7a-9c1e-2f3a4b5c6d7e","EventName":"ReplicateImage","ReadOnly":"false","EventTime":1795655031.0,"EventSource":"ecr.amazonaws.com","Username":"ECRReplication","Resources":[{"ResourceType":"AWS::ECR::Repository","ResourceName":"arn:aws:ecr:ap-northeast-1:222222222222:repository/my-repo"}],"CloudTrailEvent":` +
		`"{\"eventVersion\":\"1.09\",\"userIdentity\":{\"type\":\"AssumedRole\",\"principalId\":\"AROAB3NVE6X522I57ZC6F:ECRReplication\",\"arn\":\"arn:aws:sts::111111111111:assumed-role/AWSServiceRoleForECRReplication/ECRReplication\",\"accountId\":\"111111111111\",\"sessionContext\":{\"sessionIssuer\":{\"type\":\"Role\",\"principalId\":\"AROAB3NVE6X522I57ZC6F\",\"arn\":\"arn:aws:iam::111111111111:role/aws-service-role/replication.ecr.amazonaws.com/AWSServiceRoleForECRReplication\",\"accountId\":\"111111111111\",\"userName\":\"AWSServiceRoleForECRReplication\"}},\"invokedBy\":\"replication.ecr.amazonaws.com\"},\"eventTime\":\"2026-11-26T01:03:51Z\",\"eventSource\":\"ecr.amazonaws.com\",\"eventName\":\"ReplicateImage\",\"awsRegion\":\"ap-northeast-1\",\"sourceIPAddress\":\"replication.ecr.amazonaws.com\",\"userAgent\":\"replication.ecr.amazonaws.com\",\"errorCode\":\"AccessDenied\",\"errorMessage\":\"User: arn:aws:sts::111111111111:assumed-role/AWSServiceRoleForECRReplication/ECRReplication is not authorized to perform: ecr:ReplicateImage on resource: arn:aws:ecr:ap-northeast-1:222222222222:repository/my-repo because no resource-based policy allows the ecr:ReplicateImage action\",\"requestParameters\":{\"registryId\":\"222222222222\",\"repositoryName\":\"my-repo\"},\"responseElements\":null,\"requestID\":\"9d2e0c41-6a3b-4f5e-8d7c-1b2a3c4d5e6f\",\"eventID\":\"4f1c2a77-0b8e-4d7a-9c1e-2f3a4b5c6d7e\",\"readOnly\":false,\"resources\":[{\"ARN\":\"arn:aws:ecr:ap-northeast-1:222222222222:repository/my-repo\",\"accountId\":\"222222222222\",\"type\":\"AWS::ECR::Repository\"}],\"eventType\":\"AwsApiCall\",\"managementEvent\":true,\"recipientAccountId\":\"111111111111\",\"sharedEventID\":\"0c9b8a7d-6e5f-4a3b-9c2d-1e0f9a8b7c6d\",\"eventCategory\":\"Management\"}"}]}`
)

func TestLoadDirEvents(t *testing.T) {
	t.Run("no CloudTrail files", func(t *testing.T) {
		snap, err := LoadDir(context.Background(), writeSnapshot(t, baseFiles), LoadOptions{})
		if err != nil {
			t.Fatalf("LoadDir: %v", err)
		}
		if snap.EventsCollected {
			t.Error("EventsCollected = true with no CloudTrail file")
		}
	})
	tests := []struct {
		name       string
		files      map[string]string
		extra      bool // pass the lookup file again through opts.Events, from outside DIR
		wantEvents int
	}{
		{"lookup-events in a registry folder", map[string]string{"111111111111/ap-northeast-1/lookup-events.json": lookupEventsJSON}, false, 1},
		{"paginated lookup-events files", map[string]string{
			"111111111111/ap-northeast-1/lookup-events-1.json": lookupEventsJSON,
			"111111111111/ap-northeast-1/lookup-events-2.json": `{"Events":[]}`,
		}, false, 1},
		{"cloudtrail folder", map[string]string{"cloudtrail/lookup.json": lookupEventsJSON}, false, 1},
		{"--events only", map[string]string{}, true, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeSnapshot(t, with(baseFiles, tc.files))
			var opts LoadOptions
			if tc.extra {
				p := filepath.Join(t.TempDir(), "events.json")
				if err := os.WriteFile(p, []byte(lookupEventsJSON), 0o644); err != nil {
					t.Fatal(err)
				}
				opts.Events = []string{p}
			}
			snap, err := LoadDir(context.Background(), dir, opts)
			if err != nil {
				t.Fatalf("LoadDir: %v", err)
			}
			if !snap.EventsCollected {
				t.Error("EventsCollected = false")
			}
			if len(snap.Events) != tc.wantEvents {
				t.Fatalf("events = %+v, want %d", snap.Events, tc.wantEvents)
			}
			e := snap.Events[0]
			if e.Repository != "my-repo" || e.ErrorCode != "AccessDenied" || e.Destination.Account != dst || e.Destination.Region != tokyo {
				t.Errorf("event = %+v", e)
			}
			if snap.EventsScanned.Records == 0 {
				t.Errorf("EventsScanned = %+v, want records counted", snap.EventsScanned)
			}
		})
	}
}

// fixtureFacts are the basic facts put into each fixtures/ folder: what the
// loader must read from it (the diagnosis is tested elsewhere).
type fixtureFacts struct {
	source     diagnose.Location
	registries []diagnose.Location
	reads      []fixtureRead
	// events is how many CloudTrail events of my-repo the folder holds
	// (replication calls, successful or not), -1 when it has no CloudTrail
	// file; failed is how many of them were denied.
	events, failed int
}

type fixtureRead struct {
	at    diagnose.Location
	call  string // a call name as in layout.go: get-registry-policy, get-repository-policy/my-repo, ...
	state diagnose.ReadState
	code  string
}

var (
	usWestLoc = diagnose.Location{Account: src, Region: usWest}
	dstUSEast = diagnose.Location{Account: dst, Region: "us-east-1"}
	dst3      = diagnose.Location{Account: "333333333333", Region: "eu-west-1"}
)

func collected(at diagnose.Location, call string) fixtureRead {
	return fixtureRead{at, call, diagnose.Collected, ""}
}

func failed(at diagnose.Location, call, code string) fixtureRead {
	return fixtureRead{at, call, diagnose.Failed, code}
}

// destinationFiles are the reads every fixture with a readable destination
// that has my-repo and no repository policy holds.
func destinationFiles(registryPolicy fixtureRead) []fixtureRead {
	return []fixtureRead{
		collected(srcLoc, "describe-registry"),
		collected(srcLoc, "describe-image-replication-status/my-repo/latest"),
		registryPolicy,
		collected(dstLoc, "describe-repositories"),
		failed(dstLoc, "get-repository-policy/my-repo", "RepositoryPolicyNotFoundException"),
		collected(dstLoc, "get-account-setting"),
	}
}

var fixtureTable = map[string]fixtureFacts{
	"seed-grant-in-repository-policy": {
		source: srcLoc, registries: []diagnose.Location{srcLoc, usWestLoc, dstLoc},
		reads: []fixtureRead{
			failed(dstLoc, "get-registry-policy", "RegistryPolicyNotFoundException"),
			collected(dstLoc, "get-repository-policy/my-repo"),
			collected(dstLoc, "describe-repositories"),
			collected(usWestLoc, "describe-repositories"),
			collected(srcLoc, "describe-image-replication-status/my-repo/latest"),
		},
		events: 3, failed: 3,
	},
	"healthy": {source: srcLoc, registries: []diagnose.Location{srcLoc, dstLoc},
		reads: destinationFiles(collected(dstLoc, "get-registry-policy")), events: 3, failed: 0},
	"replication-not-configured": {source: srcLoc, registries: []diagnose.Location{srcLoc, dstLoc},
		reads: destinationFiles(collected(dstLoc, "get-registry-policy")), events: -1},
	"filter-does-not-match": {source: srcLoc, registries: []diagnose.Location{srcLoc, dstLoc},
		reads: destinationFiles(collected(dstLoc, "get-registry-policy")), events: 0},
	"destination-is-source": {source: srcLoc, registries: []diagnose.Location{srcLoc},
		reads: []fixtureRead{collected(srcLoc, "describe-registry"), collected(srcLoc, "describe-repositories")}, events: -1},
	"registry-policy-missing": {source: srcLoc, registries: []diagnose.Location{srcLoc, dstLoc},
		reads: destinationFiles(failed(dstLoc, "get-registry-policy", "RegistryPolicyNotFoundException")), events: 3, failed: 3},
	"registry-policy-in-other-region": {source: srcLoc, registries: []diagnose.Location{srcLoc, dstLoc, dstUSEast},
		reads: append(destinationFiles(failed(dstLoc, "get-registry-policy", "RegistryPolicyNotFoundException")),
			collected(dstUSEast, "get-registry-policy")), events: 2, failed: 2},
	"principal-mismatch": {source: srcLoc, registries: []diagnose.Location{srcLoc, dstLoc},
		reads: destinationFiles(collected(dstLoc, "get-registry-policy")), events: 3, failed: 3},
	"resource-mismatch": {source: srcLoc, registries: []diagnose.Location{srcLoc, dstLoc},
		reads: destinationFiles(collected(dstLoc, "get-registry-policy")), events: 3, failed: 3},
	"action-not-granted": {source: srcLoc, registries: []diagnose.Location{srcLoc, dstLoc},
		reads: destinationFiles(collected(dstLoc, "get-registry-policy")), events: 2, failed: 2},
	"create-repository-not-allowed": {source: srcLoc, registries: []diagnose.Location{srcLoc, dstLoc},
		reads: []fixtureRead{
			collected(dstLoc, "get-registry-policy"),
			collected(dstLoc, "describe-repositories"),
			failed(dstLoc, "get-repository-policy/my-repo", "RepositoryNotFoundException"),
		}, events: 2, failed: 2},
	"explicit-deny": {source: srcLoc, registries: []diagnose.Location{srcLoc, dstLoc},
		reads: destinationFiles(collected(dstLoc, "get-registry-policy")), events: 3, failed: 3},
	"condition-not-satisfied": {source: srcLoc, registries: []diagnose.Location{srcLoc, dstLoc},
		reads: destinationFiles(collected(dstLoc, "get-registry-policy")), events: 3, failed: 3},
	"condition-unknown": {source: srcLoc, registries: []diagnose.Location{srcLoc, dstLoc},
		reads: destinationFiles(collected(dstLoc, "get-registry-policy")), events: -1},
	"destination-unreadable": {source: srcLoc, registries: []diagnose.Location{srcLoc, dstLoc},
		reads: []fixtureRead{
			failed(dstLoc, "get-registry-policy", "AccessDeniedException"),
			failed(dstLoc, "describe-repositories", "AccessDeniedException"),
			failed(dstLoc, "get-repository-policy/my-repo", "AccessDeniedException"),
			failed(dstLoc, "get-account-setting", "AccessDeniedException"),
		}, events: -1},
	"replicate-image-denied": {source: srcLoc, registries: []diagnose.Location{srcLoc},
		reads:  []fixtureRead{collected(srcLoc, "describe-registry"), collected(srcLoc, "describe-image-replication-status/my-repo/latest")},
		events: 3, failed: 3},
	"stale-failures": {source: srcLoc, registries: []diagnose.Location{srcLoc, dstLoc},
		reads: append(destinationFiles(collected(dstLoc, "get-registry-policy")),
			collected(srcLoc, "describe-image-replication-status/my-repo/1.4.0")), events: 3, failed: 2},
	"backfill-failed": {source: srcLoc, registries: []diagnose.Location{srcLoc, dstLoc},
		reads: append(destinationFiles(failed(dstLoc, "get-registry-policy", "RegistryPolicyNotFoundException")),
			collected(srcLoc, "list-replication-backfills"), collected(srcLoc, "describe-replication-backfill-results/4f1d9c62-8a3e-4b7f-9c15-2e6a8d0b7f31")), events: 3, failed: 3},
	"image-pushed-before-rule": {source: srcLoc, registries: []diagnose.Location{srcLoc, dstLoc},
		reads: append(destinationFiles(collected(dstLoc, "get-registry-policy")), collected(srcLoc, "describe-images/my-repo"), collected(srcLoc, "lookup-events-PutReplicationConfiguration")), events: 3, failed: 0},
	"replication-in-progress-long": {source: srcLoc, registries: []diagnose.Location{srcLoc, dstLoc},
		reads: append(destinationFiles(collected(dstLoc, "get-registry-policy")), collected(srcLoc, "describe-images/my-repo")), events: 3, failed: 0},
	"kms-key-not-usable": {source: srcLoc, registries: []diagnose.Location{srcLoc, dstLoc},
		reads: append(destinationFiles(collected(dstLoc, "get-registry-policy")), collected(dstLoc, "describe-repository-creation-templates")), events: 3, failed: 0},
	"creation-template-not-applied": {source: srcLoc, registries: []diagnose.Location{srcLoc, dstLoc},
		reads: append(destinationFiles(collected(dstLoc, "get-registry-policy")), collected(dstLoc, "describe-repository-creation-templates")), events: 3, failed: 0},
	"pull-through-cache-not-replication": {source: srcLoc, registries: []diagnose.Location{srcLoc, dstLoc},
		reads: append(destinationFiles(failed(dstLoc, "get-registry-policy", "RegistryPolicyNotFoundException")), collected(dstLoc, "describe-pull-through-cache-rules")), events: 3, failed: 3},
	"region-not-enabled": {source: srcLoc, registries: []diagnose.Location{srcLoc, {Account: "111111111111", Region: "me-central-1"}, dstLoc},
		reads: append(destinationFiles(collected(dstLoc, "get-registry-policy")),
			failed(diagnose.Location{Account: "111111111111", Region: "me-central-1"}, "describe-repositories", "RepositoryNotFoundException"),
			collected(diagnose.Location{Account: "111111111111", Region: "me-central-1"}, "get-region-opt-status")), events: 3, failed: 0},
	"too-many-destinations": {source: srcLoc, registries: []diagnose.Location{srcLoc, dstLoc},
		reads: destinationFiles(collected(dstLoc, "get-registry-policy")), events: 3, failed: 0},
	"kms-key-policy-denies": {source: srcLoc, registries: []diagnose.Location{srcLoc, dstLoc},
		reads: append(destinationFiles(collected(dstLoc, "get-registry-policy")), collected(dstLoc, "describe-repository-creation-templates"),
			collected(dstLoc, "get-key-policy/0f2c6b1e-9d4a-4e7b-8c3f-5a1d2e6b7c90")), events: 3, failed: 0},
	"image-index-child-not-replicated": {source: srcLoc, registries: []diagnose.Location{srcLoc, dstLoc},
		reads: append(destinationFiles(collected(dstLoc, "get-registry-policy")), collected(srcLoc, "describe-images/my-repo"), collected(srcLoc, "batch-get-image/my-repo/latest"),
			collected(srcLoc, "image-index-children/my-repo/sha256@50ea5acd7b64b5d5b3c8801c618166a2d894cde57f76ade3adf57d3138ee852f"),
			collected(srcLoc, "image-index-children/my-repo/sha256@f9deea657b887fe38adc3f0d971942ff216ddda8299350cd865b3da8c2ff2440")), events: 3, failed: 0},
	"cross-partition": {source: srcLoc, registries: []diagnose.Location{srcLoc, dstLoc},
		reads: destinationFiles(collected(dstLoc, "get-registry-policy")), events: 3, failed: 0},
	"tag-immutability-conflict": {source: srcLoc, registries: []diagnose.Location{srcLoc, dstLoc},
		reads: destinationFiles(collected(dstLoc, "get-registry-policy")), events: 3, failed: 0},
	"backfill-in-progress": {source: srcLoc, registries: []diagnose.Location{srcLoc, dstLoc},
		reads: append(destinationFiles(collected(dstLoc, "get-registry-policy")), collected(srcLoc, "list-replication-backfills")), events: 3, failed: 0},
	"delete-replication-enabled": {source: srcLoc, registries: []diagnose.Location{srcLoc, dstLoc},
		reads: append(destinationFiles(collected(dstLoc, "get-registry-policy")), collected(srcLoc, "get-lifecycle-policy/my-repo"), collected(srcLoc, "lookup-events-BatchDeleteImage")), events: 3, failed: 0},
	"multiple-faults": {source: srcLoc, registries: []diagnose.Location{srcLoc, usWestLoc, dstLoc, dst3},
		reads: append(destinationFiles(collected(dstLoc, "get-registry-policy")),
			failed(dst3, "get-registry-policy", "RegistryPolicyNotFoundException"),
			failed(dst3, "get-repository-policy/my-repo", "RepositoryNotFoundException"),
			collected(dst3, "describe-repositories"),
			collected(usWestLoc, "describe-repositories")),
		events: 4, failed: 3},
	"hand-made": {source: srcLoc, registries: []diagnose.Location{srcLoc, usWestLoc, dstLoc},
		reads: []fixtureRead{
			collected(usWestLoc, "describe-registry"),
			failed(dstLoc, "get-registry-policy", "RegistryPolicyNotFoundException"),
			collected(dstLoc, "get-repository-policy/my-repo"),
		},
		events: 3, failed: 3},
}

// scanFixtureFacts is what LoadScanDir must read from a whole-registry
// fixture: its sources, every registry folder, and the replication events
// of all their repositories (total, and failed).
type scanFixtureFacts struct {
	sources, registries []diagnose.Location
	events, failed      int
}

var scanFixtureTable = map[string]scanFixtureFacts{
	"organization": {
		sources: []diagnose.Location{{Account: "111111111111", Region: "ap-northeast-1"}, {Account: "222222222222", Region: "eu-west-1"}},
		registries: []diagnose.Location{
			{Account: "111111111111", Region: "ap-northeast-1"}, {Account: "111111111111", Region: "ap-southeast-1"}, {Account: "111111111111", Region: "eu-west-1"},
			{Account: "111111111111", Region: "me-central-1"}, {Account: "111111111111", Region: "us-east-1"}, {Account: "111111111111", Region: "us-west-2"},
			{Account: "222222222222", Region: "ap-northeast-1"}, {Account: "222222222222", Region: "eu-central-1"}, {Account: "222222222222", Region: "eu-west-1"},
			{Account: "222222222222", Region: "us-east-1"},
			{Account: "333333333333", Region: "ap-southeast-1"}, {Account: "333333333333", Region: "eu-central-1"}, {Account: "333333333333", Region: "eu-west-1"},
			{Account: "333333333333", Region: "us-east-1"},
		},
		events: 45, failed: 43,
	},
}

func checkScanFixture(t *testing.T, name string, want scanFixtureFacts) {
	t.Helper()
	snap, scope, err := LoadScanDir(context.Background(), filepath.Join(fixturesDir, name), ScanLoadOptions{})
	if err != nil {
		t.Fatalf("LoadScanDir: %v", err)
	}
	if !slices.Equal(scope.Sources, want.sources) || scope.Repository != "" {
		t.Errorf("sources %v, repository %q; want %v and every repository", scope.Sources, scope.Repository, want.sources)
	}
	var locs []diagnose.Location
	for loc := range snap.Registries {
		locs = append(locs, loc)
	}
	slices.SortFunc(locs, diagnose.Location.Compare)
	if !slices.Equal(locs, want.registries) {
		t.Errorf("registries = %v, want %v", locs, want.registries)
	}
	if len(snap.Warnings) != 0 {
		t.Errorf("warnings: %q", snap.Warnings)
	}
	if want := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC); !snap.CapturedAt.Equal(want) {
		t.Errorf("CapturedAt = %v, want %v", snap.CapturedAt, want)
	}
	nFailed := 0
	for _, e := range snap.Events {
		if e.Failed() {
			nFailed++
		}
	}
	if len(snap.Events) != want.events || nFailed != want.failed {
		t.Errorf("events = %d (%d failed), want %d (%d failed)", len(snap.Events), nFailed, want.events, want.failed)
	}
}

// readOf returns the state of one call of reg.
func readOf(reg *diagnose.Registry, call string) (diagnose.ReadState, string, bool) {
	switch {
	case call == DescribeRegistryFile:
		return reg.DescribeRegistry.State, reg.DescribeRegistry.ErrCode(), true
	case call == GetRegistryPolicyFile:
		return reg.RegistryPolicy.State, reg.RegistryPolicy.ErrCode(), true
	case call == DescribeRepositoriesFile:
		return reg.Repositories.State, reg.Repositories.ErrCode(), true
	case call == GetAccountSettingFile:
		return reg.PolicyScope.State, reg.PolicyScope.ErrCode(), true
	case strings.HasPrefix(call, DescribeImagesDir+"/"):
		r := reg.Images[strings.TrimPrefix(call, DescribeImagesDir+"/")]
		return r.State, r.ErrCode(), true
	case call == TemplatesFile:
		return reg.Templates.State, reg.Templates.ErrCode(), true
	case strings.HasPrefix(call, LifecyclePolicyDir+"/"):
		r := reg.LifecyclePolicies[strings.TrimPrefix(call, LifecyclePolicyDir+"/")]
		return r.State, r.ErrCode(), true
	case strings.HasPrefix(call, KeyPolicyDir+"/"):
		r := reg.KeyPolicies[strings.TrimPrefix(call, KeyPolicyDir+"/")]
		return r.State, r.ErrCode(), true
	case strings.HasPrefix(call, IndexManifestDir+"/"):
		repo, img, _ := cutLastSep(strings.TrimPrefix(call, IndexManifestDir+"/"), "/")
		r := reg.IndexManifests[repo][imageFromFileName(img)]
		return r.State, r.ErrCode(), true
	case strings.HasPrefix(call, IndexChildrenDir+"/"):
		repo, img, _ := cutLastSep(strings.TrimPrefix(call, IndexChildrenDir+"/"), "/")
		r := reg.IndexChildren[repo][imageFromFileName(img)]
		return r.State, r.ErrCode(), true
	case call == DeleteEventsName:
		return reg.Deletes.State, reg.Deletes.ErrCode(), true
	case call == RulePutsName:
		return reg.RulePuts.State, reg.RulePuts.ErrCode(), true
	case call == PullThroughCacheFile:
		return reg.PullThroughCache.State, reg.PullThroughCache.ErrCode(), true
	case call == RegionOptStatusFile:
		return reg.RegionOptStatus.State, reg.RegionOptStatus.ErrCode(), true
	case call == ListBackfillsFile:
		return reg.Backfills.State, reg.Backfills.ErrCode(), true
	case strings.HasPrefix(call, BackfillResultsDir+"/"):
		r := reg.BackfillResults[strings.TrimPrefix(call, BackfillResultsDir+"/")]
		return r.State, r.ErrCode(), true
	case strings.HasPrefix(call, GetRepositoryPolicyDir+"/"):
		r := reg.RepositoryPolicies[strings.TrimPrefix(call, GetRepositoryPolicyDir+"/")]
		return r.State, r.ErrCode(), true
	case strings.HasPrefix(call, ReplicationStatusDir+"/"):
		repo, image, _ := cutLastSep(strings.TrimPrefix(call, ReplicationStatusDir+"/"), "/")
		r := reg.ReplicationStatus[repo][image]
		return r.State, r.ErrCode(), true
	}
	return 0, "", false
}

const fixturesDir = "../../fixtures"

func TestLoadFixtures(t *testing.T) {
	entries, err := os.ReadDir(fixturesDir)
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join(fixturesDir, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	var folders []string
	for _, e := range entries {
		// fixtures/terraform holds Terraform configurations, not a snapshot
		// (diagnose/terraform's tests read it).
		if e.IsDir() && e.Name() != "terraform" {
			folders = append(folders, e.Name())
		}
	}
	for name := range scanFixtureTable {
		if !slices.Contains(folders, name) {
			t.Errorf("fixtures/%s is missing", name)
		}
	}
	for name := range fixtureTable {
		if !slices.Contains(folders, name) {
			t.Errorf("fixtures/%s is missing", name)
		}
	}
	for _, name := range folders {
		t.Run(name, func(t *testing.T) {
			if want, ok := scanFixtureTable[name]; ok {
				checkScanFixture(t, name, want)
				return
			}
			want, ok := fixtureTable[name]
			if !ok {
				t.Fatalf("fixtures/%s has no entry in fixtureTable: add the facts it holds", name)
			}
			if !strings.Contains(string(readme), "`"+name+"`") {
				t.Errorf("fixtures/README.md does not list `%s`", name)
			}
			dir := filepath.Join(fixturesDir, name)
			snap, err := LoadDir(context.Background(), dir, LoadOptions{Repository: "my-repo"})
			if err != nil {
				t.Fatalf("LoadDir: %v", err)
			}
			if snap.Source != want.source || snap.Repository != "my-repo" {
				t.Errorf("source, repository = %v, %q; want %v, my-repo", snap.Source, snap.Repository, want.source)
			}
			var locs []diagnose.Location
			for loc := range snap.Registries {
				locs = append(locs, loc)
			}
			slices.SortFunc(locs, diagnose.Location.Compare)
			wantLocs := slices.Clone(want.registries)
			slices.SortFunc(wantLocs, diagnose.Location.Compare)
			if !slices.Equal(locs, wantLocs) {
				t.Errorf("registries = %v, want %v", locs, wantLocs)
			}
			for _, r := range want.reads {
				reg := snap.Registry(r.at)
				if reg == nil {
					t.Errorf("%s: registry not loaded", r.at)
					continue
				}
				state, code, known := readOf(reg, r.call)
				if !known {
					t.Fatalf("bad call name %q in fixtureTable", r.call)
				}
				if state != r.state || code != r.code {
					t.Errorf("%s %s: state %d %q, want %d %q", r.at, r.call, state, code, r.state, r.code)
				}
			}
			if name == "hand-made" {
				if !snap.CapturedAt.After(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)) {
					t.Errorf("CapturedAt = %v, want the newest file time", snap.CapturedAt)
				}
			} else if want := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC); !snap.CapturedAt.Equal(want) {
				t.Errorf("CapturedAt = %v, want %v", snap.CapturedAt, want)
			}
			if len(snap.Warnings) != 0 {
				t.Errorf("warnings: %q", snap.Warnings)
			}
			if snap.EventsCollected != (want.events >= 0) {
				t.Errorf("EventsCollected = %v, want %v", snap.EventsCollected, want.events >= 0)
			}
			if want.events < 0 {
				return
			}
			nFailed := 0
			for _, e := range snap.Events {
				if e.Repository != "my-repo" {
					t.Errorf("event %s of repository %q kept for my-repo", e.EventID, e.Repository)
				}
				if e.Failed() {
					nFailed++
				}
			}
			if len(snap.Events) != want.events || nFailed != want.failed {
				t.Errorf("events = %d (%d failed), want %d (%d failed)", len(snap.Events), nFailed, want.events, want.failed)
			}
		})
	}
}

// A repository or tag whose name ends in ".error" has an output file named
// like the stored error of the name without it (x.error.json): the content
// tells them apart.
func TestLoadNamesEndingInError(t *testing.T) {
	repoPolicy := `{"registryId":"222222222222","repositoryName":"build.error","policyText":"{\"Version\":\"2012-10-17\",\"Statement\":[]}"}`
	dir := writeSnapshot(t, with(baseFiles, map[string]string{
		"222222222222/ap-northeast-1/get-repository-policy/build.error.json":                  repoPolicy,
		"222222222222/ap-northeast-1/get-repository-policy/other.error.json":                  `{"Error":{"Code":"RepositoryPolicyNotFoundException","Message":"none"}}`,
		"222222222222/ap-northeast-1/get-repository-policy/cli.error.json":                    "An error occurred (RepositoryPolicyNotFoundException) when calling the GetRepositoryPolicy operation: none\n",
		"222222222222/ap-northeast-1/get-repository-policy/gone.error.error.json":             `{"Error":{"Code":"RepositoryNotFoundException","Message":"gone.error"}}`,
		"111111111111/ap-northeast-1/describe-image-replication-status/my-repo/v1.error.json": `{"repositoryName":"my-repo","imageId":{"imageTag":"v1.error"},"replicationStatuses":[]}`,
	}))
	snap, err := LoadDir(context.Background(), dir, LoadOptions{Repository: "my-repo"})
	if err != nil {
		t.Fatalf("LoadDir: %v", err)
	}
	policies := snap.Registry(dstLoc).RepositoryPolicies
	for name, want := range map[string]diagnose.ReadState{"build.error": diagnose.Collected, "other": diagnose.Failed, "cli": diagnose.Failed, "gone.error": diagnose.Failed} {
		if r, ok := policies[name]; !ok || r.State != want {
			t.Errorf("repository policy of %q: present %v, state %v; want %v", name, ok, r.State, want)
		}
	}
	for _, wrong := range []string{"build", "gone", "gone.error.error"} {
		if _, ok := policies[wrong]; ok {
			t.Errorf("a repository policy for %q was read, from a file of another repository", wrong)
		}
	}
	if r, ok := snap.Registry(srcLoc).ReplicationStatus["my-repo"]["v1.error"]; !ok || r.State != diagnose.Collected {
		t.Errorf("replication status of tag v1.error: present %v, state %v", ok, r.State)
	}
}
