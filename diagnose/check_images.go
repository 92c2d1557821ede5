package diagnose

import (
	"fmt"
	"strings"
	"time"
)

// Codes of what the source's images show (failure-mode note FM-12, FM-26).
const (
	CodeImagePushedBeforeRule     = "IMAGE_PUSHED_BEFORE_RULE"
	CodeReplicationInProgressLong = "REPLICATION_IN_PROGRESS_LONG"
)

// usualReplication is how long most replications take: "The majority of
// images replicate in less than 30 minutes" (the user guide's replication
// page).
const usualReplication = 30 * time.Minute

// imagePushedBeforeRule: an image, pushed longer ago than replication
// usually takes, has no replication status for this destination at all:
// ECR never attempted it. "Only repository content pushed or restored to a
// repository after replication is configured is replicated."
func imagePushedBeforeRule(d *destination) *Finding {
	im := d.Images
	if im == nil || d.path == pathSource {
		return nil
	}
	var old []ImagePush
	for _, p := range im.NotAttempted {
		if !p.PushedAt.IsZero() && !im.Now.IsZero() && im.Now.Sub(p.PushedAt) > usualReplication {
			old = append(old, p)
		}
	}
	if len(old) == 0 {
		return nil
	}
	var names []string
	var ev []Evidence
	for _, p := range old {
		names = append(names, fmt.Sprintf("%s (pushed %s)", p.Image, rfc3339(p.PushedAt)))
		ev = append(ev, Evidence{Kind: EvidenceReplicationStatus, Source: p.Source, Time: rfc3339(p.PushedAt),
			Text: fmt.Sprintf("image %s: no replication status for %s", p.Image, d.Destination)})
	}
	fix := &Fix{}
	backfillTo(fix, d, false)
	detail := "The rule's creation time is in CloudTrail (PutReplicationConfiguration) if you need to confirm it."
	if rs := im.RuleSince; rs != nil {
		var before, after []string
		for _, p := range old {
			if p.PushedAt.Before(rs.Time) {
				before = append(before, p.Image)
			} else {
				after = append(after, p.Image)
			}
		}
		if rs.Exact {
			detail = fmt.Sprintf("CloudTrail shows when: the rules send %s to %s since %s (PutReplicationConfiguration by %s).", d.Repository, d.Destination, rfc3339(rs.Time), rs.Caller)
			if len(before) > 0 {
				detail += fmt.Sprintf(" %s was pushed before that.", strings.Join(before, ", "))
			}
		} else {
			detail = fmt.Sprintf("Every PutReplicationConfiguration CloudTrail still holds (90 days), the oldest at %s by %s, already sends %s to %s: the rule is older than that.", rfc3339(rs.Time), rs.Caller, d.Repository, d.Destination)
		}
		if len(after) > 0 {
			detail += fmt.Sprintf(" The rule's age does not explain %s, pushed after that: ECR did not attempt it for another reason; a backfill re-drives it either way.", strings.Join(after, ", "))
		}
		ev = append(ev, Evidence{Kind: EvidenceCloudTrailEvent, Source: rs.Source, Time: rfc3339(rs.Time),
			Text: fmt.Sprintf("PutReplicationConfiguration by %s: from here on the rules send %s to %s", rs.Caller, d.Repository, d.Destination)})
	}
	return &Finding{
		Summary: fmt.Sprintf("ECR never tried to replicate %s of %s to %s: no replication status names that destination.", strings.Join(names, ", "), d.Repository, d.Destination),
		Detail: "ECR replicates only what is pushed (or restored) after a rule covers the repository and names the destination, and it never goes back for older images. " +
			"An image pushed before the rule existed, or before this destination was added to it, therefore has no replication status there, while newer images do. " +
			detail,
		Evidence: ev,
		Fix:      fix,
	}
}

// replicationInProgressLong: replication to this destination has been
// IN_PROGRESS longer than usual. That is a delay, not a denial (FM-26).
func replicationInProgressLong(d *destination) *Finding {
	im := d.Images
	if im == nil {
		return nil
	}
	var slow []ImagePush
	for _, p := range im.InProgress {
		if !p.PushedAt.IsZero() && !im.Now.IsZero() && im.Now.Sub(p.PushedAt) > usualReplication {
			slow = append(slow, p)
		}
	}
	if len(slow) == 0 {
		return nil
	}
	var names []string
	var ev []Evidence
	for _, p := range slow {
		names = append(names, fmt.Sprintf("%s (pushed %s, %s ago)", p.Image, rfc3339(p.PushedAt), strings.TrimSuffix(im.Now.Sub(p.PushedAt).Round(time.Minute).String(), "0s")))
		ev = append(ev, Evidence{Kind: EvidenceReplicationStatus, Source: p.Source, Time: rfc3339(p.PushedAt),
			Text: fmt.Sprintf("image %s: IN_PROGRESS to %s", p.Image, d.Destination)})
	}
	detail := "Most images replicate in less than 30 minutes, a few take longer; IN_PROGRESS is not a failure, and AWS publishes no time after which it becomes one."
	if d.failed() {
		detail += " CloudTrail or other images' statuses do show failures to this destination, though: the findings above say why, and these images will probably fail too."
	}
	return &Finding{
		Summary:  fmt.Sprintf("Replication of %s to %s is still IN_PROGRESS: %s.", d.Repository, d.Destination, strings.Join(names, ", ")),
		Detail:   detail,
		Evidence: ev,
		Fix: &Fix{Steps: []string{fmt.Sprintf("Look again later with `aws ecr describe-image-replication-status --region %s --repository-name %s --image-id imageTag=<tag>`; if it stays IN_PROGRESS for hours, open an AWS support case with the image digest.",
			shellQuote(d.Source.Region), shellQuote(d.Repository))}},
	}
}
