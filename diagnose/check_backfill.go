package diagnose

import (
	"fmt"
	"strings"
)

// Codes of the replication backfill checks (ECR, 2026-10).
const (
	CodeBackfillFailed     = "BACKFILL_FAILED"
	CodeBackfillInProgress = "BACKFILL_IN_PROGRESS"
)

// backfillFailed: the newest backfill to this destination failed, or ended
// with failed replications. It names the backfill, the failure codes per
// image of the repository (and of an image index's children), and what the
// registry policy says now, which tells a backfill started before the
// policy fix from one that fails for another reason.
func backfillFailed(d *destination) *Finding {
	bf := d.Backfill
	if bf == nil {
		return nil
	}
	b := bf.Backfill
	failedCount := 0
	if b.Progress != nil {
		failedCount = b.Progress.FailedReplicationCount
	}
	ended := b.Status == "COMPLETE" || b.Status == "STOPPED"
	if b.Status != "FAILED" && !(ended && failedCount > 0) {
		return nil
	}
	var mine, others []ReplicationBackfillResult
	for _, r := range bf.Failed {
		if r.RepositoryName == d.Repository {
			mine = append(mine, r)
		} else {
			others = append(others, r)
		}
	}
	codes := backfillCodes(b, bf.Failed)

	summary := fmt.Sprintf("Replication backfill %s to %s ended %s", b.ReplicationBackfillID, d.Destination, b.Status)
	if b.FailureCode != "" {
		summary += " (" + b.FailureCode + ")"
	}
	if p := b.Progress; p != nil {
		summary += fmt.Sprintf(": %d of %d replications failed", p.FailedReplicationCount, p.TotalReplicationCount)
	}
	summary += "."

	var detail strings.Builder
	if len(codes) > 0 {
		fmt.Fprintf(&detail, "Failure codes: %s. ", strings.Join(codes, ", "))
	}
	switch {
	case !bf.ResultsKnown:
		detail.WriteString("Its per-image results were not read (aws ecr describe-replication-backfill-results --replication-backfill-id " + shellQuote(b.ReplicationBackfillID) + " --result-status-filter FAILED shows them). ")
	case len(mine) == 0:
		fmt.Fprintf(&detail, "None of its %d failed result(s) is an image of %s. ", len(bf.Failed), d.Repository)
	default:
		fmt.Fprintf(&detail, "%d image(s) of %s failed: %s", len(mine), d.Repository, describeResults(mine, 5))
		if len(others) > 0 {
			fmt.Fprintf(&detail, "; and %d image(s) of other repositories", len(others))
		}
		detail.WriteString(". ")
	}
	if bf.ResultsTruncated {
		detail.WriteString("More failed results exist than were read. ")
	}

	f := &Finding{Evidence: backfillEvidence(bf, mine)}
	fix := &Fix{}
	denied := accessDeniedCodes(codes)
	switch {
	case d.path == pathAllowed || d.path == pathHeld || d.path == pathSameAccount:
		if denied {
			// Stale: the backfill ran into the policy that has been
			// fixed since.
			f.Severity = SeverityInfo
			detail.WriteString("The destination's registry policy allows replication now, so the backfill most likely ran before the policy was fixed: it is not retried by itself. ")
			backfillTo(fix, d, false)
		} else {
			detail.WriteString("The destination's registry policy allows replication, so these failures have another cause (a KMS key, tag immutability or a quota in the destination are common ones); ecrdoctor does not judge them. ")
			fix.Steps = append(fix.Steps, "Resolve the failure codes above in the destination, then start a new backfill.")
			backfillTo(fix, d, true)
		}
	case d.path == pathDenied || d.path == pathUncertain:
		detail.WriteString("The destination's registry policy still does not allow replication: that is the root cause above, and the backfill failed on it. A new backfill fails the same way until the policy is fixed. ")
		fix.Steps = append(fix.Steps, "Apply the root cause's fix above first; its last step starts a new backfill, once the policy is in place.")
	default:
		detail.WriteString("The destination's registry policy could not be read, so ecrdoctor cannot tell whether the cause is still there. ")
		fix.Steps = append(fix.Steps, fmt.Sprintf("Make sure the registry policy of %s allows account %s ecr:ReplicateImage (and ecr:CreateRepository) before starting a new backfill.", d.Destination, d.Source.Account))
		backfillTo(fix, d, true)
	}
	f.Summary = summary
	f.Detail = strings.TrimSpace(detail.String())
	f.Fix = fix
	return f
}

