package diagnose

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/ecrdoctor/ecrdoctor/diagnose/awsid"
	"github.com/ecrdoctor/ecrdoctor/diagnose/trail"
)

// FactsFromSnapshot derives the facts of s.Repository from a snapshot: the
// replication events split by destination, the replication statuses, and
// per destination its policies and repositories, each read once.
func FactsFromSnapshot(s *Snapshot) *Facts {
	f := &Facts{
		Repository: s.Repository,
		Source:     s.Source,
		Warnings:   append([]string{}, s.Warnings...),
		APICalls:   s.APICalls,
	}
	warn := func(format string, args ...any) { f.Warnings = append(f.Warnings, fmt.Sprintf(format, args...)) }
	events, foreign := relevantEvents(s)
	for _, acct := range slices.Sorted(maps.Keys(foreign)) {
		warn("%d replication event(s) for %s were made by the replication role of account %s, not of the source %s: not counted", foreign[acct], s.Repository, acct, s.Source.Account)
	}
	statuses := snapshotStatuses(s)
	f.Events = summarizeEvents(s, events)

	type target struct {
		loc      Location
		prefixes []string
	}
	var targets []target
	src := s.Registry(s.Source)
	if src == nil || !src.DescribeRegistry.OK() {
		f.Rules.Why = "not collected"
		if src != nil && src.DescribeRegistry.State == Failed {
			f.Rules.Why = src.DescribeRegistry.Err.Error()
		}
		warn("source replication configuration (%s describe-registry): %s; destinations were taken from CloudTrail and replication status instead", s.Source, f.Rules.Why)
		// Destinations seen in evidence stand in for the unknown rules.
		seen := map[Location]bool{}
		add := func(l Location) {
			if l.Account != "" && l.Region != "" && !seen[l] {
				seen[l] = true
				targets = append(targets, target{loc: l, prefixes: []string{s.Repository}})
			}
		}
		for _, e := range events {
			add(e.Destination)
		}
		for _, st := range statuses {
			add(Location{Account: st.Status.RegistryID, Region: st.Status.Region})
		}
	} else {
		f.Rules = RulesFact{Known: true, Source: src.DescribeRegistry.Source}
		if cfg := src.DescribeRegistry.Value.ReplicationConfiguration; cfg != nil {
			f.Rules.Rules = cfg.Rules
		}
		index := map[Location]int{}
		for _, rule := range f.Rules.Rules {
			prefix, ok := awsid.Covers(rule.RepositoryFilters, s.Repository)
			if !ok {
				continue
			}
			for _, d := range rule.Destinations {
				loc := Location{Account: d.RegistryID, Region: d.Region}
				i, seen := index[loc]
				if !seen {
					i = len(targets)
					index[loc] = i
					targets = append(targets, target{loc: loc})
				}
				targets[i].prefixes = appendUnique(targets[i].prefixes, prefix)
			}
		}
	}

	byDest := map[Location][]trail.Event{}
	for _, e := range events {
		byDest[e.Destination] = append(byDest[e.Destination], e)
	}
	statusByDest := map[Location][]ImageStatus{}
	for _, st := range statuses {
		loc := Location{Account: st.Status.RegistryID, Region: st.Status.Region}
		statusByDest[loc] = append(statusByDest[loc], st)
	}
	for _, t := range targets {
		d := DestinationFacts{Repository: s.Repository, Source: s.Source, Destination: t.loc, Prefixes: t.prefixes, RulesSource: f.Rules.Source}
		d.DeleteReplicationRules = deleteReplicationRules(f.Rules.Rules, s.Repository, t.loc)
		if len(d.DeleteReplicationRules) > 0 {
			d.SourceDeletions = deletionsFact(s)
		}
		d.Backfill = backfillFact(s.Registry(s.Source), t.loc)
		d.Images = imagesFact(s, t.loc)
		if d.Images != nil {
			d.Images.RuleSince = ruleSince(s, t.loc)
		}
		if reg := s.Registry(t.loc); reg != nil && reg.Templates.OK() {
			d.Templates = &TemplatesFact{Source: reg.Templates.Source, Templates: reg.Templates.Value.Templates}
		}
		d.RegionOptIn = regionOptIn(s, t.loc)
		d.KeyPolicy = keyPolicyFact(s, t.loc, d.Templates, s.Repository)
		d.IndexChildren = indexChildren(s, t.loc)
		if reg := s.Registry(t.loc); reg != nil && reg.PullThroughCache.OK() {
			d.PullThroughCache = &PullThroughCacheFact{Source: reg.PullThroughCache.Source, Rules: reg.PullThroughCache.Value.Rules}
		}
		if reg := s.Registry(t.loc); reg != nil {
			d.TagMutability = tagMutability(reg.Repositories, s.Repository)
		}
		if src := s.Registry(s.Source); src != nil {
			d.SourceTagMutability = tagMutability(src.Repositories, s.Repository)
		}
		splitEvents(&d, byDest[t.loc])
		for _, st := range statusByDest[t.loc] {
			switch st.Status.Status {
			case "FAILED":
				d.Failed = append(d.Failed, st)
			case "COMPLETE":
				d.Completed = appendUnique(d.Completed, st.Image)
			}
		}
		if d.CrossAccount() {
			destinationReads(s, &d)
		}
		f.Destinations = append(f.Destinations, d)
	}
	return f
}

