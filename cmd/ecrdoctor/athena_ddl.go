package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/ecrdoctor/ecrdoctor/diagnose/collect"
)

// athenaDDLOptions is the athena-ddl command line, parsed.
type athenaDDLOptions struct {
	DDL collect.DDLOptions
}

func athenaDDLCommand(s IO) *cli.Command {
	return &cli.Command{
		Name:  "athena-ddl",
		Usage: "print the Athena CREATE TABLE for a CloudTrail trail's bucket, for 'events --athena-table'",
		Description: `athena-ddl prints the CREATE TABLE statement of AWS's documented CloudTrail
table with partition projection, widened to an organization trail: partitions
account, region and timestamp (the delivery day), so that 'ecrdoctor events
--athena-table' reads only the accounts, regions and days it is asked about.
Run the statement yourself (Athena console, or aws athena start-query-execution):
ecrdoctor never creates anything.

--accounts and --regions enumerate the partitions; without them the partition
is injected, and every query must then name its accounts (events --account) or
regions (events --region). The values are validated before they go into the
statement: bucket names by S3's naming rules, 12-digit accounts, region names.

Examples:
  ecrdoctor athena-ddl --bucket org-trail-logs --organization-id o-exampleorgid \
      --accounts 111111111111,222222222222 --regions us-east-1,ap-northeast-1
  ecrdoctor athena-ddl --bucket my-trail --prefix central --table security.cloudtrail_logs`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "bucket", Usage: "the trail's S3 `BUCKET` (required)"},
			&cli.StringFlag{Name: "prefix", Usage: "the trail's key `PREFIX`, before AWSLogs/"},
			&cli.StringFlag{Name: "organization-id", Usage: "the organization `ID` (o-...) of an organization trail"},
			&cli.StringSliceFlag{Name: "accounts", Usage: "`ACCOUNTS` to enumerate (comma-separated or repeated); none: injected"},
			&cli.StringSliceFlag{Name: "regions", Usage: "`REGIONS` to enumerate (comma-separated or repeated); none: injected"},
			&cli.StringFlag{Name: "table", Usage: "table `NAME` or DATABASE.NAME", DefaultText: "cloudtrail_logs_org"},
			&cli.StringFlag{Name: "start", Usage: "first delivery `DAY` of the trail (YYYY-MM-DD)", DefaultText: "2020-01-01"},
		},
		Action: action(func(c *cli.Context) error {
			opts, err := parseAthenaDDLOptions(c)
			if err != nil {
				return err
			}
			return runAthenaDDL(s, opts)
		}),
	}
}

func parseAthenaDDLOptions(c *cli.Context) (athenaDDLOptions, error) {
	o := athenaDDLOptions{DDL: collect.DDLOptions{
		Bucket:         c.String("bucket"),
		Prefix:         c.String("prefix"),
		OrganizationID: c.String("organization-id"),
		Table:          c.String("table"),
		Accounts:       splitList(c.StringSlice("accounts")),
		Regions:        splitList(c.StringSlice("regions")),
	}}
	if o.DDL.Bucket == "" {
		return o, usageErrorf("athena-ddl: --bucket is required (the S3 bucket the trail delivers to)")
	}
	if v := c.String("start"); v != "" {
		t, err := time.Parse("2006-01-02", v)
		if err != nil {
			return o, usageErrorf("athena-ddl: --start %q: give a day, YYYY-MM-DD", v)
		}
		o.DDL.Start = t
	}
	// Validate here too so that a bad value is a usage error naming its flag.
	type check struct {
		flag string
		err  error
	}
	checks := []check{{"bucket", collect.ValidateBucket(o.DDL.Bucket)}}
	if o.DDL.OrganizationID != "" {
		checks = append(checks, check{"organization-id", collect.ValidateOrgID(o.DDL.OrganizationID)})
	}
	for _, a := range o.DDL.Accounts {
		checks = append(checks, check{"accounts", collect.ValidateAccount(a)})
	}
	for _, r := range o.DDL.Regions {
		checks = append(checks, check{"regions", collect.ValidateRegion(r)})
	}
	for _, ch := range checks {
		if ch.err != nil {
			return o, usageErrorf("athena-ddl: --%s: %v", ch.flag, ch.err)
		}
	}
	if _, _, err := collect.AthenaDDL(o.DDL); err != nil {
		return o, usageErrorf("athena-ddl: %v", err)
	}
	return o, nil
}

// splitList accepts both --x a,b and --x a --x b, dropping empty items.
func splitList(vals []string) []string {
	var out []string
	for _, v := range vals {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" && !contains(out, p) {
				out = append(out, p)
			}
		}
	}
	return out
}

func runAthenaDDL(s IO, o athenaDDLOptions) error {
	ddl, notes, err := collect.AthenaDDL(o.DDL)
	if err != nil {
		return usageErrorf("athena-ddl: %v", err)
	}
	for _, n := range notes {
		fmt.Fprintf(s.Err, "ecrdoctor: note: %s\n", n)
	}
	_, err = fmt.Fprint(s.Out, ddl)
	return err
}
