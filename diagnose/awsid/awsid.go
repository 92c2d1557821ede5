// Package awsid knows the shapes of AWS identifiers ecrdoctor reads and
// writes: account ids, region names and their partitions, registry
// locations, repository and role ARNs, replication filters, and the
// --since/--until time grammar, and the source of a read (an AWS call, a
// file, a CloudTrail record in either). It is pure: no SDK, no I/O.
package awsid

import (
	"regexp"
	"strings"
)

// Location is one registry: an account in a region.
type Location struct {
	Account string `json:"account"`
	Region  string `json:"region"`
}

func (l Location) String() string { return l.Account + "/" + l.Region }

// Compare orders locations by account, then region (for slices.SortFunc).
func (l Location) Compare(o Location) int {
	if c := strings.Compare(l.Account, o.Account); c != 0 {
		return c
	}
	return strings.Compare(l.Region, o.Region)
}

// IsAccountID reports whether s is a 12-digit AWS account id.
func IsAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// regionRE accepts every AWS region name shape: us-east-1, eu-central-2,
// us-gov-west-1, cn-northwest-1, us-isob-east-1, eu-isoe-west-1.
var regionRE = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)

// IsRegion reports whether s has the shape of an AWS region name.
func IsRegion(s string) bool { return regionRE.MatchString(s) }

// Partition returns the ARN partition of a region (aws, aws-cn, aws-us-gov, ...).
func Partition(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	case strings.HasPrefix(region, "us-isob-"):
		return "aws-iso-b"
	case strings.HasPrefix(region, "us-iso-"):
		return "aws-iso"
	case strings.HasPrefix(region, "eu-isoe-"):
		return "aws-iso-e"
	}
	return "aws"
}

// RepositoryARN is the ARN of repository name in the registry at loc.
func RepositoryARN(loc Location, name string) string {
	return "arn:" + Partition(loc.Region) + ":ecr:" + loc.Region + ":" + loc.Account + ":repository/" + name
}

// ParseRepositoryARN reads arn:<partition>:ecr:<region>:<account>:repository/<name>.
func ParseRepositoryARN(arn string) (loc Location, name string, ok bool) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "ecr" {
		return Location{}, "", false
	}
	name, found := strings.CutPrefix(parts[5], "repository/")
	if !found || name == "" || parts[3] == "" || parts[4] == "" {
		return Location{}, "", false
	}
	return Location{Account: parts[4], Region: parts[3]}, name, true
}

// RoleARN is the ARN of role name in account, in the partition of region
// (IAM is global, but its ARNs carry the partition).
func RoleARN(region, account, name string) string {
	return "arn:" + Partition(region) + ":iam::" + account + ":role/" + name
}

// ParseRoleARN reads arn:PARTITION:iam::ACCOUNT:role/[PATH/]NAME into the
// account and the role's name; ok is false for anything else (a user's
// ARN, an account id, a role without a valid account).
func ParseRoleARN(arn string) (account, name string, ok bool) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[1] == "" || parts[2] != "iam" || parts[3] != "" || !IsAccountID(parts[4]) {
		return "", "", false
	}
	path, found := strings.CutPrefix(parts[5], "role/")
	name = path[strings.LastIndex(path, "/")+1:]
	if !found || name == "" {
		return "", "", false
	}
	return parts[4], name, true
}

// AccountRootARN is the principal ARN that stands for a whole account
// (arn:aws:iam::ACCOUNT:root), in the partition of region.
func AccountRootARN(region, account string) string {
	return "arn:" + Partition(region) + ":iam::" + account + ":root"
}

// ARNAccount returns the account id an AWS principal names (an account id
// itself or the account field of an ARN), or "".
func ARNAccount(p string) string {
	if IsAccountID(p) {
		return p
	}
	parts := strings.SplitN(p, ":", 6)
	if len(parts) == 6 && parts[0] == "arn" {
		return parts[4]
	}
	return ""
}

// RepositoryFilter limits a replication rule to repositories whose names
// start with Filter. It is the API's and the CLI's shape, field for field.
type RepositoryFilter struct {
	Filter     string `json:"filter"`
	FilterType string `json:"filterType"`
}

// FilterTypePrefixMatch is the one filter type ECR replication has.
const FilterTypePrefixMatch = "PREFIX_MATCH"

// Covers reports whether a replication rule with filters replicates repo,
// and by which prefix: the longest matching one, or "" for a rule without
// filters (which replicates every repository). A filter with an empty type
// is read as PREFIX_MATCH, as in a hand-written snapshot; other types never
// match.
func Covers(filters []RepositoryFilter, repo string) (prefix string, ok bool) {
	if len(filters) == 0 {
		return "", true
	}
	for _, f := range filters {
		if f.FilterType != "" && f.FilterType != FilterTypePrefixMatch {
			continue
		}
		if strings.HasPrefix(repo, f.Filter) && (!ok || len(f.Filter) > len(prefix)) {
			prefix, ok = f.Filter, true
		}
	}
	return prefix, ok
}

// enabledByDefault are the regions of the aws partition every account may
// use: those launched before 20 March 2019. Every region launched since is
// opt-in ("Regions introduced before March 20, 2019 are enabled by
// default"; the AWS Account Management guide, "Enable or disable AWS
// Regions in your account"), so this list never grows.
var enabledByDefault = map[string]bool{
	"us-east-1": true, "us-east-2": true, "us-west-1": true, "us-west-2": true,
	"ca-central-1": true, "sa-east-1": true,
	"eu-west-1": true, "eu-west-2": true, "eu-west-3": true, "eu-central-1": true, "eu-north-1": true,
	"ap-northeast-1": true, "ap-northeast-2": true, "ap-northeast-3": true,
	"ap-southeast-1": true, "ap-southeast-2": true, "ap-south-1": true,
}

// IsOptInRegion reports whether an account must enable region before using
// it: a region of the aws partition launched since 20 March 2019.
func IsOptInRegion(region string) bool {
	return IsRegion(region) && Partition(region) == "aws" && !enabledByDefault[region]
}