// backfillInProgress: a backfill to this destination is still running;
// its progress says how far it got and how close it is to failing itself.
func backfillInProgress(d *destination) *Finding {
	bf := d.Backfill
	if bf == nil {
		return nil
	}
	b := bf.Backfill
	switch b.Status {
	case "PREPARING", "IN_PROGRESS", "STOPPING":
	default:
		return nil
	}
	started := ""
	if b.StartedAt != nil {
		started = ", started " + rfc3339(b.StartedAt.Time)
	}
	summary := fmt.Sprintf("Replication backfill %s to %s is %s%s.", b.ReplicationBackfillID, d.Destination, b.Status, started)
	detail := "ECR is still identifying the images to replicate: there is no progress yet."
	if p := b.Progress; p != nil {
		summary = fmt.Sprintf("Replication backfill %s to %s is %s: %d of %d replications done, %d failed%s.",
			b.ReplicationBackfillID, d.Destination, b.Status, p.CompletedReplicationCount, p.TotalReplicationCount, p.FailedReplicationCount, started)
		detail = "Images that are not in the destination yet may still arrive with it. A backfill fails itself once 50% or more of its replications have failed, counted after at least 100."
		if p.FailedReplicationCount > 0 {
			detail += fmt.Sprintf(" Failure codes so far: %s.", strings.Join(p.FailureCodes, ", "))
			if d.path == pathDenied {
				detail += " The registry policy still denies replication (the root cause above): the backfill will fail on it."
			}
		}
	}
	return &Finding{
		Summary: summary,
		Detail:  detail,
		Evidence: []Evidence{{Kind: EvidenceBackfill, Source: bf.Source,
			Text: fmt.Sprintf("%s: %s to %s", b.ReplicationBackfillID, b.Status, d.Destination)}},
		Fix: &Fix{Steps: []string{fmt.Sprintf("Follow it with `aws ecr describe-replication-backfill-results --region %s --replication-backfill-id %s`; only one backfill per destination region runs at a time, so do not start another meanwhile.",
			shellQuote(d.Source.Region), shellQuote(b.ReplicationBackfillID))}},
	}
}

// EvidenceBackfill is a replication backfill or one of its results.
const EvidenceBackfill = "replication_backfill"

func backfillEvidence(bf *BackfillFact, mine []ReplicationBackfillResult) []Evidence {
	b := bf.Backfill
	text := fmt.Sprintf("%s: %s to %s", b.ReplicationBackfillID, b.Status, b.Location())
	if b.FailureCode != "" {
		text += " (" + b.FailureCode + ")"
	}
	if p := b.Progress; p != nil {
		text += fmt.Sprintf(", %d/%d completed, %d failed", p.CompletedReplicationCount, p.TotalReplicationCount, p.FailedReplicationCount)
	}
	if b.StartedAt != nil {
		text += ", started " + rfc3339(b.StartedAt.Time)
	}
	ev := []Evidence{{Kind: EvidenceBackfill, Source: bf.Source, Text: text}}
	for i, r := range mine {
		if i == 3 {
			ev = append(ev, Evidence{Kind: EvidenceBackfill, Source: bf.ResultsSource, Text: fmt.Sprintf("and %d more failed image(s) of %s", len(mine)-3, r.RepositoryName)})
			break
		}
		ev = append(ev, Evidence{Kind: EvidenceBackfill, Source: bf.ResultsSource, Text: describeResults([]ReplicationBackfillResult{r}, 1)})
	}
	return ev
}

// describeResults names failed results: "v1 (DESTINATION_REGISTRY_ACCESS_DENIED)",
// with an image index's children.
func describeResults(rs []ReplicationBackfillResult, max int) string {
	var parts []string
	for i, r := range rs {
		if i == max {
			parts = append(parts, fmt.Sprintf("and %d more", len(rs)-max))
			break
		}
		name := r.ImageID.ImageTag
		if name == "" {
			name = r.ImageID.ImageDigest
		}
		s := r.RepositoryName + ":" + name
		if strings.HasPrefix(name, "sha256:") {
			s = r.RepositoryName + "@" + name
		}
		if r.FailureCode != "" {
			s += " (" + r.FailureCode + ")"
		}
		if len(r.SubImageFailureCodes) > 0 {
			s += " — an image index whose child images failed with " + strings.Join(r.SubImageFailureCodes, ", ")
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, ", ")
}

// backfillCodes are the distinct failure codes of a backfill: its own, its
// progress's and those of its results, children included.
func backfillCodes(b ReplicationBackfillSummary, results []ReplicationBackfillResult) []string {
	var out []string
	if b.Progress != nil {
		for _, c := range b.Progress.FailureCodes {
			out = appendUnique(out, c)
		}
	}
	for _, r := range results {
		if r.FailureCode != "" {
			out = appendUnique(out, r.FailureCode)
		}
		for _, c := range r.SubImageFailureCodes {
			out = appendUnique(out, c)
		}
	}
	return out
}

// accessDeniedCodes reports whether every code is an access denial (the
// only replication failure code seen in the wild is
// DESTINATION_REGISTRY_ACCESS_DENIED; failure-mode note §0.2).
func accessDeniedCodes(codes []string) bool {
	if len(codes) == 0 {
		return false
	}
	for _, c := range codes {
		if !strings.Contains(c, "ACCESS_DENIED") && !strings.Contains(c, "PERMISSION_DENIED") {
			return false
		}
	}
	return true
}
