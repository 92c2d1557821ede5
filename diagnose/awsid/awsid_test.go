package awsid

import (
	"testing"
	"time"
)

func TestParseTime(t *testing.T) {
	now := time.Date(2024, 5, 10, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		in   string
		end  bool
		want time.Time
	}{
		{"2024-05-01T10:00:00Z", false, time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)},
		{"2024-05-01T10:00:00+09:00", false, time.Date(2024, 5, 1, 1, 0, 0, 0, time.UTC)},
		{"2024-05-01", false, time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)},
		{"2024-05-01", true, time.Date(2024, 5, 2, 0, 0, 0, 0, time.UTC)},
		{"7d", false, now.AddDate(0, 0, -7)},
		{"1.5d", false, now.Add(-36 * time.Hour)},
		{"36h", false, now.Add(-36 * time.Hour)},
		{"90m", false, now.Add(-90 * time.Minute)},
		{"2w", false, now.AddDate(0, 0, -14)},
		{"1h30m", false, now.Add(-90 * time.Minute)},
	}
	for _, tc := range cases {
		got, err := ParseTime(tc.in, now, tc.end)
		if err != nil || !got.Equal(tc.want) {
			t.Errorf("ParseTime(%q, end=%v) = %v, %v; want %v", tc.in, tc.end, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "yesterday", "-3d", "2024-13-01", "7x", "NaNd", "Infd", "99999999999w"} {
		if got, err := ParseTime(bad, now, false); err == nil {
			t.Errorf("ParseTime(%q) accepted: %v", bad, got)
		}
	}
}

func TestAccountAndRegion(t *testing.T) {
	for s, want := range map[string]bool{"111111111111": true, "11111111111": false, "1111111111112": false, "11111111111a": false, "": false} {
		if IsAccountID(s) != want {
			t.Errorf("IsAccountID(%q) = %v", s, !want)
		}
	}
	for s, want := range map[string]bool{"us-east-1": true, "us-gov-west-1": true, "cn-northwest-1": true, "eu-isoe-west-1": true,
		"us-east": false, "US-EAST-1": false, "useast1": false, "": false} {
		if IsRegion(s) != want {
			t.Errorf("IsRegion(%q) = %v", s, !want)
		}
	}
	for region, want := range map[string]string{"us-east-1": "aws", "cn-north-1": "aws-cn", "us-gov-west-1": "aws-us-gov",
		"us-iso-east-1": "aws-iso", "us-isob-east-1": "aws-iso-b", "eu-isoe-west-1": "aws-iso-e"} {
		if got := Partition(region); got != want {
			t.Errorf("Partition(%q) = %q, want %q", region, got, want)
		}
	}
}

func TestARNs(t *testing.T) {
	loc := Location{Account: "222222222222", Region: "cn-north-1"}
	arn := RepositoryARN(loc, "team/app")
	if arn != "arn:aws-cn:ecr:cn-north-1:222222222222:repository/team/app" {
		t.Errorf("RepositoryARN = %s", arn)
	}
	if got, name, ok := ParseRepositoryARN(arn); !ok || got != loc || name != "team/app" {
		t.Errorf("ParseRepositoryARN(%s) = %v, %q, %v", arn, got, name, ok)
	}
	for _, bad := range []string{"arn:aws:s3:::bucket", "arn:aws:ecr:us-east-1:222222222222:repository/", "arn:aws:ecr::222222222222:repository/x", "repository/x"} {
		if _, _, ok := ParseRepositoryARN(bad); ok {
			t.Errorf("ParseRepositoryARN(%q) accepted", bad)
		}
	}
	if got := RoleARN("us-gov-west-1", "222222222222", "Read"); got != "arn:aws-us-gov:iam::222222222222:role/Read" {
		t.Errorf("RoleARN = %s", got)
	}
	for arn, want := range map[string][2]string{
		"arn:aws-us-gov:iam::222222222222:role/Read":         {"222222222222", "Read"},
		"arn:aws:iam::222222222222:role/service-role/Deploy": {"222222222222", "Deploy"},
		"arn:aws:iam::222222222222:user/Read":                {},
		"arn:aws:iam::2222:role/Read":                        {},
		"arn:aws:iam::222222222222:role/":                    {},
		"arn:aws:sts::222222222222:assumed-role/Read/s":      {},
		"222222222222": {},
	} {
		acct, name, ok := ParseRoleARN(arn)
		if got := [2]string{acct, name}; got != want || ok != (want[0] != "") {
			t.Errorf("ParseRoleARN(%q) = %q, %q, %v; want %q", arn, acct, name, ok, want)
		}
	}
	if got := AccountRootARN("us-east-1", "111111111111"); got != "arn:aws:iam::111111111111:root" {
		t.Errorf("AccountRootARN = %s", got)
	}
	for p, want := range map[string]string{"111111111111": "111111111111", "arn:aws:iam::333333333333:role/x": "333333333333", "*": "", "ecr.amazonaws.com": ""} {
		if got := ARNAccount(p); got != want {
			t.Errorf("ARNAccount(%q) = %q, want %q", p, got, want)
		}
	}
}

// TestCovers follows the replication rule's filters: PREFIX_MATCH is the
// only filter type, and a rule without filters replicates every repository
// (ECR API reference, ReplicationRule and RepositoryFilter).
func TestCovers(t *testing.T) {
	f := func(list ...string) []RepositoryFilter {
		var out []RepositoryFilter
		for _, s := range list {
			out = append(out, RepositoryFilter{Filter: s, FilterType: FilterTypePrefixMatch})
		}
		return out
	}
	cases := []struct {
		name    string
		filters []RepositoryFilter
		repo    string
		prefix  string
		ok      bool
	}{
		{"no filters", nil, "my-repo", "", true},
		{"prefix", f("my"), "my-repo", "my", true},
		{"longest prefix", f("my", "my-re"), "my-repo", "my-re", true},
		{"no match", f("platform/", "my-app"), "my-repo", "", false},
		{"case sensitive", f("My"), "my-repo", "", false},
		{"untyped filter", []RepositoryFilter{{Filter: "my"}}, "my-repo", "my", true},
		{"other type", []RepositoryFilter{{Filter: "my", FilterType: "WILDCARD"}}, "my-repo", "", false},
	}
	for _, tc := range cases {
		prefix, ok := Covers(tc.filters, tc.repo)
		if prefix != tc.prefix || ok != tc.ok {
			t.Errorf("%s: Covers = %q, %v; want %q, %v", tc.name, prefix, ok, tc.prefix, tc.ok)
		}
	}
}

// TestIsOptInRegion: regions launched since March 2019 are opt-in, the
// older ones and other partitions' are not (the AWS Account Management
// guide's list of regions and their opt-in status).
func TestIsOptInRegion(t *testing.T) {
	for region, want := range map[string]bool{
		"me-central-1": true, "af-south-1": true, "ap-east-1": true, "eu-south-2": true, "il-central-1": true, "ca-west-1": true, "mx-central-1": true,
		"us-east-1": false, "eu-north-1": false, "ap-northeast-3": false, "sa-east-1": false,
		"cn-north-1": false, "us-gov-west-1": false, "not a region": false,
	} {
		if got := IsOptInRegion(region); got != want {
			t.Errorf("IsOptInRegion(%q) = %v, want %v", region, got, want)
		}
	}
}
