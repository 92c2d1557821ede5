package diagnose

import (
	"sort"
)

// BackfillFact is the newest replication backfill of the source registry to
// one destination (ECR, 2026-10), with its failed results when they were
// read.
type BackfillFact struct {
	Backfill ReplicationBackfillSummary
	// Source names where the backfill list was read, for evidence.
	Source Source
	// ResultsKnown says whether the backfill's FAILED results were read;
	// Failed holds them (every repository the rules matched), and
	// ResultsSource names where they were read.
	ResultsKnown  bool
	Failed        []ReplicationBackfillResult
	ResultsSource Source
	// ResultsTruncated is true when more failed results exist than were read.
	ResultsTruncated bool
}

// backfillFact is the newest backfill to dst in the source registry's
// backfill list, or nil when there is none or the list was not read.
func backfillFact(src *Registry, dst Location) *BackfillFact {
	if src == nil || !src.Backfills.OK() {
		return nil
	}
	var mine []ReplicationBackfillSummary
	for _, b := range src.Backfills.Value.Backfills {
		if b.Location() == dst {
			mine = append(mine, b)
		}
	}
	if len(mine) == 0 {
		return nil
	}
	sort.SliceStable(mine, func(i, j int) bool { return backfillStart(mine[i]).After(backfillStart(mine[j]).Time) })
	f := &BackfillFact{Backfill: mine[0], Source: src.Backfills.Source}
	if r, ok := src.BackfillResults[mine[0].ReplicationBackfillID]; ok && r.OK() {
		f.ResultsKnown, f.ResultsSource, f.ResultsTruncated = true, r.Source, r.Value.NextToken != ""
		for _, res := range r.Value.Results {
			if res.Status == "FAILED" {
				f.Failed = append(f.Failed, res)
			}
		}
	}
	return f
}

func backfillStart(b ReplicationBackfillSummary) CLITime {
	if b.StartedAt != nil {
		return *b.StartedAt
	}
	return CLITime{}
}
