package diagnose

import (
	"fmt"
	"strings"

	"github.com/ecrdoctor/ecrdoctor/diagnose/awsid"
)

const docReplicationBackfill = "https://docs.aws.amazon.com/AmazonECR/latest/userguide/replication-backfill.html"

// backfillCommand is the AWS CLI command that re-drives the replication of
// the source registry's existing images to dst (StartReplicationBackfill,
// ECR 2026-10). It runs against the source registry, with its credentials.
// Every value pasted into it is checked first: ok is false when one is not
// an account id or a region.
func backfillCommand(src, dst Location) (string, bool) {
	if !awsid.IsRegion(src.Region) || !awsid.IsRegion(dst.Region) || !awsid.IsAccountID(dst.Account) {
		return "", false
	}
	return fmt.Sprintf("aws ecr start-replication-backfill --region %s --destination region=%s,registryId=%s",
		shellQuote(src.Region), shellQuote(dst.Region), shellQuote(dst.Account)), true
}

// backfill fills fix.Backfill with one command per destination and adds the
// steps that say when and how to run them. afterFix says the commands come
// after a change the fix asks for first (a policy, a filter).
func backfill(fix *Fix, src Location, repo string, dests []Location, afterFix bool) {
	var cmds, bad []string
	for _, d := range dests {
		if cmd, ok := backfillCommand(src, d); ok {
			cmds = append(cmds, cmd)
		} else {
			bad = append(bad, d.String())
		}
	}
	if len(bad) > 0 {
		fix.Steps = append(fix.Steps, fmt.Sprintf("No backfill command is printed for %s: the account or region is not valid.", strings.Join(bad, ", ")))
	}
	if len(cmds) == 0 {
		return
	}
	fix.Steps = append(fix.Steps, backfillStep(afterFix, fmt.Sprintf("the source account %s's credentials", src.Account), repo))
	fix.Backfill = strings.Join(cmds, "\n")
}

// backfillStep says when and how to run the backfill commands: with
// credentials (whose), and that they re-drive more than notOnly.
func backfillStep(afterFix bool, credentials, notOnly string) string {
	when := "Re-drive the images already in the source with a replication backfill"
	if afterFix {
		when = "Then, and only once the change above is in place, re-drive the images already in the source with a replication backfill"
	}
	step := fmt.Sprintf("%s (the backfill command below, run with %s; ECR does not retry failed replications by itself). "+
		"A backfill replicates every existing image that the current replication rules send to that destination, not only %s. ",
		when, credentials, notOnly)
	if afterFix {
		step += "The order matters: a backfill fails itself once 50% or more of its replications have failed, counted after at least 100, so one started before the fix burns through the images and stops as FAILED. "
	}
	return step + "To re-drive only this repository's images instead, push them again. Follow a backfill with aws ecr list-replication-backfills and describe-replication-backfill-results --replication-backfill-id <id>; ecrdoctor never starts one."
}

// filterFix extends a rule's filters, then re-drives the repository's
// existing images: ECR replicates only what is pushed after a rule covers it.
func filterFix(f *Facts) *Fix {
	fix := &Fix{Steps: []string{
		fmt.Sprintf("Add %q (or a shorter prefix of it) as a PREFIX_MATCH filter to the rule that should replicate it, or add a rule for it.", f.Repository),
		"Only images pushed after the rule changes are replicated by themselves. For the images already there, run the backfill for each destination of the rule you changed (the commands below list every destination the rules name).",
	}}
	var dests []Location
	seen := map[Location]bool{}
	for _, r := range f.Rules.Rules {
		for _, d := range r.Destinations {
			loc := Location{Account: d.RegistryID, Region: d.Region}
			if !seen[loc] && loc != f.Source {
				seen[loc] = true
				dests = append(dests, loc)
			}
		}
	}
	backfill(fix, f.Source, f.Repository, dests, true)
	return fix
}

// backfillTo is backfill for one destination, saying when a backfill to it
// is already running: ECR runs one per destination region at a time, and a
// second one fails with ReplicationBackfillInProgressException.
func backfillTo(fix *Fix, d *destination, afterFix bool) {
	backfill(fix, d.Source, d.Repository, []Location{d.Destination}, afterFix)
	if d.Backfill == nil || fix.Backfill == "" {
		return
	}
	switch b := d.Backfill.Backfill; b.Status {
	case "PREPARING", "IN_PROGRESS", "STOPPING":
		fix.Steps = append(fix.Steps, fmt.Sprintf("A backfill to %s is already %s (%s): a new one fails with ReplicationBackfillInProgressException until it ends. "+
			"Wait for it, or stop it first with `aws ecr stop-replication-backfill --region %s --replication-backfill-id %s` if it started before the fix.",
			d.Destination, b.Status, b.ReplicationBackfillID, shellQuote(d.Source.Region), shellQuote(b.ReplicationBackfillID)))
	}
}
