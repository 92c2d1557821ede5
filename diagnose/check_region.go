package diagnose

import (
	"fmt"
	"strings"
)

// CodeRegionNotEnabled: the source or the destination account has not
// enabled the destination's opt-in region (failure-mode note FM-15).
const CodeRegionNotEnabled = "REGION_NOT_ENABLED"

const docRegionOptIn = "https://docs.aws.amazon.com/accounts/latest/reference/manage-acct-regions.html"

// RegionOptIn is one account's opt-in status of the destination's region
// (aws account get-region-opt-status).
type RegionOptIn struct {
	Account string
	Status  string // ENABLED, ENABLING, DISABLING, DISABLED, ENABLED_BY_DEFAULT
	Source  Source
}

// regionNotEnabled: "For cross-Region replication to occur, both the
// source and destination accounts must be opted-in to the Region prior to
// any replication actions occurring within or to that Region" (the user
// guide's replication page). Only a status read says so: a status not read
// is no finding.
func regionNotEnabled(d *destination) *Finding {
	var off, enabling []RegionOptIn
	for _, o := range d.RegionOptIn {
		switch o.Status {
		case "DISABLED", "DISABLING":
			off = append(off, o)
		case "ENABLING":
			enabling = append(enabling, o)
		}
	}
	if len(off)+len(enabling) == 0 {
		return nil
	}
	var who, ev []string
	var evidence []Evidence
	var steps []string
	for _, o := range append(off, enabling...) {
		role := "the destination account"
		if o.Account == d.Source.Account {
			role = "the source account"
		}
		who = append(who, fmt.Sprintf("%s %s (%s)", role, o.Account, o.Status))
		ev = append(ev, o.Account)
		evidence = append(evidence, Evidence{Kind: EvidenceRegionOptIn, Source: o.Source, Text: fmt.Sprintf(`{"RegionName": %q, "RegionOptStatus": %q}`, d.Destination.Region, o.Status)})
		if o.Status != "ENABLING" {
			steps = append(steps, fmt.Sprintf("Enable %s in account %s: `aws account enable-region --region-name %s`, with that account's credentials (or from the organization's management account with --account-id %s). Enabling takes minutes, sometimes hours; get-region-opt-status says ENABLED when it is done.",
				d.Destination.Region, o.Account, shellQuote(d.Destination.Region), o.Account))
		}
	}
	f := &Finding{
		Summary: fmt.Sprintf("%s is an opt-in region not enabled in %s: ECR cannot replicate %s there.", d.Destination.Region, strings.Join(who, " and "), d.Repository),
		Detail: fmt.Sprintf("Both the source and the destination account must have enabled an opt-in region before any replication into it. "+
			"No registry policy changes that, and ECR does not go back for the images pushed while %s was not enabled.", d.Destination.Region),
		Evidence: evidence,
	}
	if len(off) == 0 {
		f.Severity = SeverityWarning
		f.Summary = fmt.Sprintf("%s is an opt-in region still being enabled in %s: replication of %s there waits for it.", d.Destination.Region, strings.Join(who, " and "), d.Repository)
		steps = append(steps, fmt.Sprintf("Wait until `aws account get-region-opt-status --region-name %s` says ENABLED in account %s.", shellQuote(d.Destination.Region), strings.Join(ev, " and ")))
	}
	f.Fix = &Fix{Steps: steps}
	backfillTo(f.Fix, d, true)
	return f
}

// EvidenceRegionOptIn is an account's opt-in status of a region.
const EvidenceRegionOptIn = "region_opt_status"
