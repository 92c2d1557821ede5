package collect

import (
	"context"
	"errors"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/ecr"

	"github.com/ecrdoctor/ecrdoctor/diagnose"
)

// lifecycleAPI is the part of the ECR client that reads lifecycle policies.
type lifecycleAPI interface {
	GetLifecyclePolicy(context.Context, *ecr.GetLifecyclePolicyInput, ...func(*ecr.Options)) (*ecr.GetLifecyclePolicyOutput, error)
}

var errNoLifecycleAPI = errors.New("this ECR client has no lifecycle policy reads")

func (t timedECR) GetLifecyclePolicy(ctx context.Context, in *ecr.GetLifecyclePolicyInput, o ...func(*ecr.Options)) (*ecr.GetLifecyclePolicyOutput, error) {
	lc, ok := t.c.(lifecycleAPI)
	if !ok {
		return nil, errNoLifecycleAPI
	}
	ctx, cancel := context.WithTimeout(ctx, t.d)
	defer cancel()
	return lc.GetLifecyclePolicy(ctx, in, o...)
}

// deletesReplicated reports whether a rule that covers repo replicates
// deletions: only then does a deletion in the source explain an image gone
// from a destination, and only then are the two reads below made.
func deletesReplicated(rc *diagnose.ReplicationConfiguration, repo string) bool {
	if rc == nil {
		return false
	}
	for _, r := range rc.Rules {
		if r.DeleteReplication != nil && r.DeleteReplication.Enabled && covers(r, repo) && len(r.Destinations) > 0 {
			return true
		}
	}
	return false
}

// deleteLookupPages bounds the BatchDeleteImage search: the newest deletions
// are the ones a user asks about.
const deleteLookupPages = 2

// readDeletions reads what removes images from the source repository: its
// lifecycle policy, and the BatchDeleteImage calls in the source's
// CloudTrail (newest first, at most deleteLookupPages pages; a lifecycle
// expiry is no BatchDeleteImage call).
func (c *capture) readDeletions(ctx context.Context, client ECRAPI) error {
	repo := c.opts.Repository
	if lc, ok := client.(lifecycleAPI); ok {
		out, err := lc.GetLifecyclePolicy(ctx, &ecr.GetLifecyclePolicyInput{RepositoryName: aws.String(repo)})
		if !errors.Is(err, errNoLifecycleAPI) {
			if err := c.record(c.srcAt, LifecyclePolicyName(repo), "ecr:GetLifecyclePolicy", func() any { return toLifecyclePolicy(out) }, err); err != nil {
				return err
			}
		}
	}
	return c.lookupCalls(ctx, "BatchDeleteImage", c.opts.Since, true)
}

// lookupCalls reads the source's CloudTrail calls of one API (newest
// first, at most deleteLookupPages pages) since start into
// lookup-events-<eventName>.json, only those naming the repository when
// ofRepo.
func (c *capture) lookupCalls(ctx context.Context, eventName string, start time.Time, ofRepo bool) error {
	name := LookupEventsPrefix + "-" + eventName
	trail := c.sess.trailClient(c.src, c.srcAt.Account, c.srcAt.Region)
	end := c.opts.Now
	pages := cloudtrail.NewLookupEventsPaginator(trail, &cloudtrail.LookupEventsInput{
		LookupAttributes: []cttypes.LookupAttribute{{AttributeKey: cttypes.LookupAttributeKeyEventName, AttributeValue: aws.String(eventName)}},
		StartTime:        &start, EndTime: &end, MaxResults: aws.Int32(lookupPageSize),
	})
	out := cliLookupEvents{Events: []cliEvent{}}
	for page := 0; page < deleteLookupPages && pages.HasMorePages(); page++ {
		res, err := pages.NextPage(ctx)
		if err != nil {
			if err := c.aborted(); err != nil {
				return err
			}
			if page == 0 {
				return c.recordErr(c.srcAt, name, "cloudtrail:LookupEvents", err)
			}
			c.warnf("%s %s: page %d: %v; the events of the pages before it are kept", c.srcAt, name, page+1, describe(err))
			break
		}
		for _, e := range res.Events {
			if !ofRepo || eventNamesRepository(e, c.opts.Repository) {
				out.Events = append(out.Events, toCLIEvent(e))
			}
		}
	}
	return c.write(c.srcAt, name, out)
}

func toLifecyclePolicy(o *ecr.GetLifecyclePolicyOutput) diagnose.LifecyclePolicyOutput {
	return diagnose.LifecyclePolicyOutput{RegistryID: aws.ToString(o.RegistryId), RepositoryName: aws.ToString(o.RepositoryName),
		LifecyclePolicyText: aws.ToString(o.LifecyclePolicyText), LastEvaluatedAt: cliTime(o.LastEvaluatedAt)}
}
