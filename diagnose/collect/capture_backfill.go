package collect

import (
	"context"
	"errors"
	"sort"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"

	"github.com/ecrdoctor/ecrdoctor/diagnose"
)

// backfillAPI is the part of the ECR client that reads replication
// backfills (service/ecr v1.67.0 and later).
type backfillAPI interface {
	ListReplicationBackfills(context.Context, *ecr.ListReplicationBackfillsInput, ...func(*ecr.Options)) (*ecr.ListReplicationBackfillsOutput, error)
	DescribeReplicationBackfillResults(context.Context, *ecr.DescribeReplicationBackfillResultsInput, ...func(*ecr.Options)) (*ecr.DescribeReplicationBackfillResultsOutput, error)
}

// readBackfills lists the source registry's replication backfills (one call,
// the common path) and, for each destination of the repository whose newest
// backfill ended with failures, reads that backfill's FAILED results. src
// is the source registry (a scan reads several).
func (c *capture) readBackfills(ctx context.Context, client ECRAPI, src diagnose.Location, dests []diagnose.Location) error {
	bf, ok := client.(backfillAPI)
	if !ok {
		return nil // a client without the backfill reads: not collected
	}
	out, err := bf.ListReplicationBackfills(ctx, &ecr.ListReplicationBackfillsInput{MaxResults: aws.Int32(50)})
	if errors.Is(err, errNoBackfillAPI) {
		return nil
	}
	if err := c.record(src, ListBackfillsFile, "ecr:ListReplicationBackfills", func() any { return toBackfills(out) }, err); err != nil || out == nil {
		return err
	}
	for _, id := range backfillsToDescribe(toBackfills(out).Backfills, dests) {
		res, err := bf.DescribeReplicationBackfillResults(ctx, &ecr.DescribeReplicationBackfillResultsInput{
			ReplicationBackfillId: aws.String(id),
			ResultStatusFilter:    ecrtypes.ReplicationBackfillResultStatusFailed,
			MaxResults:            aws.Int32(1000),
		})
		if err := c.record(src, BackfillResultsName(id), "ecr:DescribeReplicationBackfillResults", func() any { return toBackfillResults(res) }, err); err != nil {
			return err
		}
	}
	return nil
}

// backfillsToDescribe are the ids of the newest backfill to each of dests,
// when it has failures to show (FAILED, or finished with failed
// replications). A backfill still running has no results yet.
func backfillsToDescribe(all []diagnose.ReplicationBackfillSummary, dests []diagnose.Location) []string {
	want := map[diagnose.Location]bool{}
	for _, d := range dests {
		want[d] = true
	}
	newest := map[diagnose.Location]diagnose.ReplicationBackfillSummary{}
	for _, b := range all {
		loc := b.Location()
		if !want[loc] || !validBackfillID(b.ReplicationBackfillID) {
			continue
		}
		if cur, seen := newest[loc]; !seen || startedAt(b).After(startedAt(cur).Time) {
			newest[loc] = b
		}
	}
	var ids []string
	for _, b := range newest {
		failed := b.Status == "FAILED" || b.Progress != nil && b.Progress.FailedReplicationCount > 0 && (b.Status == "COMPLETE" || b.Status == "STOPPED")
		if failed {
			ids = append(ids, b.ReplicationBackfillID)
		}
	}
	sort.Strings(ids)
	return ids
}

func startedAt(b diagnose.ReplicationBackfillSummary) (t diagnose.CLITime) {
	if b.StartedAt != nil {
		t = *b.StartedAt
	}
	return t
}

func toBackfillProgress(p *ecrtypes.ReplicationBackfillProgress) *diagnose.ReplicationBackfillProgress {
	if p == nil {
		return nil
	}
	return &diagnose.ReplicationBackfillProgress{
		TotalReplicationCount:     int(aws.ToInt32(p.TotalReplicationCount)),
		CompletedReplicationCount: int(aws.ToInt32(p.CompletedReplicationCount)),
		FailedReplicationCount:    int(aws.ToInt32(p.FailedReplicationCount)),
		FailureCodes:              append([]string{}, p.FailureCodes...),
	}
}