// splitEvents sorts a destination's replication events (newest first) into
// denials, successes and failures ecrdoctor does not judge.
func splitEvents(d *DestinationFacts, events []trail.Event) {
	others := map[string]int{} // failures that are no ECR access denial, by error code
	for _, e := range events {
		switch {
		case e.Failed() && (e.Denial == nil || !isECRAction(trail.DeniedAction(e.ErrorMessage))):
			// A KMS or quota error, or a KMS access denial: counting it
			// as an ECR denial would blame the registry policy.
			what := e.ErrorCode
			if act := trail.DeniedAction(e.ErrorMessage); e.Denial != nil && act != "" {
				what += " on " + act
			}
			others[what]++
			if len(d.Succeeded) == 0 && len(d.Denied) == 0 {
				d.NewestFailedOtherwise = true
			}
		case e.Failed():
			d.Denied = append(d.Denied, e)
		default:
			d.Succeeded = append(d.Succeeded, e)
		}
	}
	for _, what := range slices.Sorted(maps.Keys(others)) {
		d.Warnings = append(d.Warnings, fmt.Sprintf("%s: %d replication call(s) failed with %s, which is not an ECR access denial: ecrdoctor does not diagnose it (KMS keys, quotas and tag immutability in the destination are common causes)", d.Destination, others[what], what))
	}
}

// isECRAction reports whether a denied action is ECR's, or unnamed.
func isECRAction(action string) bool {
	return action == "" || strings.HasPrefix(strings.ToLower(action), "ecr:")
}

// destinationReads fills what the snapshot read in a cross-account
// destination: its registry policy and scope, the repository and its
// policy, and the account's registry policies in other regions.
func destinationReads(s *Snapshot, d *DestinationFacts) {
	if cf, ok := s.CredentialFailures[d.Destination.Account]; ok {
		d.Credentials = &cf
	}
	reg := s.Registry(d.Destination)
	if reg == nil {
		d.RegistryPolicy = PolicyFact{Why: "not collected"}
		return
	}
	d.RegistryPolicy = policyFact(reg.RegistryPolicy, "RegistryPolicyNotFoundException")
	if reg.PolicyScope.OK() {
		d.Scope = reg.PolicyScope.Value.Value
	}
	if rp, ok := reg.RepositoryPolicies[s.Repository]; ok {
		d.RepositoryPolicy = policyFact(rp, "RepositoryPolicyNotFoundException")
	}
	d.RepositoriesSource = reg.Repositories.Source
	d.RepositoryExists = repositoryExists(reg.Repositories, s.Repository)
	var locs []Location
	for loc := range s.Registries {
		if loc.Account == d.Destination.Account && loc.Region != d.Destination.Region {
			locs = append(locs, loc)
		}
	}
	sort.Slice(locs, func(i, j int) bool { return locs[i].Region < locs[j].Region })
	for _, loc := range locs {
		if rp := s.Registries[loc].RegistryPolicy; rp.OK() {
			d.OtherRegions = append(d.OtherRegions, RegionPolicy{Region: loc.Region, Policy: policyFact(rp, "")})
		}
	}
}

