package collect

import (
	"context"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/account"

	"github.com/ecrdoctor/ecrdoctor/diagnose"
	"github.com/ecrdoctor/ecrdoctor/diagnose/awsid"
)

// AccountAPI is what capture needs of the Account Management API: whether
// the caller's own account has enabled a region.
type AccountAPI interface {
	GetRegionOptStatus(context.Context, *account.GetRegionOptStatusInput, ...func(*account.Options)) (*account.GetRegionOptStatusOutput, error)
}

// accountRegion is where the Account Management API of the aws partition
// answers (a global service).
const accountRegion = "us-east-1"

// optInReads are the (account, region) pairs whose opt-in status is read:
// both the source and the destination account must have enabled a
// destination's opt-in region "prior to any replication actions" (the user
// guide's replication page). Regions enabled by default are never asked,
// so the common path makes no such read.
func optInReads(dests []diagnose.Location, source string) []diagnose.Location {
	seen := map[diagnose.Location]bool{}
	var out []diagnose.Location
	add := func(l diagnose.Location) {
		if !seen[l] {
			seen[l] = true
			out = append(out, l)
		}
	}
	for _, d := range dests {
		if !awsid.IsOptInRegion(d.Region) {
			continue
		}
		add(diagnose.Location{Account: source, Region: d.Region})
		add(d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}

// readRegionOptIn reads loc.Account's opt-in status of loc.Region with that
// account's own credentials (the API answers for the caller's account); a
// destination account ecrdoctor has no credentials of is not read.
func (c *capture) readRegionOptIn(ctx context.Context, loc diagnose.Location) error {
	cfg := c.src
	if loc.Account != c.srcAt.Account {
		da := c.dests[loc.Account]
		if da == nil || !da.own {
			return nil
		}
		cfg = da.cfg
	}
	client := c.sess.accountClient(cfg)
	ctx, cancel := context.WithTimeout(ctx, c.requestTimeout())
	defer cancel()
	out, err := client.GetRegionOptStatus(ctx, &account.GetRegionOptStatusInput{RegionName: aws.String(loc.Region)})
	return c.record(loc, RegionOptStatusFile, "account:GetRegionOptStatus", func() any {
		return diagnose.RegionOptStatusOutput{RegionName: aws.ToString(out.RegionName), RegionOptStatus: string(out.RegionOptStatus)}
	}, err)
}

// accountClient returns an Account Management client of cfg's credentials.
func (s *session) accountClient(cfg aws.Config) AccountAPI {
	return s.aws.Account(cfg, func(o *account.Options) { o.Region = accountRegion })
}
