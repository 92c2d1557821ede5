package diagnose

import (
	"sort"
	"time"

	"github.com/ecrdoctor/ecrdoctor/diagnose/awsid"
)

// RuleSince is when the source's rules began to send the repository to a
// destination, from the PutReplicationConfiguration calls in CloudTrail.
type RuleSince struct {
	Time   time.Time
	Caller string
	Source Source
	// Exact is false when every call CloudTrail still holds (90 days)
	// names the destination: the rule is older than Time.
	Exact bool
}

// ruleSince reads the source's PutReplicationConfiguration calls: the
// first of the calls since the newest one whose rules did not send repo to
// dst. nil when none was read, or the newest does not send it there (the
// rules changed since the capture's describe-registry, or the records
// carry no rules).
func ruleSince(s *Snapshot, dst Location) *RuleSince {
	src := s.Registry(s.Source)
	if src == nil || !src.RulePuts.OK() {
		return nil
	}
	var calls []TrailCall
	for _, c := range src.RulePuts.Value.Events {
		if c.ErrorCode == "" && c.RulesKnown {
			calls = append(calls, c)
		}
	}
	if len(calls) == 0 {
		return nil
	}
	sort.SliceStable(calls, func(i, j int) bool { return calls[i].Time.Before(calls[j].Time) })
	sends := func(c TrailCall) bool {
		for _, r := range c.Rules {
			if _, ok := awsid.Covers(r.RepositoryFilters, s.Repository); !ok {
				continue
			}
			for _, d := range r.Destinations {
				if (Location{Account: d.RegistryID, Region: d.Region}) == dst {
					return true
				}
			}
		}
		return false
	}
	if !sends(calls[len(calls)-1]) {
		return nil
	}
	first := 0
	for i := len(calls) - 1; i >= 0; i-- {
		if !sends(calls[i]) {
			first = i + 1
			break
		}
	}
	c := calls[first]
	return &RuleSince{Time: c.Time, Caller: c.Caller, Source: c.Source, Exact: first > 0}
}
