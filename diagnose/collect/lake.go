package collect

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"

	"github.com/ecrdoctor/ecrdoctor/diagnose/trail"
)

// LakeAPI is what the CloudTrail Lake reader needs. CancelQuery is the one
// call that changes anything: it cancels ecrdoctor's own query when the
// user interrupts or --timeout passes.
type LakeAPI interface {
	StartQuery(context.Context, *cloudtrail.StartQueryInput, ...func(*cloudtrail.Options)) (*cloudtrail.StartQueryOutput, error)
	GetQueryResults(context.Context, *cloudtrail.GetQueryResultsInput, ...func(*cloudtrail.Options)) (*cloudtrail.GetQueryResultsOutput, error)
	CancelQuery(context.Context, *cloudtrail.CancelQueryInput, ...func(*cloudtrail.Options)) (*cloudtrail.CancelQueryOutput, error)
}

// CloudTrail Lake's query price: $0.005 per GB scanned (US East). An
// estimate: other regions and pricing options differ.
const lakeDollarsPerGB = 0.005

func (a AWS) lakeClient(cfg aws.Config) LakeAPI {
	if a.Lake != nil {
		return a.Lake(cfg)
	}
	return cloudtrail.NewFromConfig(cfg)
}

// LakeEvents runs the events question as one CloudTrail Lake query of the
// event data store and decodes its rows as trail records. The query is
// cancelled (CancelQuery) when ctx is done.
func LakeEvents(ctx context.Context, o QueryOptions) (*trail.Result, error) {
	q, err := LakeQuery(o.EventDataStore, trailQuery(o.Trail))
	if err != nil {
		return nil, err
	}
	sess := newSession(o.AWS)
	cfg, err := sess.loadConfig(ctx, o.Profile, strings.TrimSpace(profileFlag(o.Profile)), o.Region)
	if err != nil {
		return nil, err
	}
	if cfg.Region == "" {
		return nil, errors.New("no AWS region for CloudTrail Lake: pass --aws-region, set AWS_REGION, or set region in the profile")
	}
	client := o.AWS.lakeClient(cfg)
	start, err := client.StartQuery(ctx, &cloudtrail.StartQueryInput{QueryStatement: aws.String(q.SQL)})
	if err != nil {
		return nil, fmt.Errorf("CloudTrail Lake StartQuery: %w", describeErr(err))
	}
	id := aws.ToString(start.QueryId)
	logf(o.Log, "CloudTrail Lake query %s started in %s", id, cfg.Region)
	rows := newRowEvents("lake:"+id, o.Trail)
	poll := o.Poll
	if poll <= 0 {
		poll = pollDefault
	}
	var token *string
	for {
		out, err := client.GetQueryResults(ctx, &cloudtrail.GetQueryResultsInput{QueryId: aws.String(id), NextToken: token})
		if err != nil {
			if ctx.Err() != nil {
				cancelLake(ctx, client, id, o)
				return nil, fmt.Errorf("CloudTrail Lake query %s: %w", id, ctx.Err())
			}
			return nil, fmt.Errorf("CloudTrail Lake GetQueryResults %s after %d rows: %w", id, rows.res.Scanned.Records, describeErr(err))
		}
		switch out.QueryStatus {
		case cttypes.QueryStatusFailed, cttypes.QueryStatusCancelled, cttypes.QueryStatusTimedOut:
			return nil, fmt.Errorf("CloudTrail Lake query %s %s: %s", id, strings.ToLower(string(out.QueryStatus)), aws.ToString(out.ErrorMessage))
		case cttypes.QueryStatusFinished:
			for _, r := range out.QueryResultRows {
				row := map[string]string{}
				for _, cell := range r {
					for k, v := range cell {
						row[strings.ToLower(k)] = v
					}
				}
				rows.add(row)
			}
			if out.NextToken == nil {
				if st := out.QueryStatistics; st != nil && st.BytesScanned != nil {
					logf(o.Log, "CloudTrail Lake query %s: %s scanned, about $%.4f (US East price)", id, byteSize(*st.BytesScanned), float64(*st.BytesScanned)/1e9*lakeDollarsPerGB)
				}
				return rows.result(), nil
			}
			token = out.NextToken
			continue
		}
		// Queued or running: wait longer each time.
		select {
		case <-ctx.Done():
			cancelLake(ctx, client, id, o)
			return nil, fmt.Errorf("CloudTrail Lake query %s: %w", id, ctx.Err())
		case <-time.After(poll):
		}
		poll = min(2*poll, pollMax)
	}
}

func cancelLake(ctx context.Context, client LakeAPI, id string, o QueryOptions) {
	stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), stopTimeout)
	defer cancel()
	if _, err := client.CancelQuery(stopCtx, &cloudtrail.CancelQueryInput{QueryId: aws.String(id)}); err != nil {
		logf(o.Log, "CloudTrail Lake query %s: could not cancel it: %v", id, describeErr(err))
		return
	}
	logf(o.Log, "CloudTrail Lake query %s cancelled", id)
}