func cliTime(t *time.Time) *diagnose.CLITime {
	if t == nil {
		return nil
	}
	return &diagnose.CLITime{Time: *t}
}

func toDestination(d *ecrtypes.ReplicationDestination) diagnose.ReplicationDestination {
	if d == nil {
		return diagnose.ReplicationDestination{}
	}
	return diagnose.ReplicationDestination{Region: aws.ToString(d.Region), RegistryID: aws.ToString(d.RegistryId)}
}

func toBackfills(o *ecr.ListReplicationBackfillsOutput) diagnose.ListReplicationBackfillsOutput {
	out := diagnose.ListReplicationBackfillsOutput{RegistryID: aws.ToString(o.RegistryId), Backfills: []diagnose.ReplicationBackfillSummary{}, NextToken: aws.ToString(o.NextToken)}
	for _, b := range o.Backfills {
		out.Backfills = append(out.Backfills, diagnose.ReplicationBackfillSummary{
			ReplicationBackfillID: aws.ToString(b.ReplicationBackfillId),
			Destination:           toDestination(b.Destination),
			Status:                string(b.Status),
			FailureCode:           aws.ToString(b.FailureCode),
			Progress:              toBackfillProgress(b.Progress),
			StartedAt:             cliTime(b.StartedAt),
			EndedAt:               cliTime(b.EndedAt),
		})
	}
	return out
}

func toBackfillResults(o *ecr.DescribeReplicationBackfillResultsOutput) diagnose.DescribeReplicationBackfillResultsOutput {
	out := diagnose.DescribeReplicationBackfillResultsOutput{
		RegistryID:            aws.ToString(o.RegistryId),
		ReplicationBackfillID: aws.ToString(o.ReplicationBackfillId),
		Destination:           toDestination(o.Destination),
		Status:                string(o.Status),
		FailureCode:           aws.ToString(o.FailureCode),
		Progress:              toBackfillProgress(o.Progress),
		Results:               []diagnose.ReplicationBackfillResult{},
		StartedAt:             cliTime(o.StartedAt),
		EndedAt:               cliTime(o.EndedAt),
		NextToken:             aws.ToString(o.NextToken),
	}
	for _, r := range o.Results {
		res := diagnose.ReplicationBackfillResult{
			RepositoryName:       aws.ToString(r.RepositoryName),
			Status:               string(r.Status),
			FailureCode:          aws.ToString(r.FailureCode),
			SubImageFailureCodes: r.SubImageFailureCodes,
		}
		if r.ImageId != nil {
			res.ImageID = diagnose.ImageID{ImageDigest: aws.ToString(r.ImageId.ImageDigest), ImageTag: aws.ToString(r.ImageId.ImageTag)}
		}
		out.Results = append(out.Results, res)
	}
	return out
}

// errNoBackfillAPI says an injected client cannot read backfills: they are
// then not collected, which is no failure of AWS.
var errNoBackfillAPI = errors.New("this ECR client has no backfill reads")

func (t timedECR) ListReplicationBackfills(ctx context.Context, in *ecr.ListReplicationBackfillsInput, o ...func(*ecr.Options)) (*ecr.ListReplicationBackfillsOutput, error) {
	bf, ok := t.c.(backfillAPI)
	if !ok {
		return nil, errNoBackfillAPI
	}
	ctx, cancel := context.WithTimeout(ctx, t.d)
	defer cancel()
	return bf.ListReplicationBackfills(ctx, in, o...)
}

func (t timedECR) DescribeReplicationBackfillResults(ctx context.Context, in *ecr.DescribeReplicationBackfillResultsInput, o ...func(*ecr.Options)) (*ecr.DescribeReplicationBackfillResultsOutput, error) {
	bf, ok := t.c.(backfillAPI)
	if !ok {
		return nil, errNoBackfillAPI
	}
	ctx, cancel := context.WithTimeout(ctx, t.d)
	defer cancel()
	return bf.DescribeReplicationBackfillResults(ctx, in, o...)
}