// policyFact reads one get-*-policy result; notFound is the error code that
// means "there is none".
func policyFact(r Read[PolicyOutput], notFound string) PolicyFact {
	switch {
	case r.OK():
		return PolicyFact{State: PolicyPresent, Text: r.Value.PolicyText, Source: r.Source}
	case notFound != "" && r.ErrCode() == notFound:
		return PolicyFact{State: PolicyAbsent, Source: r.Source, Err: r.Err.Error()}
	case r.State == Failed:
		return PolicyFact{Source: r.Source, Err: r.Err.Error(), Why: r.Err.Error()}
	}
	return PolicyFact{Source: r.Source, Why: "not collected"}
}

func repositoryExists(r Read[DescribeRepositoriesOutput], name string) Tri {
	if r.ErrCode() == "RepositoryNotFoundException" {
		return TriNo
	}
	if !r.OK() {
		return TriUnknown
	}
	for _, repo := range r.Value.Repositories {
		if repo.RepositoryName == name {
			return TriYes
		}
	}
	if r.Value.NextToken != "" {
		return TriUnknown // one page of several: it may be on another
	}
	return TriNo
}

// relevantEvents keeps the replication events for exactly this repository,
// newest first. A call recorded in both accounts (the same sharedEventID)
// counts once. Calls by the replication role of another account (an
// organization trail holds every account's) are left out and counted by
// account in foreign.
func relevantEvents(s *Snapshot) (out []trail.Event, foreign map[string]int) {
	shared := map[string]bool{}
	for _, e := range s.Events {
		if e.Repository != s.Repository || !e.IsReplication() {
			continue
		}
		if acct := e.CallerAccount; acct != "" && s.Source.Account != "" && acct != s.Source.Account {
			if foreign == nil {
				foreign = map[string]int{}
			}
			foreign[acct]++
			continue
		}
		if e.SharedEventID != "" {
			if shared[e.SharedEventID] {
				continue
			}
			shared[e.SharedEventID] = true
		}
		out = append(out, e)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Time.After(out[j].Time) })
	return out, foreign
}

func summarizeEvents(s *Snapshot, events []trail.Event) EventSummary {
	sum := EventSummary{Collected: s.EventsCollected, From: s.EventsFrom, Scanned: s.EventsScanned.Records, Matched: len(events)}
	if len(events) > 0 {
		sum.First = rfc3339(events[len(events)-1].Time)
		sum.Last = rfc3339(events[0].Time)
	}
	return sum
}

// snapshotStatuses lists the source's replication statuses for the
// repository, by image name.
func snapshotStatuses(s *Snapshot) []ImageStatus {
	src := s.Registry(s.Source)
	if src == nil {
		return nil
	}
	byImage := src.ReplicationStatus[s.Repository]
	var out []ImageStatus
	for _, k := range slices.Sorted(maps.Keys(byImage)) {
		rd := byImage[k]
		if !rd.OK() {
			continue
		}
		img := rd.Value.ImageID.ImageTag
		if img == "" {
			img = rd.Value.ImageID.ImageDigest
		}
		if img == "" {
			img = k
		}
		for _, st := range rd.Value.ReplicationStatuses {
			out = append(out, ImageStatus{Image: img, Source: rd.Source, Status: st})
		}
	}
	return out
}

// regionOptIn are the opt-in statuses of dst's region read for the source
// account and for dst's account, source first.
func regionOptIn(s *Snapshot, dst Location) []RegionOptIn {
	var out []RegionOptIn
	for _, acct := range []string{s.Source.Account, dst.Account} {
		if len(out) > 0 && acct == out[0].Account {
			continue
		}
		if reg := s.Registry(Location{Account: acct, Region: dst.Region}); reg != nil && reg.RegionOptStatus.OK() {
			out = append(out, RegionOptIn{Account: acct, Status: reg.RegionOptStatus.Value.RegionOptStatus, Source: reg.RegionOptStatus.Source})
		}
	}
	return out
}
