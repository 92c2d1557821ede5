package diagnose

import (
	"testing"
	"time"
)

// TestRuleSince: the rules send the repository to the destination since
// the first call after the newest one that did not; when every call does,
// the rule is older than the oldest (not exact); when the newest does not,
// CloudTrail says nothing about the rules read.
func TestRuleSince(t *testing.T) {
	src := Location{Account: "111111111111", Region: "ap-northeast-1"}
	dst := Location{Account: "222222222222", Region: "ap-northeast-1"}
	to := func(d Location, filter string) []ReplicationRule {
		return []ReplicationRule{{Destinations: []ReplicationDestination{{Region: d.Region, RegistryID: d.Account}}, RepositoryFilters: []RepositoryFilter{{Filter: filter, FilterType: "PREFIX_MATCH"}}}}
	}
	day := func(n int) time.Time { return time.Date(2026, 10, n, 0, 0, 0, 0, time.UTC) }
	other := Location{Account: "333333333333", Region: "eu-west-1"}
	cases := []struct {
		name      string
		calls     []TrailCall
		want      time.Time
		exact     bool
		wantNoAny bool
	}{
		{"added on the 20th", []TrailCall{{Time: day(20), Rules: to(dst, "my-repo")}, {Time: day(5), Rules: to(other, "my-repo")}, {Time: day(25), Rules: to(dst, "my-")}}, day(20), true, false},
		{"filter did not cover it before", []TrailCall{{Time: day(5), Rules: to(dst, "other")}, {Time: day(9), Rules: to(dst, "my")}}, day(9), true, false},
		{"always there", []TrailCall{{Time: day(3), Rules: to(dst, "my-repo")}, {Time: day(9), Rules: to(dst, "my-repo")}}, day(3), false, false},
		{"failed calls do not count", []TrailCall{{Time: day(3), Rules: to(other, "my-repo")}, {Time: day(9), Rules: to(dst, "my-repo"), ErrorCode: "AccessDenied"}, {Time: day(12), Rules: to(dst, "my-repo")}}, day(12), true, false},
		{"newest does not send it", []TrailCall{{Time: day(3), Rules: to(dst, "my-repo")}, {Time: day(9), Rules: to(other, "my-repo")}}, time.Time{}, false, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for i := range tc.calls {
				tc.calls[i].RulesKnown = true
			}
			reg := NewRegistry(src)
			reg.RulePuts = Read[TrailCalls]{State: Collected, Value: TrailCalls{Events: tc.calls}}
			got := ruleSince(&Snapshot{Source: src, Repository: "my-repo", Registries: map[Location]*Registry{src: reg}}, dst)
			switch {
			case tc.wantNoAny && got != nil:
				t.Errorf("got %+v, want nothing", got)
			case !tc.wantNoAny && (got == nil || !got.Time.Equal(tc.want) || got.Exact != tc.exact):
				t.Errorf("got %+v, want since %s (exact %v)", got, tc.want, tc.exact)
			}
		})
	}
}
